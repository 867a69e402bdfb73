"""Envelope and type rules (rules.md §2): one event body on its own, each rule both ways."""

from __future__ import annotations

import pytest

from mcscope.core.model import Severity
from tests.builder import Capture, ad_params, clean_vod, start_params
from tests.core.rules.casetable import (
    Table,
    assert_fires,
    covers,
    findings,
    raw_event,
    rewrite,
    started,
)

T = Table("envelope")


def _ping(fn, **kw):
    """started() + a ping (event 2) whose body ``fn`` edits."""
    c = started()
    raw_event(c, "ping", fn, dt=10000, **kw)
    return c


# --- unknown-top-level-key -----------------------------------------------------------------------------
@T.fires("unknown-top-level-key", event=2)
def extra_top_level_key():
    return _ping(lambda b: b.update(sessionId="x"))


@T.fires("unknown-top-level-key", event=0)
def misspelled_qoe_data():
    c = Capture()
    rewrite(c.start(), lambda b: b.update(qoedata={"media.qoe.bitrate": 100000}))
    return c


@T.quiet("unknown-top-level-key")
def all_five_members():
    c = Capture()
    c.start()
    c.ev("adBreakStart", params={"media.ad.podIndex": 1, "media.ad.podSecond": 0}, qoe={"media.qoe.bitrate": 100000})
    c.ev("adStart", params=ad_params(), cm={"campaign": "x"}, qoe={"media.qoe.bitrate": 100000})
    return c


# --- player-time-invalid -------------------------------------------------------------------------------
@T.fires("player-time-invalid", event=2)
def no_player_time():
    return _ping(lambda b: b.pop("playerTime"))


@T.fires("player-time-invalid", event=2)
def player_time_not_an_object():
    return _ping(lambda b: b.update(playerTime=[0, 1700000000000]))


@T.fires("player-time-invalid", event=2)
def player_time_without_ts():
    return _ping(lambda b: b["playerTime"].pop("ts"))


@T.fires("player-time-invalid", event=2)
def player_time_without_playhead():
    return _ping(lambda b: b["playerTime"].pop("playhead"))


@T.fires("player-time-invalid", event=2)
def player_time_with_extra_key():
    return _ping(lambda b: b["playerTime"].update(duration=600))


@T.quiet("player-time-invalid")
def player_time_exactly_playhead_and_ts():
    return clean_vod()


# --- playhead-type / playhead-negative -----------------------------------------------------------------
@pytest.mark.parametrize("value", ["12", True, None, [1]])
@covers("playhead-type", fires=True)
def test_playhead_not_a_number(value):
    an = _ping(lambda b: b["playerTime"].update(playhead=value)).analyze()
    assert_fires(an, "playhead-type", event=2)
    assert "playhead-negative" not in {f.rule for f in an.all_findings()}


@T.quiet("playhead-type")
def playhead_int_and_float():
    c = started()
    c.ev("ping", dt=10000, playhead=10)
    c.ev("ping", dt=10000, playhead=20.125)
    return c


@T.fires("playhead-negative", event=2)
def playhead_below_zero():
    return _ping(lambda b: b["playerTime"].update(playhead=-0.5))


@T.quiet("playhead-negative")
def playhead_zero():
    return _ping(lambda b: b["playerTime"].update(playhead=0))


# --- ts-type / ts-units / clock-skew -------------------------------------------------------------------
@pytest.mark.parametrize("value", [1700000010000.5, "1700000010000", True, None])
@covers("ts-type", fires=True)
def test_ts_not_an_integer(value):
    an = _ping(lambda b: b["playerTime"].update(ts=value)).analyze()
    assert_fires(an, "ts-type", event=2)


@T.quiet("ts-type")
def ts_integer():
    return clean_vod()


@T.fires("ts-units", event=2)
def ts_in_seconds():
    return _ping(lambda b: b["playerTime"].update(ts=1_700_000_010))


@T.fires("ts-units", event=2)
def ts_in_microseconds():
    return _ping(lambda b: b["playerTime"].update(ts=1_700_000_010_000_000))


@T.fires("ts-units", event=2)
def ts_float_in_seconds():
    return _ping(lambda b: b["playerTime"].update(ts=1_700_000_010.5))


@T.quiet("ts-units")
def ts_at_the_unit_bounds():
    c = Capture(t0=10**12)
    c.start()
    c.ev("play", ts=10**14)
    return c


def _skewed(skew_s: float, live: bool = True):
    c = Capture(live=live)
    c.start(received=c.ts / 1000)
    c.ev("play", dt=1000, received=(c.ts + 1000) / 1000 + skew_s)
    return c


@T.fires("clock-skew", event=1)
def ts_ten_minutes_behind_plus_one_ms():
    return _skewed(600.001)


@T.fires("clock-skew", event=1)
def ts_an_hour_ahead():
    return _skewed(-3600)


@T.quiet("clock-skew")
def skew_of_exactly_ten_minutes():
    return _skewed(600)


@T.quiet("clock-skew")
def skew_in_an_offline_capture():
    return _skewed(3600, live=False)


@T.quiet("clock-skew")
def skew_in_a_downloaded_batch():
    c = Capture(live=True)
    body = [c.body("sessionStart", params=start_params()), c.body("sessionEnd", ts=c.ts + 1000)]
    c.post("/api/v1/downloaded", body, status=201, received=c.ts / 1000 + 86400)
    return c


# --- event-type-unknown --------------------------------------------------------------------------------
@T.fires("event-type-unknown", event=2)
def event_type_pause():
    return _ping(lambda b: b.update(eventType="pause"))


@T.fires("event-type-unknown", event=2)
def event_type_wrong_case():
    return _ping(lambda b: b.update(eventType="Ping"))


@T.fires("event-type-unknown", event=2)
def event_type_missing():
    return _ping(lambda b: b.pop("eventType"))


@T.fires("event-type-unknown", event=2)
def event_type_not_a_string():
    return _ping(lambda b: b.update(eventType=3))


@T.quiet("event-type-unknown")
def states_update_is_known():
    c = started()
    c.ev("statesUpdate", params={"statesStart": [{"media.state.name": "mute"}]})
    return c


# --- params-missing ------------------------------------------------------------------------------------
@T.fires("params-missing", event=2)
def ad_break_start_without_params():
    c = started()
    c.ev("adBreakStart")
    return c


@T.fires("params-missing", event=2)
def state_start_params_a_list():
    c = started()
    c.ev("stateStart", params=[{"media.state.name": "mute"}])
    return c


@T.fires("params-missing", event=0)
def session_start_without_params():
    c = Capture()
    rewrite(c.start(), lambda b: b.pop("params"))
    return c


@T.quiet("params-missing")
def params_present_where_required():
    c = started()
    c.ev("stateStart", params={"media.state.name": "mute"})
    c.ev("stateEnd", params={"media.state.name": "mute"})
    c.ev("chapterStart", params={"media.chapter.index": 1, "media.chapter.offset": 3, "media.chapter.length": 60})
    return c


@T.quiet("params-missing")
def params_absent_on_events_that_take_none():
    c = started()
    c.ev("pauseStart")
    c.ev("play")
    return c


# --- params-unexpected / ping-params -------------------------------------------------------------------
@pytest.mark.parametrize("event_type", ["play", "pauseStart", "bufferStart", "bitrateChange", "adComplete", "adSkip",
                                        "adBreakComplete", "chapterComplete", "chapterSkip", "sessionComplete",
                                        "sessionEnd"])
@covers("params-unexpected", fires=True)
def test_params_on_events_that_take_none(event_type):
    c = started()
    c.ev(event_type, params={"media.x": "y"})
    assert_fires(c.analyze(), "params-unexpected", event=2)


@T.quiet("params-unexpected")
def empty_params_on_events_that_take_none():
    c = started()
    c.ev("pauseStart", params={})
    c.ev("play", params={})
    c.ev("sessionEnd", params={})
    return c


@T.fires("ping-params", event=2)
def ping_with_params():
    c = started()
    c.ev("ping", dt=10000, params={"media.playhead": 10})
    return c


@T.quiet("ping-params")
def ping_with_empty_params():
    c = started()
    c.ev("ping", dt=10000, params={})
    return c


# --- param-type / param-unknown ------------------------------------------------------------------------
@T.fires("param-type", event=0)
def media_length_as_string():
    c = Capture()
    c.start(start_params(media__length="600"))
    return c


@T.fires("param-type", event=0)
def enable_ssl_as_string():
    c = Capture()
    c.start(start_params(analytics__enableSSL="true"))
    return c


@T.fires("param-type", event=3)
def optional_ad_param_wrong_type():
    c = started()
    c.ev("adBreakStart", params={"media.ad.podIndex": 1, "media.ad.podSecond": 1})
    c.ev("adStart", params=ad_params(media__ad__name=7))
    return c


@T.quiet("param-type")
def known_params_with_their_types():
    c = Capture()
    c.start(start_params(analytics__enableSSL=True, media__length=600.5, visitor__aamLocationHint=9,
                         media__resume=False, visitor__customerIDs={"crm": {"id": "u1", "authState": 1}}))
    return c


@T.fires("param-unknown", event=0)
def unknown_session_start_param():
    c = Capture()
    c.start(start_params(**{"media.myCustomField": "x"}))
    return c


@T.quiet("param-unknown")
def standard_metadata_is_known():
    c = Capture()
    c.start(start_params(media__show="Show", media__season="1", media__showType="0", media__sdkVersion="1.0"))
    return c


@T.quiet("param-unknown")
def unknown_param_on_ad_start_is_not_param_unknown():
    c = started()
    c.ev("adBreakStart", params={"media.ad.podIndex": 1, "media.ad.podSecond": 1})
    c.ev("adStart", params=ad_params(**{"media.ad.myField": "x"}))
    return c


# --- customMetadata --------------------------------------------------------------------------------------
@T.fires("custom-metadata-placement", event=2)
def custom_metadata_on_ping():
    c = started()
    c.ev("ping", dt=10000, cm={"k": "v"})
    return c


@T.quiet("custom-metadata-placement")
def custom_metadata_where_allowed():
    c = Capture()
    rewrite(c.start(), lambda b: b.update(customMetadata={"k": "v"}))
    c.ev("adBreakStart", params={"media.ad.podIndex": 1, "media.ad.podSecond": 0})
    c.ev("adStart", params=ad_params(), cm={"k": "v"})
    c.ev("adComplete")
    c.ev("adBreakComplete")
    c.ev("chapterStart", params={"media.chapter.index": 1, "media.chapter.offset": 0, "media.chapter.length": 60},
         cm={"k": "v"})
    return c


@T.fires("custom-metadata-format", event=0)
def custom_metadata_not_an_object():
    c = Capture()
    rewrite(c.start(), lambda b: b.update(customMetadata=["k", "v"]))
    return c


@T.fires("custom-metadata-format", event=0)
def custom_metadata_value_not_a_string():
    c = Capture()
    rewrite(c.start(), lambda b: b.update(customMetadata={"season": 2}))
    return c


@T.fires("custom-metadata-format", event=0)
def custom_metadata_nested():
    c = Capture()
    rewrite(c.start(), lambda b: b.update(customMetadata={"show": {"name": "x"}}))
    return c


@T.fires("custom-metadata-format", event=0)
def custom_metadata_key_with_dash():
    c = Capture()
    rewrite(c.start(), lambda b: b.update(customMetadata={"my-key": "x"}))
    return c


@T.quiet("custom-metadata-format")
def custom_metadata_well_formed():
    c = Capture()
    rewrite(c.start(), lambda b: b.update(customMetadata={"my_key.Sub9": "x", "empty": ""}))
    return c


@T.fires("custom-metadata-reserved", event=0, severity=Severity.ERROR)
def custom_metadata_a_prefix():
    c = Capture()
    rewrite(c.start(), lambda b: b.update(customMetadata={"a.x": "v"}))
    return c


@T.fires("custom-metadata-reserved", event=0, severity=Severity.WARNING)
def custom_metadata_media_prefix():
    c = Capture()
    rewrite(c.start(), lambda b: b.update(customMetadata={"media.x": "v"}))
    return c


@T.quiet("custom-metadata-reserved")
def custom_metadata_prefix_lookalikes():
    c = Capture()
    rewrite(c.start(), lambda b: b.update(customMetadata={"ab.x": "v", "media_x": "v", "a": "v", "mediax.y": "v"}))
    return c


# --- qoeData -------------------------------------------------------------------------------------------
@T.fires("qoe-unknown-key", event=2)
def bare_bitrate_key():
    c = started()
    c.ev("bitrateChange", qoe={"bitrate": 100000})
    return c


@T.fires("qoe-unknown-key", event=2)
def qoe_data_not_an_object():
    return _ping(lambda b: b.update(qoeData=[100000]))


@T.quiet("qoe-unknown-key")
def documented_qoe_keys():
    c = started()
    c.ev("error", qoe={"media.qoe.errorID": "E1", "media.qoe.errorSource": "player", "media.qoe.bitrate": 100000,
                       "media.qoe.droppedFrames": 0, "media.qoe.framesPerSecond": 30, "media.qoe.timeToStart": 900})
    c.ev("play")
    return c


@pytest.mark.parametrize("key", ["media.qoe.bitrate", "media.qoe.droppedFrames", "media.qoe.framesPerSecond",
                                 "media.qoe.timeToStart"])
@pytest.mark.parametrize("value", ["100000", 1.5, True])
@covers("qoe-type", fires=True)
def test_qoe_value_not_an_integer(key, value):
    c = started()
    c.ev("ping", dt=10000, qoe={key: value})
    assert_fires(c.analyze(), "qoe-type", event=2)


@T.quiet("qoe-type")
def qoe_integers():
    c = started()
    c.ev("bitrateChange", qoe={"media.qoe.bitrate": 2_000_000, "media.qoe.framesPerSecond": 25})
    return c


test_fires, test_quiet = T.tests()


# --- details ---------------------------------------------------------------------------------------------
def test_messages_name_the_offending_value():
    c = started()
    raw_event(c, "ping", lambda b: b["playerTime"].update(ts=1_700_000_010), dt=10000)
    c.ev("bitrateChange", qoe={"bitrate": 5})
    c.ev("ping", dt=10000, params={"media.foo": 1})
    an = c.analyze()
    assert "1700000010" in findings(an, "ts-units")[0].message
    assert "'bitrate'" in findings(an, "qoe-unknown-key")[0].message
    assert "media.foo" in findings(an, "ping-params")[0].message


def test_each_bad_custom_metadata_key_is_reported():
    c = Capture()
    rewrite(c.start(), lambda b: b.update(customMetadata={"a.one": "x", "media.two": "y", "bad key": "z"}))
    an = c.analyze()
    reserved = sorted((f.severity, f.message) for f in findings(an, "custom-metadata-reserved"))
    assert [sev for sev, _ in reserved] == [Severity.WARNING, Severity.ERROR]
    assert len(findings(an, "custom-metadata-format")) == 1


def test_event_with_an_unknown_type_is_judged_without_its_params():
    c = started()
    c.ev("seekStart", params={"anything": 1}, cm={"k": "v"})
    an = c.analyze()
    rules_fired = {f.rule for f in an.all_findings()}
    assert "event-type-unknown" in rules_fired
    assert not rules_fired & {"params-unexpected", "param-unknown", "custom-metadata-placement"}
