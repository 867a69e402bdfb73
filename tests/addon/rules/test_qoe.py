"""QoE and errors (rules.md §11)."""

from __future__ import annotations

import pytest

from tests.addon.builder import Capture, start_params
from tests.addon.rules.rulecase import (
    Fires,
    Quiet,
    assert_fires,
    assert_quiet,
    found,
    ids,
    last,
    playing,
    session,
)

BITRATE = "media.qoe.bitrate"
DROPPED = "media.qoe.droppedFrames"
TTS = "media.qoe.timeToStart"
ERROR_ID = "media.qoe.errorID"
ERROR_SOURCE = "media.qoe.errorSource"


def _error(c: Capture, dt: int = 1000, **qoe: object) -> None:
    c.ev("error", dt=dt, qoe={k.replace("__", "."): v for k, v in qoe.items()} or None)


# --- fires ----------------------------------------------------------------------------------------------
def _bitrate_change_without_bitrate() -> tuple[Capture, int]:
    c = playing()
    c.ev("bitrateChange", dt=1000, qoe={"media.qoe.framesPerSecond": 30})
    return c, last(c)


def _bitrate_change_without_qoe() -> tuple[Capture, int]:
    c = playing()
    c.ev("bitrateChange", dt=1000)
    return c, last(c)


def _dropped_frames_reset() -> tuple[Capture, int]:
    c = playing()
    c.ev("ping", dt=10000, qoe={DROPPED: 12})
    c.ev("ping", dt=10000, qoe={DROPPED: 3})
    return c, last(c)


def _tts_changed_later() -> tuple[Capture, int]:
    c = Capture()
    c.start(start_params())
    c.ev("play", dt=1500, qoe={TTS: 1500})
    c.ev("ping", dt=10000, qoe={TTS: 1600})
    return c, last(c)


def _bitrate_kbps() -> tuple[Capture, int]:
    c = playing()
    c.ev("bitrateChange", dt=1000, qoe={BITRATE: 4500})
    return c, last(c)


def _bare_error() -> tuple[Capture, int]:
    c = playing()
    _error(c)
    return c, last(c)


def _error_without_source() -> tuple[Capture, int]:
    c = playing()
    _error(c, media__qoe__errorID="E42")
    return c, last(c)


def _error_bad_source() -> tuple[Capture, int]:
    c = playing()
    _error(c, media__qoe__errorID="E42", media__qoe__errorSource="network")
    return c, last(c)


def _error_source_not_a_string() -> tuple[Capture, int]:
    c = playing()
    _error(c, media__qoe__errorID="E42", media__qoe__errorSource=["player"])  # once a TypeError (unhashable)
    return c, last(c)


def _error_then_complete() -> tuple[Capture, int]:
    c = playing()
    c.ping_for(10)
    _error(c, media__qoe__errorID="E42", media__qoe__errorSource="player")
    c.ev("ping", dt=9000)
    c.ev("sessionComplete", dt=1000)
    return c, 3  # points at the error


FIRES = [
    Fires("bitrate-missing", _bitrate_change_without_bitrate),
    Fires("bitrate-missing", _bitrate_change_without_qoe),
    Fires("dropped-frames-decrease", _dropped_frames_reset),
    Fires("time-to-start-changed", _tts_changed_later),
    Fires("bitrate-units", _bitrate_kbps),
    Fires("error-without-id", _bare_error),
    Fires("error-without-id", _error_without_source),
    Fires("error-without-id", _error_bad_source),
    Fires("error-without-id", _error_source_not_a_string),
    Fires("error-not-followed", _error_then_complete),
]


# --- near misses -----------------------------------------------------------------------------------------
def _bitrate_change_ok() -> Capture:
    c = playing()
    c.ev("bitrateChange", dt=1000, qoe={BITRATE: 10000})
    c.ev("bitrateChange", dt=1000, qoe={BITRATE: 3_000_000, DROPPED: 0})
    return c


def _dropped_frames_grow() -> Capture:
    c = playing()
    c.ev("ping", dt=10000, qoe={DROPPED: 0})
    c.ev("ping", dt=10000, qoe={DROPPED: 7})
    c.ev("ping", dt=10000, qoe={DROPPED: 7})
    c.ev("ping", dt=10000)
    c.ev("ping", dt=10000, qoe={DROPPED: 9})
    return c


def _tts_frozen() -> Capture:
    c = Capture()
    c.start(start_params())
    c.ev("play", dt=1500, qoe={TTS: 1500})
    c.ev("ping", dt=10000, qoe={TTS: 1500})
    c.ev("ping", dt=10000, qoe={BITRATE: 2_000_000})
    return c


def _tts_set_at_first_play() -> Capture:
    """A provisional value before the first frame, the real one on the first play: not a change after it."""
    c = session()
    c.ev("bufferStart", dt=100, qoe={TTS: 0})
    c.ev("play", dt=1500, qoe={TTS: 1600})
    c.ev("ping", dt=10000, qoe={TTS: 1600})
    return c


def _error_with_id() -> Capture:
    c = playing()
    _error(c, media__qoe__errorID="E42", media__qoe__errorSource="external")
    c.ev("play", dt=1000)
    return c


def _error_then_play() -> Capture:
    c = playing()
    c.ping_for(10)
    _error(c)
    c.ev("play", dt=2000)
    c.ev("ping", dt=8000)
    c.ev("sessionComplete", dt=1000)
    return c


def _error_then_end() -> Capture:
    c = playing()
    c.ping_for(10)
    _error(c)
    c.ev("sessionEnd", dt=100)
    return c


def _error_at_capture_end() -> Capture:
    c = playing()
    c.ping_for(10)
    _error(c)  # the capture stops: the play or sessionEnd may simply come later
    return c


QUIET = [
    Quiet("bitrate-missing", "bitrateChange with a bitrate", _bitrate_change_ok),
    Quiet("dropped-frames-decrease", "cumulative counts", _dropped_frames_grow),
    Quiet("time-to-start-changed", "frozen value", _tts_frozen),
    Quiet("time-to-start-changed", "real value on the first play", _tts_set_at_first_play),
    Quiet("bitrate-units", "10000 bps", _bitrate_change_ok),
    Quiet("error-without-id", "errorID and errorSource", _error_with_id),
    Quiet("error-not-followed", "error, then play", _error_then_play),
    Quiet("error-not-followed", "error, then sessionEnd", _error_then_end),
    Quiet("error-not-followed", "error at capture end", _error_at_capture_end),
]


@pytest.mark.parametrize("case", FIRES, ids=ids)
def test_fires(case: Fires) -> None:
    assert_fires(case)


@pytest.mark.parametrize("case", QUIET, ids=ids)
def test_quiet(case: Quiet) -> None:
    assert_quiet(case)


def test_error_in_params_form_is_accepted() -> None:
    c = playing()
    c.ev("error", dt=1000, params={"media.errorId": "E1", "media.errorSource": "player"})
    assert not found(c.analyze(), "error-without-id")


def test_bitrate_units_once() -> None:
    c, _ = _bitrate_kbps()
    c.ev("bitrateChange", dt=1000, qoe={BITRATE: 3000})
    assert len(found(c.analyze(), "bitrate-units")) == 1


def test_qoe_counts() -> None:
    c = playing()
    c.ev("bitrateChange", dt=1000, qoe={BITRATE: 2_000_000})
    _error(c, media__qoe__errorID="E1", media__qoe__errorSource="player")
    c.ev("play", dt=500)
    c.ev("bitrateChange", dt=1000, qoe={BITRATE: 3_000_000})
    m = c.analyze().sessions[0].metrics()
    assert (m["bitrate_changes"], m["errors"]) == (2, 1)
