"""Player states (rules.md §10)."""

from __future__ import annotations

from typing import Any

from mcscope.core import spec
from mcscope.core.model import Severity
from mcscope.core.state import Event, SessionState

NAME_KEY = "media.state.name"


def handle(s: SessionState, ev: Event) -> None:
    et = ev.event_type
    if et in ("stateStart", "stateEnd"):
        if not isinstance((ev.body or {}).get("params"), dict):
            return  # params-missing
        name = ev.params.get(NAME_KEY)
        if not isinstance(name, str):
            what = "missing" if name is None else f"a {spec.json_type_name(name)}"
            s.emit("state-params", f"{et}: {NAME_KEY} is {what}, expected a string", ev)
            return
        _apply(s, ev, name, start=et == "stateStart")
    elif et == "statesUpdate":
        _update(s, ev)


def _update(s: SessionState, ev: Event) -> None:
    body_params = (ev.body or {}).get("params")
    if not isinstance(body_params, dict):
        return
    lists: dict[str, list[str]] = {}
    for key in ("statesEnd", "statesStart"):
        if key not in body_params:
            continue
        names = _names(body_params[key])
        if names is None:
            s.emit("state-params", f"statesUpdate {key} is not a list of {{\"{NAME_KEY}\": string}}", ev)
            continue
        lists[key] = names
    if "statesStart" not in body_params and "statesEnd" not in body_params:
        s.emit("state-params", "statesUpdate has neither statesStart nor statesEnd", ev)
    for name in lists.get("statesEnd", []):
        _apply(s, ev, name, start=False)
    for name in lists.get("statesStart", []):
        _apply(s, ev, name, start=True)


def _names(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    names = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get(NAME_KEY), str):
            return None
        names.append(item[NAME_KEY])
    return names


def _apply(s: SessionState, ev: Event, name: str, start: bool) -> None:
    if not spec.STATE_NAME_RE.match(name):
        s.emit("state-name-format", f"state name {name!r} does not match ^[a-zA-Z0-9_.]{{1,64}}$", ev)
    spellings = s.state_spellings.setdefault(name.lower(), set())
    if name not in spellings:
        spellings.add(name)
        if len(spellings) == 2:
            s.emit("state-name-format", f"mixed spellings of one state: {', '.join(sorted(spellings))}", ev,
                   severity=Severity.INFO)
    if name not in s.seen_states:
        s.seen_states.append(name)
        if len(s.seen_states) == spec.STATE_LIMIT + 1:
            s.emit("state-limit", f"more than {spec.STATE_LIMIT} distinct player states: {name!r} and later ones "
                   "are not kept", ev)
    known = s.observed_start or name in s.known_states
    active = name in s.active_states
    if start:
        if known and active:
            s.emit("state-redundant", f"stateStart of {name!r}, which is already active", ev)
        s.active_states.add(name)
        if s.timeline is not None and not active:
            s.timeline.open("state", name, name, ev.t, name, event=ev.index)
    else:
        if known and not active:
            s.emit("state-redundant", f"stateEnd of {name!r}, which is not active", ev)
        s.active_states.discard(name)
        if s.timeline is not None:
            if s.timeline.close("state", name, ev.t) is None and not known:
                # the state began before the capture: draw it from the first event we saw
                seg = s.timeline.open("state", name, name, s.events[0].t if s.events else ev.t, name)
                s.timeline.close("state", name, ev.t)
                del seg
    s.known_states.add(name)
