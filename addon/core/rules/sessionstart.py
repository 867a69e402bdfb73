"""sessionStart content (rules.md §3), judged on the sessionStart body alone.

The two rules that compare sessions of one client (app-installation-id-changed, session-restarted)
live in ``addon/rules/clients.py``.
"""

from __future__ import annotations

from typing import Any

from mcscope.core import spec
from mcscope.core.state import Event, SessionState

# R30: a linear show is usually between 5 minutes and 4 hours; unknown live duration is 86400.
PLAUSIBLE_SHOW_SECONDS = (300, 4 * 3600)


def check(s: SessionState, ev: Event, realtime: bool) -> None:
    params = ev.params
    if not params and not isinstance((ev.body or {}).get("params"), dict):
        return  # params-missing already said it
    _required(s, ev, params)
    _length(s, ev, params)
    _content_type(s, ev, params)
    st = params.get("media.streamType")
    if st is None:
        s.emit("stream-type", "media.streamType is missing (audio or video)", ev)
    elif not isinstance(st, str) or st not in spec.STREAM_TYPES:
        s.emit("stream-type", f"media.streamType {_short(st)} is not audio or video", ev)
    if not _present(params.get("visitor.marketingCloudUserId")) and not _present(params.get("appInstallationId")):
        s.emit("no-visitor-identity", "neither visitor.marketingCloudUserId nor appInstallationId is set", ev)
    _customer_ids(s, ev, params.get("visitor.customerIDs"))
    _resume(s, ev, params)
    show_type = params.get("media.showType")
    if show_type is not None and (not isinstance(show_type, str) or show_type not in spec.SHOW_TYPES):
        s.emit("show-type", f"media.showType {_short(show_type)} is not one of \"0\"..\"3\"", ev)
    if realtime and params.get("media.downloaded") is True:
        s.emit("downloaded-flag-realtime", "media.downloaded: true on a real-time session (the collector answers 400)",
               ev)


def _present(value: Any) -> bool:
    return value is not None and value != ""


def _required(s: SessionState, ev: Event, params: dict[str, Any]) -> None:
    missing = [k for k in spec.SESSION_START_REQUIRED if k not in params or params[k] is None]
    empty = [k for k in spec.SESSION_START_REQUIRED if isinstance(params.get(k), str) and not params[k].strip()]
    if missing:
        s.emit("session-start-required", f"required sessionStart params missing: {', '.join(missing)}", ev)
    if empty:
        s.emit("session-start-required", f"required sessionStart params empty: {', '.join(empty)}", ev)


def _length(s: SessionState, ev: Event, params: dict[str, Any]) -> None:
    length = params.get("media.length")
    if not spec.json_type_ok(length, "number"):
        return
    if length <= 0:
        s.emit("media-length-nonpositive", f"media.length is {length}: no progress markers or average minute "
               "audience", ev)
        return
    ct = params.get("media.contentType")
    if isinstance(ct, str) and ct.lower() in spec.LIVE_CONTENT_TYPES and length != spec.LIVE_LENGTH:
        low, high = PLAUSIBLE_SHOW_SECONDS
        if not low <= length <= high:
            s.emit("live-length", f"{ct} content with media.length {length}: use 86400 when the duration is "
                   "unknown, else the show's length", ev)


def _content_type(s: SessionState, ev: Event, params: dict[str, Any]) -> None:
    ct = params.get("media.contentType")
    if not isinstance(ct, str) or not ct:
        return
    if ct not in spec.RECOMMENDED_CONTENT_TYPES:
        if ct.lower() in spec.RECOMMENDED_CONTENT_TYPES:
            s.emit("content-type-unusual", f"media.contentType {ct!r}: use lower case {ct.lower()!r}", ev)
        else:
            s.emit("content-type-unusual", f"media.contentType {ct!r} is not a recommended value", ev)


def _customer_ids(s: SessionState, ev: Event, ids: Any) -> None:
    if not isinstance(ids, dict):
        return  # a non-object is param-type's business
    for id_type, entry in ids.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            s.emit("customer-ids-format", f"visitor.customerIDs[{id_type!r}] has no string id", ev)
            continue
        auth = entry.get("authState")
        if auth is not None and (not isinstance(auth, int) or isinstance(auth, bool) or auth not in (0, 1, 2)):
            s.emit("customer-ids-format", f"visitor.customerIDs[{id_type!r}].authState {_short(auth)} is not 0, 1 or 2",
                   ev)


def _resume(s: SessionState, ev: Event, params: dict[str, Any]) -> None:
    ct = params.get("media.contentType")
    if isinstance(ct, str) and ct.lower() in spec.LIVE_CONTENT_TYPES:
        return
    if ev.playhead is not None and ev.playhead > 0 and params.get("media.resume") is not True:
        s.emit("resume-unflagged", f"sessionStart at playhead {ev.playhead:g} without media.resume: true "
               "(counts as a new media start)", ev)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
