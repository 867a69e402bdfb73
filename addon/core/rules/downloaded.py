"""Downloaded content (rules.md §12): batches on /api/v1/downloaded and the legacy array on /sessions.

The analyzer splits a batch into events and feeds them to their session (``Analyzer._downloaded``);
this module only judges the batch as a whole.
"""

from __future__ import annotations

from typing import Any

from mcscope.core.rules.catalogue import RULES
from mcscope.core.state import Event, SessionState

DISCARDED = RULES["downloaded-format"].consequence or "dropped"


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


def check_legacy(s: SessionState, first: Event) -> None:
    """R89: an array posted to /api/v1/sessions."""
    params = first.params if first.event_type == "sessionStart" else {}
    if params.get("media.downloaded") is True:
        s.emit("downloaded-legacy", "array posted to /api/v1/sessions: deprecated, post downloaded batches to "
               "/api/v1/downloaded", first)
    else:
        s.emit("downloaded-legacy", "array posted to /api/v1/sessions without media.downloaded: true on the "
               "sessionStart: the collector answers 400 (use /api/v1/downloaded)", first)


def check_format(s: SessionState, first: Event, payload: Any) -> bool:
    """R88 on /api/v1/downloaded. True when the collector discards the whole batch."""
    problems = batch_problems(payload)
    if not problems:
        return False
    s.emit("downloaded-format", "; ".join(problems) + ": the whole batch is discarded", first, ignored=True)
    return True


def check_closed(s: SessionState, events: list[Event]) -> None:
    """R91: a batch without sessionComplete/sessionEnd."""
    if not any(ev.event_type in ("sessionComplete", "sessionEnd") for ev in events):
        s.emit("downloaded-not-closed", "batch without sessionComplete or sessionEnd (Adobe's SDK appends a "
               "sessionEnd)", events[-1])
