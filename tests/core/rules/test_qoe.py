"""QoE and errors (rules.md §11)."""

from __future__ import annotations

from tests.builder import Capture, start_params
from tests.core.rules.casetable import LAST, Table, findings, playing, session

T = Table("qoe")

BITRATE = "media.qoe.bitrate"
DROPPED = "media.qoe.droppedFrames"
TTS = "media.qoe.timeToStart"
ERROR_ID = "media.qoe.errorID"
ERROR_SOURCE = "media.qoe.errorSource"


def _error(c: Capture, dt: int = 1000, **qoe: object) -> None:
    c.ev("error", dt=dt, qoe={k.replace("__", "."): v for k, v in qoe.items()} or None)


# --- fires ----------------------------------------------------------------------------------------------
@T.fires("bitrate-missing", event=LAST)
def _bitrate_change_without_bitrate() -> Capture:
    c = playing()
    c.ev("bitrateChange", dt=1000, qoe={"media.qoe.framesPerSecond": 30})
    return c


@T.fires("bitrate-missing", event=LAST)
def _bitrate_change_without_qoe() -> Capture:
    c = playing()
    c.ev("bitrateChange", dt=1000)
    return c


@T.fires("dropped-frames-decrease", event=LAST)
def _dropped_frames_reset() -> Capture:
    c = playing()
    c.ev("ping", dt=10000, qoe={DROPPED: 12})
    c.ev("ping", dt=10000, qoe={DROPPED: 3})
    return c


@T.fires("time-to-start-changed", event=LAST)
def _tts_changed_later() -> Capture:
    c = Capture()
    c.start(start_params())
    c.ev("play", dt=1500, qoe={TTS: 1500})
    c.ev("ping", dt=10000, qoe={TTS: 1600})
    return c


@T.fires("bitrate-units", event=LAST)
def _bitrate_kbps() -> Capture:
    c = playing()
    c.ev("bitrateChange", dt=1000, qoe={BITRATE: 4500})
    return c


@T.fires("error-without-id", event=LAST)
def _bare_error() -> Capture:
    c = playing()
    _error(c)
    return c


@T.fires("error-without-id", event=LAST)
def _error_without_source() -> Capture:
    c = playing()
    _error(c, media__qoe__errorID="E42")
    return c


@T.fires("error-without-id", event=LAST)
def _error_bad_source() -> Capture:
    c = playing()
    _error(c, media__qoe__errorID="E42", media__qoe__errorSource="network")
    return c


@T.fires("error-without-id", event=LAST)
def _error_source_not_a_string() -> Capture:
    c = playing()
    _error(c, media__qoe__errorID="E42", media__qoe__errorSource=["player"])  # once a TypeError (unhashable)
    return c


@T.fires("error-not-followed", event=3)  # points at the error
def _error_then_complete() -> Capture:
    c = playing()
    c.ping_for(10)
    _error(c, media__qoe__errorID="E42", media__qoe__errorSource="player")
    c.ev("ping", dt=9000)
    c.ev("sessionComplete", dt=1000)
    return c


# --- near misses -----------------------------------------------------------------------------------------
@T.quiet("bitrate-missing", "bitrateChange with a bitrate")
@T.quiet("bitrate-units", "10000 bps")
def _bitrate_change_ok() -> Capture:
    c = playing()
    c.ev("bitrateChange", dt=1000, qoe={BITRATE: 10000})
    c.ev("bitrateChange", dt=1000, qoe={BITRATE: 3_000_000, DROPPED: 0})
    return c


@T.quiet("dropped-frames-decrease", "cumulative counts")
def _dropped_frames_grow() -> Capture:
    c = playing()
    c.ev("ping", dt=10000, qoe={DROPPED: 0})
    c.ev("ping", dt=10000, qoe={DROPPED: 7})
    c.ev("ping", dt=10000, qoe={DROPPED: 7})
    c.ev("ping", dt=10000)
    c.ev("ping", dt=10000, qoe={DROPPED: 9})
    return c


@T.quiet("time-to-start-changed", "frozen value")
def _tts_frozen() -> Capture:
    c = Capture()
    c.start(start_params())
    c.ev("play", dt=1500, qoe={TTS: 1500})
    c.ev("ping", dt=10000, qoe={TTS: 1500})
    c.ev("ping", dt=10000, qoe={BITRATE: 2_000_000})
    return c


@T.quiet("time-to-start-changed", "real value on the first play")
def _tts_set_at_first_play() -> Capture:
    """A provisional value before the first frame, the real one on the first play: not a change after it."""
    c = session()
    c.ev("bufferStart", dt=100, qoe={TTS: 0})
    c.ev("play", dt=1500, qoe={TTS: 1600})
    c.ev("ping", dt=10000, qoe={TTS: 1600})
    return c


@T.quiet("error-without-id", "errorID and errorSource")
def _error_with_id() -> Capture:
    c = playing()
    _error(c, media__qoe__errorID="E42", media__qoe__errorSource="external")
    c.ev("play", dt=1000)
    return c


@T.quiet("error-not-followed", "error, then play")
def _error_then_play() -> Capture:
    c = playing()
    c.ping_for(10)
    _error(c)
    c.ev("play", dt=2000)
    c.ev("ping", dt=8000)
    c.ev("sessionComplete", dt=1000)
    return c


@T.quiet("error-not-followed", "error, then sessionEnd")
def _error_then_end() -> Capture:
    c = playing()
    c.ping_for(10)
    _error(c)
    c.ev("sessionEnd", dt=100)
    return c


@T.quiet("error-not-followed", "error at capture end")
def _error_at_capture_end() -> Capture:
    c = playing()
    c.ping_for(10)
    _error(c)  # the capture stops: the play or sessionEnd may simply come later
    return c


test_fires, test_quiet = T.tests()


def test_error_in_params_form_is_accepted() -> None:
    c = playing()
    c.ev("error", dt=1000, params={"media.errorId": "E1", "media.errorSource": "player"})
    assert not findings(c.analyze(), "error-without-id")


def test_bitrate_units_once() -> None:
    c = _bitrate_kbps()
    c.ev("bitrateChange", dt=1000, qoe={BITRATE: 3000})
    assert len(findings(c.analyze(), "bitrate-units")) == 1


def test_qoe_counts() -> None:
    c = playing()
    c.ev("bitrateChange", dt=1000, qoe={BITRATE: 2_000_000})
    _error(c, media__qoe__errorID="E1", media__qoe__errorSource="player")
    c.ev("play", dt=500)
    c.ev("bitrateChange", dt=1000, qoe={BITRATE: 3_000_000})
    m = c.analyze().sessions[0].metrics()
    assert (m["bitrate_changes"], m["errors"]) == (2, 1)
