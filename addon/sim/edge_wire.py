"""The Media Edge API wire: a scripted player's steps as Adobe's Edge Media SDKs and Web SDK send them.

Each step's event (the MC API shape the :class:`~mcscope.sim.script.Player` records, which is also the core's
event model) becomes ``{"events": [{"xdm": {"eventType": "media.<type>", "timestamp": ISO 8601 with ms,
"mediaCollection": {...}}}]}`` (media-edge.md §1.3-§1.5, the inverse of the §2 mapping that
``core/edge_event.py`` reads): typed detail objects for ``params``, ``qoeDataDetails`` (bitrate in kbps),
``customMetadata`` as ``[{name, value}]``, integer playheads, ``stateStart``/``stateEnd`` as ``statesUpdate``.

:class:`EdgeWire` keeps the client's state (§1.6): ``sessionStart`` goes to ``/ee[/{hint}]/va/v1/sessionStart``
(or inside ``/ee[/{hint}]/v1/interact`` for the Web SDK); the ``media-analytics:new-session`` handle of the
answer names the session, and every later event carries it as ``mediaCollection.sessionID`` and goes to
``/ee[/{hint}]/va/v1/{eventType}`` under the session's location hint (the one the sessionStart was sent under,
else the answer's ``locationHint:result``). The player sends its steps one after the other, so events due
while the sessionStart is in flight are sent once its answer has arrived, as the SDKs queue them; when the
sessionStart fails (207/4xx, no id) the client drops everything after it, as the Mobile SDKs abort.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mcscope.core import edge_spec as es
from mcscope.core.edge_exchange import EdgeResponse, error_code, parse_response
from mcscope.core.model import Exchange, HttpResponse
from mcscope.sim.script import Step
from mcscope.sim.wire import Request

__all__ = ["EdgeClient", "EdgeWire", "MEDIA_SDK", "WEB_SDK", "HAND_BUILT", "CONFIG_ID", "iso", "to_xdm"]

CONFIG_ID = "d1d4e5f6-0000-4000-8000-00000000c0de"  # a datastream id (configId)

_DETAIL_OBJECT = {"sessionStart": "sessionDetails", "adBreakStart": "advertisingPodDetails",
                  "adStart": "advertisingDetails", "chapterStart": "chapterDetails", "error": "errorDetails"}
_FROM_REST = {obj: {rest: xdm for xdm, rest in fields.items()} for obj, fields in es.TO_REST.items()}
_QOE_FROM_REST = {rest: xdm for xdm, rest in es.QOE_TO_REST.items()}
_ERROR_FROM_QOE = {"media.qoe.errorID": "name", "media.qoe.errorSource": "source"}


@dataclass(frozen=True, slots=True)
class EdgeClient:
    """What an Edge client sends with every request: how its session starts, its Content-Type, the location
    hint it already knows, how it names custom metadata (``_{tenant}.{key}``; None: the raw keys, as the
    Mobile SDKs send them), its datastream."""

    name: str
    interact: bool = False  # sessionStart inside /v1/interact (Web SDK streamingMedia)
    content_type: str = "application/json"
    hint: str | None = None
    tenant: str | None = "mcscope"
    config_id: str = CONFIG_ID
    restart_pings: bool = True  # every Adobe client re-arms its ping timer at every event (§1.8)

    @property
    def protocol(self) -> str:
        return es.PROTOCOL


MEDIA_SDK = EdgeClient("Edge Media SDK (Android/iOS)")
WEB_SDK = EdgeClient("Web SDK streamingMedia", interact=True, content_type="text/plain; charset=UTF-8")
# Adobe's guide for hand-built clients: "fire ping events every 10 seconds … regardless of other API events"
HAND_BUILT = EdgeClient("hand-built Media Edge API client", restart_pings=False)


def iso(ms: int) -> str:
    """ISO 8601 UTC with milliseconds, as the SDKs write ``xdm.timestamp``."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _integer(value: Any) -> Any:
    """Numbers as XDM integers (whole seconds, as the SDKs truncate); anything else as it is."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return math.floor(value)
    return value


def _details(obj: str, params: dict[str, Any]) -> dict[str, Any]:
    names = _FROM_REST[obj]
    fields = es.DETAIL_OBJECTS[obj]
    out: dict[str, Any] = {}
    for rest_key, value in params.items():
        key = names.get(rest_key)
        if key is not None:
            out[key] = _integer(value) if fields.get(key, ("", False))[0] == "integer" else value
    return out


def _qoe(qoe: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rest_key, value in qoe.items():
        key = _QOE_FROM_REST.get(rest_key, rest_key)
        if key in ("bitrate", "timeToStart") and isinstance(value, int | float) and not isinstance(value, bool):
            value = round(value / 1000)  # bps and ms in the model; kbps and s in XDM, as the SDKs send (§1.5)
        out[key] = value
    return out


def _states(items: Any) -> Any:
    if not isinstance(items, list):
        return items
    return [{"name": i.get("media.state.name")} if isinstance(i, dict) else i for i in items]


def _custom(custom: dict[str, Any], tenant: str | None) -> list[dict[str, Any]]:
    def name(key: str) -> str:
        return key if tenant is None or key.startswith("_") else f"_{tenant}.{key}"

    return [{"name": name(key), "value": custom[key]} for key in sorted(custom)]


def to_xdm(doc: dict[str, Any], tenant: str | None = "mcscope") -> dict[str, Any]:
    """One event of the model as ``events[0].xdm`` (without ``sessionID``, which the wire adds)."""
    et = doc.get("eventType")
    edge_type = "statesUpdate" if et in ("stateStart", "stateEnd") else et
    pt = doc.get("playerTime") if isinstance(doc.get("playerTime"), dict) else {}
    params = doc.get("params") if isinstance(doc.get("params"), dict) else {}
    qoe = dict(doc["qoeData"]) if isinstance(doc.get("qoeData"), dict) else None
    mc: dict[str, Any] = {}
    if "playhead" in pt:
        mc["playhead"] = _integer(pt["playhead"])
    obj = _DETAIL_OBJECT.get(edge_type) if isinstance(edge_type, str) else None
    if obj is not None:
        mc[obj] = _details(obj, params)
        if obj == "errorDetails" and qoe is not None:
            for rest_key, key in _ERROR_FROM_QOE.items():
                if rest_key in qoe:
                    mc[obj].setdefault(key, qoe.pop(rest_key))
    if et in ("stateStart", "stateEnd"):
        mc["statesStart" if et == "stateStart" else "statesEnd"] = [{"name": params.get("media.state.name")}]
    elif edge_type == "statesUpdate":
        for key in ("statesStart", "statesEnd"):
            if key in params:
                mc[key] = _states(params[key])
    if qoe or edge_type == "bitrateChange":
        mc["qoeDataDetails"] = _qoe(qoe or {})
    custom = doc.get("customMetadata")
    if isinstance(custom, dict) and custom:
        mc["customMetadata"] = _custom(custom, tenant)
    ts = pt.get("ts")
    return {
        "_id": str(uuid.uuid4()),
        "timestamp": iso(ts) if isinstance(ts, int) and not isinstance(ts, bool) and ts >= 0 else ts,
        "eventType": f"{es.MEDIA_PREFIX}{edge_type}" if isinstance(edge_type, str) else edge_type,
        "mediaCollection": mc,
    }


class EdgeWire:
    """One Edge client's state: its session id and location hint, the requestIds it was answered with."""

    def __init__(self, client: EdgeClient, prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix
        self.sid: str | None = None
        self.hint: str | None = client.hint
        self.request_ids: list[str] = []
        self._failed = False
        self._ecid: str | None = None
        self._org: str | None = None

    # --- requests -------------------------------------------------------------------------------------------
    def request(self, step: Step) -> Request | None:
        tweak = step.tweak
        start = step.endpoint == "sessions"
        doc = step.body if isinstance(step.body, dict) else None
        if start and doc is not None:
            self._remember_identity(doc)
        session_id = self._session_id(step)
        if not start and session_id is None and (tweak is None or tweak.session_id != "omit"):
            return None  # no session: the SDKs queue until the id arrives, and drop all when the start failed
        hint = self.hint if tweak is None or tweak.hint is None else tweak.hint or None
        base = f"{self.prefix}/ee/{hint}" if hint else f"{self.prefix}/ee"
        if start and self.client.interact:
            path = f"{base}/v1/interact"
        else:
            segment = tweak.path if tweak is not None and tweak.path else self._segment(doc)
            path = f"{base}/va/v1/{segment}"
        query = tweak.query if tweak is not None and tweak.query is not None else \
            f"configId={self.client.config_id}&requestId={uuid.uuid4()}"
        if query:
            path += f"?{query}"
        ctype = (tweak.content_type if tweak is not None else None) or self.client.content_type
        return Request(path, [("Content-Type", ctype)], self._payload(step, doc, session_id))

    @staticmethod
    def _segment(doc: dict[str, Any] | None) -> str:
        et = doc.get("eventType") if doc is not None else None
        if et in ("stateStart", "stateEnd"):
            return "statesUpdate"
        return et if isinstance(et, str) else "ping"

    def _session_id(self, step: Step) -> str | None:
        if step.sid is not None:
            return step.sid
        mode = step.tweak.session_id if step.tweak is not None else "answer"
        if mode == "request-id":
            return self.request_ids[0] if self.request_ids and not self._failed else None
        return None if self._failed or mode == "omit" else self.sid

    def _payload(self, step: Step, doc: dict[str, Any] | None, session_id: str | None) -> bytes:
        if doc is None:
            return step.payload()  # bytes or an array: sent as they are
        xdm = to_xdm(doc, self.client.tenant)
        if session_id is not None and step.endpoint != "sessions":
            xdm["mediaCollection"]["sessionID"] = session_id
        body = self._envelope(xdm)
        if step.tweak is not None and step.tweak.edit is not None:
            step.tweak.edit(body)
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

    def _remember_identity(self, doc: dict[str, Any]) -> None:
        params = doc.get("params") if isinstance(doc.get("params"), dict) else {}
        ecid, org = params.get("visitor.marketingCloudUserId"), params.get("visitor.marketingCloudOrgId")
        self._ecid = ecid if isinstance(ecid, str) and ecid else None
        self._org = org.replace("@", "_") if isinstance(org, str) and org else None

    def _envelope(self, xdm: dict[str, Any]) -> dict[str, Any]:
        """The request around one event: a Mobile SDK's (§1.3, EDGE-PO) or the Web SDK's (identity in its
        kndctr state entry, implementation details in the event)."""
        if self.client.interact:
            meta: dict[str, Any] = {"state": {"domain": "example.com", "cookiesEnabled": True, "entries": []}}
            if self._ecid and self._org:
                meta["state"]["entries"].append({"key": f"kndctr_{self._org}_identity", "value": self._ecid})
            details = {"name": "https://ns.adobe.com/experience/alloy", "version": "2.27.0", "environment": "browser"}
            return {"events": [{"xdm": {**xdm, "implementationDetails": details}}], "meta": meta}
        request_xdm: dict[str, Any] = {}
        if self._ecid:
            request_xdm["identityMap"] = {"ECID": [{"id": self._ecid, "authenticatedState": "ambiguous",
                                                    "primary": False}]}
        request_xdm["implementationDetails"] = {"name": "https://ns.adobe.com/experience/mobilesdk/android",
                                                "version": "3.0.1+3.0.1", "environment": "app"}
        return {
            "events": [{"xdm": xdm}],
            "meta": {"konductorConfig": {"streaming": {"enabled": True, "recordSeparator": "\u0000",
                                                       "lineFeed": "\n"}}},
            "xdm": request_xdm,
        }

    # --- answers --------------------------------------------------------------------------------------------
    def answer(self, step: Step, response: HttpResponse) -> str | None:
        answer = _parse(response)
        if answer.request_id:
            self.request_ids.append(answer.request_id)
        if step.endpoint != "sessions" or not isinstance(step.body, dict):
            return None
        refused = any(error_code(e) == es.VA_BAD_REQUEST for e in answer.errors)
        if not 200 <= response.status < 300 or refused:
            self._failed = True  # a 4xx, or 207 with va-edge-0400-400: no session, the SDKs abort
            return None
        if answer.session_id is None:
            self._failed = True
            return f"{response.status} without a usable {es.NEW_SESSION_HANDLE} handle"
        self.sid = answer.session_id
        self._failed = False
        sent_under = step.tweak.hint if step.tweak is not None and step.tweak.hint is not None else self.hint
        if not sent_under and answer.location_hint:
            self.hint = answer.location_hint  # a session keeps the hint it started under, else the answer's
        return None


def _parse(response: HttpResponse) -> EdgeResponse:
    return parse_response(Exchange("answer", "POST", "", response_status=response.status,
                                   response_headers=list(response.headers), response_body=response.body))
