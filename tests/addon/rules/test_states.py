"""Player states (rules.md §10)."""

from __future__ import annotations

import pytest

from addon.model import Severity
from tests.addon.builder import Capture
from tests.addon.rules.rulecase import Fires, Quiet, assert_fires, assert_quiet, found, ids, last, playing

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
def _name_not_string() -> tuple[Capture, int]:
    c = playing()
    state(c, "stateStart", 5)
    return c, last(c)


def _name_missing() -> tuple[Capture, int]:
    c = playing()
    c.ev("stateEnd", dt=100, params={"name": "mute"})
    return c, last(c)


def _update_not_a_list() -> tuple[Capture, int]:
    c = playing()
    update(c, start={NAME: "mute"})
    return c, last(c)


def _update_bad_item() -> tuple[Capture, int]:
    c = playing()
    update(c, start=[{NAME: "mute"}, "fullscreen"])
    return c, last(c)


def _update_empty() -> tuple[Capture, int]:
    c = playing()
    update(c)
    return c, last(c)


def _eleven_states() -> tuple[Capture, int]:
    c = playing()
    for n in range(11):
        state(c, "stateStart", f"state{n}")
    return c, last(c)


def _eleven_states_via_update() -> tuple[Capture, int]:
    c = playing()
    update(c, start=[{NAME: f"state{n}"} for n in range(6)])
    update(c, end=[{NAME: f"state{n}"} for n in range(6)], start=[{NAME: f"other{n}"} for n in range(5)])
    return c, last(c)


def _start_twice() -> tuple[Capture, int]:
    c = playing()
    state(c, "stateStart", "mute")
    state(c, "stateStart", "mute")
    return c, last(c)


def _end_inactive() -> tuple[Capture, int]:
    c = playing()
    state(c, "stateEnd", "mute")
    return c, last(c)


def _end_twice_in_fragment() -> tuple[Capture, int]:
    c = Capture()  # no sessionStart: the first stateEnd is fine, the second one is known to be redundant
    c.ev("ping", dt=1000)
    state(c, "stateEnd", "mute")
    state(c, "stateEnd", "mute")
    return c, 2


def _bad_name() -> tuple[Capture, int]:
    c = playing()
    state(c, "stateStart", "full screen")
    return c, last(c)


def _name_too_long() -> tuple[Capture, int]:
    c = playing()
    update(c, start=[{NAME: "x" * 65}])
    return c, last(c)


def _mixed_spelling() -> tuple[Capture, int]:
    c = playing()
    state(c, "stateStart", "fullscreen")
    state(c, "stateEnd", "fullscreen")
    state(c, "stateStart", "fullScreen")
    return c, last(c)


FIRES = [
    Fires("state-params", _name_not_string),
    Fires("state-params", _name_missing),
    Fires("state-params", _update_not_a_list),
    Fires("state-params", _update_bad_item),
    Fires("state-params", _update_empty),
    Fires("state-limit", _eleven_states),
    Fires("state-limit", _eleven_states_via_update),
    Fires("state-redundant", _start_twice),
    Fires("state-redundant", _end_inactive),
    Fires("state-redundant", _end_twice_in_fragment),
    Fires("state-name-format", _bad_name),
    Fires("state-name-format", _name_too_long),
    Fires("state-name-format", _mixed_spelling, severity=Severity.INFO),
]


# --- near misses -----------------------------------------------------------------------------------------
def _valid_states() -> Capture:
    c = playing()
    state(c, "stateStart", "fullscreen")
    update(c, start=[{NAME: "mute"}, {NAME: "closedCaptioning"}])
    update(c, end=[{NAME: "mute"}], start=[])
    state(c, "stateEnd", "fullscreen")
    state(c, "stateStart", "fullscreen")
    update(c, end=[{NAME: "closedCaptioning"}, {NAME: "fullscreen"}])
    return c


def _ten_states() -> Capture:
    c = playing()
    for n in range(10):
        state(c, "stateStart", f"state{n}")
    for n in range(10):
        state(c, "stateEnd", f"state{n}")
    state(c, "stateStart", "state0")  # a known name again: still ten distinct ones
    return c


def _end_in_fragment() -> Capture:
    c = Capture()  # the stateStart happened before the capture began
    c.ev("ping", dt=1000)
    state(c, "stateEnd", "mute")
    update(c, end=[{NAME: "fullscreen"}])
    return c


def _start_in_fragment() -> Capture:
    c = Capture()
    c.ev("ping", dt=1000)
    state(c, "stateStart", "mute")  # maybe active already; unknown, so not redundant
    return c


def _name_64() -> Capture:
    c = playing()
    state(c, "stateStart", "a.b_C9" + "x" * 58)
    return c


QUIET = [
    Quiet("state-params", "valid stateStart/stateEnd/statesUpdate", _valid_states),
    Quiet("state-limit", "ten distinct states", _ten_states),
    Quiet("state-redundant", "alternating start and end", _valid_states),
    Quiet("state-redundant", "stateEnd in a fragment", _end_in_fragment),
    Quiet("state-redundant", "stateStart in a fragment", _start_in_fragment),
    Quiet("state-name-format", "one spelling, repeated", _valid_states),
    Quiet("state-name-format", "64 allowed characters", _name_64),
]


@pytest.mark.parametrize("case", FIRES, ids=ids)
def test_fires(case: Fires) -> None:
    assert_fires(case)


@pytest.mark.parametrize("case", QUIET, ids=ids)
def test_quiet(case: Quiet) -> None:
    assert_quiet(case)


def test_state_limit_once() -> None:
    c, _ = _eleven_states()
    state(c, "stateStart", "twelfth")
    assert len(found(c.analyze(), "state-limit")) == 1


def test_bad_name_is_warning() -> None:
    c, _ = _bad_name()
    assert found(c.analyze(), "state-name-format")[0].severity == Severity.WARNING
