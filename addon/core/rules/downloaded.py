"""Downloaded content (rules.md §12): batches on /api/v1/downloaded and the legacy array on /sessions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcscope.core import exchange as xch
from mcscope.core.rules.catalogue import RULES
from mcscope.core.state import Event

if TYPE_CHECKING:
    from mcscope.core.session import Analyzer, Delta


def batch_problems(payload: Any) -> list[str]:
    """Why the collector would discard the whole batch (R88); empty when the batch is well-formed."""
    if not isinstance(payload, list):
        return [f"body is a JSON {'object' if isinstance(payload, dict) else type(payload).__name__}, not an array"]
    if not payload:
        return ["the batch is empty"]
    problems = []
    bad = [i for i, item in enumerate(payload) if not isinstance(item, dict)]
    if bad:
        problems.append(f"element {bad[0]} is not an event object")
    first = payload[0]
    if isinstance(first, dict) and first.get("eventType") != "sessionStart":
        problems.append(f"the first event is {first.get('eventType')!r}, not sessionStart")
    last = None
    for i, item in enumerate(payload):
        pt = item.get("playerTime") if isinstance(item, dict) else None
        ts = pt.get("ts") if isinstance(pt, dict) else None
        if isinstance(ts, int | float) and not isinstance(ts, bool):
            if last is not None and ts < last:
                problems.append(f"event {i} is out of ts order ({ts} < {last})")
                break
            last = ts
    return problems


def process_batch(an: Analyzer, parsed: xch.ParsedExchange, deltas: list[Delta]) -> None:
    from mcscope.core.session import Delta

    ex = parsed.exchange
    legacy = parsed.endpoint == xch.SESSIONS
    payload = parsed.payload
    if parsed.skip_events and not isinstance(payload, list | dict):
        for raw in parsed.findings:
            an._transport(raw.rule, raw.message, ex, deltas, raw.severity)
        return
    s = an._new_session(f"downloaded:{ex.flow_id}", None, deltas, downloaded=True)
    items = payload if isinstance(payload, list) else [payload]
    events = [Event(i, None, ex.flow_id, item, ex.timestamp_start, ex.response_status, downloaded=True)
              for i, item in enumerate(items)]
    if not events:
        events = [Event(0, None, ex.flow_id, None, ex.timestamp_start, ex.response_status, downloaded=True)]
    first = events[0]
    an._attach(s, first, parsed)
    if legacy:
        params = first.params if first.event_type == "sessionStart" else {}
        if params.get("media.downloaded") is True:
            s.emit("downloaded-legacy", "array posted to /api/v1/sessions: deprecated, post downloaded batches to "
                   "/api/v1/downloaded", first)
        else:
            s.emit("downloaded-legacy", "array posted to /api/v1/sessions without media.downloaded: true on the "
                   "sessionStart: the collector answers 400 (use /api/v1/downloaded)", first)
    problems = batch_problems(payload)
    discarded = False
    if problems and not legacy:
        s.emit("downloaded-format", "; ".join(problems) + ": the whole batch is discarded", first, ignored=True)
        discarded = True
    accepted = an._status(s, first, parsed) and not discarded
    reason = RULES["downloaded-format"].consequence or "dropped"
    for ev in events:
        if not accepted:
            s.drop(ev, first.ignored_reason or reason)
        s.process(ev, live=False, accepted=accepted and ev.body is not None)
        deltas.append(Delta("event", s, ev))
    closed = any(ev.event_type in ("sessionComplete", "sessionEnd") for ev in events)
    if not closed:
        s.emit("downloaded-not-closed", "batch without sessionComplete or sessionEnd (Adobe's SDK appends a "
               "sessionEnd)", events[-1])
