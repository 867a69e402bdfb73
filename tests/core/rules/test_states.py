"""Player states (rules.md §10)."""

from __future__ import annotations

from mcscope.core.model import Severity
from tests.builder import Capture
from tests.core.rules.casetable import LAST, Table, findings, playing

T = Table("states")

NAME = "media.state.name"


def state(c: Capture, event: str, name: object) -> None:
    c.ev(event, dt=100, params={NAME: name})


def update(c: Capture, start: object = None, end: object = None) -> None:
    params = {}
    if start is not None:
        params["statesStart"] = start
    if end is not None:
        params["statesEnd"] = end
    c.ev("statesUpdate", dt=100, params=params)


# --- fires ----------------------------------------------------------------------------------------------
@T.fires("state-params", event=LAST)
def _name_not_string() -> Capture:
    c = playing()
    state(c, "stateStart", 5)
    return c


@T.fires("state-params", event=LAST)
def _name_missing() -> Capture:
    c = playing()
    c.ev("stateEnd", dt=100, params={"name": "mute"})
    return c


@T.fires("state-params", event=LAST)
def _update_not_a_list() -> Capture:
    c = playing()
    update(c, start={NAME: "mute"})
    return c


@T.fires("state-params", event=LAST)
def _update_bad_item() -> Capture:
    c = playing()
    update(c, start=[{NAME: "mute"}, "fullscreen"])
    return c


@T.fires("state-params", event=LAST)
def _update_empty() -> Capture:
    c = playing()
    update(c)
    return c


@T.fires("state-limit", event=LAST)
def _eleven_states() -> Capture:
    c = playing()
    for n in range(11):
        state(c, "stateStart", f"state{n}")
    return c


@T.fires("state-limit", event=LAST)
def _eleven_states_via_update() -> Capture:
    c = playing()
    update(c, start=[{NAME: f"state{n}"} for n in range(6)])
    update(c, end=[{NAME: f"state{n}"} for n in range(6)], start=[{NAME: f"other{n}"} for n in range(5)])
    return c


@T.fires("state-redundant", event=LAST)
def _start_twice() -> Capture:
    c = playing()
    state(c, "stateStart", "mute")
    state(c, "stateStart", "mute")
    return c


@T.fires("state-redundant", event=LAST)
def _end_inactive() -> Capture:
    c = playing()
    state(c, "stateEnd", "mute")
    return c


@T.fires("state-redundant", event=2)
def _end_twice_in_fragment() -> Capture:
    c = Capture()  # no sessionStart: the first stateEnd is fine, the second one is known to be redundant
    c.ev("ping", dt=1000)
    state(c, "stateEnd", "mute")
    state(c, "stateEnd", "mute")
    return c


@T.fires("state-name-format", event=LAST)
def _bad_name() -> Capture:
    c = playing()
    state(c, "stateStart", "full screen")
    return c


@T.fires("state-name-format", event=LAST)
def _name_too_long() -> Capture:
    c = playing()
    update(c, start=[{NAME: "x" * 65}])
    return c


@T.fires("state-name-format", event=LAST, severity=Severity.INFO)
def _mixed_spelling() -> Capture:
    c = playing()
    state(c, "stateStart", "fullscreen")
    state(c, "stateEnd", "fullscreen")
    state(c, "stateStart", "fullScreen")
    return c


# --- near misses -----------------------------------------------------------------------------------------
@T.quiet("state-params", "valid stateStart/stateEnd/statesUpdate")
@T.quiet("state-redundant", "alternating start and end")
@T.quiet("state-name-format", "one spelling, repeated")
def _valid_states() -> Capture:
    c = playing()
    state(c, "stateStart", "fullscreen")
    update(c, start=[{NAME: "mute"}, {NAME: "closedCaptioning"}])
    update(c, end=[{NAME: "mute"}], start=[])
    state(c, "stateEnd", "fullscreen")
    state(c, "stateStart", "fullscreen")
    update(c, end=[{NAME: "closedCaptioning"}, {NAME: "fullscreen"}])
    return c


@T.quiet("state-limit", "ten distinct states")
def _ten_states() -> Capture:
    c = playing()
    for n in range(10):
        state(c, "stateStart", f"state{n}")
    for n in range(10):
        state(c, "stateEnd", f"state{n}")
    state(c, "stateStart", "state0")  # a known name again: still ten distinct ones
    return c


@T.quiet("state-redundant", "stateEnd in a fragment")
def _end_in_fragment() -> Capture:
    c = Capture()  # the stateStart happened before the capture began
    c.ev("ping", dt=1000)
    state(c, "stateEnd", "mute")
    update(c, end=[{NAME: "fullscreen"}])
    return c


@T.quiet("state-redundant", "stateStart in a fragment")
def _start_in_fragment() -> Capture:
    c = Capture()
    c.ev("ping", dt=1000)
    state(c, "stateStart", "mute")  # maybe active already; unknown, so not redundant
    return c


@T.quiet("state-name-format", "64 allowed characters")
def _name_64() -> Capture:
    c = playing()
    state(c, "stateStart", "a.b_C9" + "x" * 58)
    return c


test_fires, test_quiet = T.tests()


def test_state_limit_once() -> None:
    c = _eleven_states()
    state(c, "stateStart", "twelfth")
    assert len(findings(c.analyze(), "state-limit")) == 1


def test_bad_name_is_warning() -> None:
    c = _bad_name()
    assert findings(c.analyze(), "state-name-format")[0].severity == Severity.WARNING
