"""One Media Edge API event in the core's event model (the protocol seam, media-edge.md §2).

An XDM event (``events[i].xdm``, or one ``mediaDownloadedEvents[]`` item) becomes an :class:`EdgeEvent`: an
:class:`~mcscope.core.state.Event` whose type, playhead, ``ts`` (from the ISO ``timestamp``) and typed details
are mapped to the REST names the shared state machine, timeline and metrics read (``params``, ``qoeData``,
``customMetadata``). The XDM object itself stays in ``xdm``: the Edge envelope rules judge it, reports show it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from mcscope.core import edge_spec as es
from mcscope.core.state import Event

# ISO 8601 date-time: a date, "T", a time, optional fraction, and an offset (Z or +hh:mm); CJA-TS's reason text.
_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|z|[+-]\d{2}(?::?\d{2})?)?$")


def parse_timestamp(value: Any) -> tuple[int | None, str | None]:
    """(epoch ms, problem): problem is None for a valid ISO 8601 date-time with offset."""
    if not isinstance(value, str):
        return None, "not a string"
    if not _ISO_RE.match(value):
        return None, "not an ISO 8601 date-time"
    text = value[:-1] + "+00:00" if value[-1] in "Zz" else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None, "not an ISO 8601 date-time"
    if moment.tzinfo is None:
        return None, "has no offset to UTC (add Z or +hh:mm)"
    return round(moment.timestamp() * 1000), None


def fraction_digits(value: Any) -> int | None:
    """How many digits the timestamp's fraction has (None: no fraction)."""
    if not isinstance(value, str) or "." not in value:
        return None
    frac = value.split(".", 1)[1]
    return len(frac) - len(frac.lstrip("0123456789"))


class EdgeContext:
    """What the request around an event says (shared by the events of one request)."""

    __slots__ = ("path_type", "hint", "interact", "identity", "request_xdm", "flow")

    def __init__(self, path_type: str | None, hint: str | None, interact: bool, identity: bool,
                 request_xdm: dict[str, Any] | None, flow: str) -> None:
        self.path_type = path_type  # the /va/v1/{x} segment as the Edge reads it (canonical case), or None
        self.hint = hint  # the /ee/{hint}/ segment, or None
        self.interact = interact  # sent through /v1/interact
        self.identity = identity  # the request carries an identity (identityMap, identity state, cookie)
        self.request_xdm = request_xdm  # the request-level xdm object
        self.flow = flow


class EdgeEvent(Event):
    """An Event from an XDM body; ``body`` is its REST-shaped reading, ``xdm`` the object as sent."""

    __slots__ = ("xdm", "edge", "raw_type", "timestamp_problem")
    protocol = es.PROTOCOL

    def __init__(self, index: int, sid: str | None, flow: str, xdm: Any, received: float, status: int | None,
                 context: EdgeContext, downloaded: bool = False) -> None:
        self.xdm: dict[str, Any] | None = xdm if isinstance(xdm, dict) else None
        self.edge = context
        body, self.raw_type, self.timestamp_problem = to_model(self.xdm, downloaded)
        super().__init__(index, sid, flow, body, received, status, downloaded)

    def ts_fraction_digits(self) -> int | None:
        xdm = self.xdm
        if xdm is None:
            return None
        return fraction_digits(xdm.get("mediaEventTimestamp" if self.downloaded else "timestamp"))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["protocol"] = es.PROTOCOL
        out["xdm"] = self.xdm
        return out


def media_collection(xdm: dict[str, Any] | None, downloaded: bool = False) -> Any:
    if xdm is None:
        return None
    return xdm.get("mediaCollection")


def to_model(xdm: dict[str, Any] | None, downloaded: bool = False) -> tuple[dict[str, Any] | None, Any, str | None]:
    """(REST-shaped body, the raw event type, the timestamp's problem) of an XDM event.

    A downloaded item names its type ``mediaEventType`` and its time ``mediaEventTimestamp``. A type that is not
    ``media.`` + one of the 18 Edge types is kept as sent, so the state machine treats it as unknown.
    """
    if xdm is None:
        return None, None, None
    raw_type = xdm.get("mediaEventType" if downloaded else "eventType")
    event_type: Any = raw_type
    if isinstance(raw_type, str) and raw_type.startswith(es.MEDIA_PREFIX) and raw_type[6:] in es.EVENT_TYPES:
        event_type = raw_type[6:]
    stamp = xdm.get("mediaEventTimestamp" if downloaded else "timestamp")
    ts, problem = parse_timestamp(stamp) if stamp is not None else (None, "missing")
    mc = xdm.get("mediaCollection")
    body: dict[str, Any] = {"eventType": event_type}
    player_time: dict[str, Any] = {}
    if isinstance(mc, dict):
        if "playhead" in mc:
            player_time["playhead"] = mc["playhead"]
        params: dict[str, Any] = {}
        for obj, mapping in es.TO_REST.items():
            details = mc.get(obj)
            if isinstance(details, dict):
                for key, value in details.items():
                    rest_key = mapping.get(key)
                    if rest_key is not None:
                        params[rest_key] = value
        for key in ("statesStart", "statesEnd"):
            if key in mc:
                params[key] = _states(mc[key])
        if params or any(isinstance(mc.get(obj), dict) for obj in es.TO_REST) or event_type == "statesUpdate":
            body["params"] = params
        qoe = mc.get("qoeDataDetails")
        if isinstance(qoe, dict):
            mapped: dict[str, Any] = {}
            for key, value in qoe.items():
                rest_key = es.QOE_TO_REST.get(key)
                if rest_key is None:
                    continue
                if key == "bitrate" and es.is_integer(value):
                    value = int(value) * 1000  # kbps on Edge, bps in the model (media-edge.md §1.9)
                mapped[rest_key] = value
            body["qoeData"] = mapped
        cm = mc.get("customMetadata")
        if isinstance(cm, list):
            body["customMetadata"] = {item["name"]: item.get("value") for item in cm
                                      if isinstance(item, dict) and isinstance(item.get("name"), str)}
    if ts is not None:
        player_time["ts"] = ts
    body["playerTime"] = player_time
    return body, raw_type, problem


def _states(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return [{"media.state.name": item.get("name")} if isinstance(item, dict) else item for item in value]
