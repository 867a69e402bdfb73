"""Downloaded content (rules.md §12), each rule both ways."""

from __future__ import annotations

from typing import Any

import pytest

from mcscope.core.rules.catalogue import RULES
from tests.builder import Capture, ad_params, start_params
from tests.core.rules.casetable import Table, assert_fires, assert_quiet, covers, findings

T = Table("downloaded")


def _events(c: Capture, closing: str | None = "sessionEnd", **params: Any) -> list[dict[str, Any]]:
    """A played-back offline session: sessionStart, play, pings every 50 s, then ``closing``."""
    out = [c.body("sessionStart", params=start_params(**params))]
    c.advance(1000)
    c.playing = True
    out.append(c.body("play"))
    for _ in range(3):
        c.advance(50_000)
        out.append(c.body("ping"))
    if closing:
        c.advance(1000)
        out.append(c.body(closing))
    return out


def _batch(body: Any, path: str = "/api/v1/downloaded", status: int = 201) -> Capture:
    c = Capture()
    c.post(path, body(c) if callable(body) else body, status=status)
    return c


# --- downloaded-format ------------------------------------------------------------------------------------
@T.fires("downloaded-format", event=0)
def object_instead_of_array():
    return _batch(lambda c: _events(c)[0])


@T.fires("downloaded-format", event=0)
def empty_array():
    return _batch([])


@T.fires("downloaded-format", event=0)
def first_event_not_session_start():
    return _batch(lambda c: _events(c)[1:])


@T.fires("downloaded-format", event=0)
def element_not_an_object():
    return _batch(lambda c: [*_events(c), "sessionEnd"])


@T.fires("downloaded-format", event=0)
def out_of_ts_order():
    def body(c: Capture) -> list[dict[str, Any]]:
        events = _events(c)
        events[2], events[3] = events[3], events[2]
        return events

    return _batch(body)


@T.quiet("downloaded-format")
def well_formed_batch():
    return _batch(_events)


@T.quiet("downloaded-format")
def equal_ts_are_in_order():
    def body(c: Capture) -> list[dict[str, Any]]:
        events = _events(c)
        events[3]["playerTime"]["ts"] = events[2]["playerTime"]["ts"]
        return events

    return _batch(body)


# --- downloaded-legacy ------------------------------------------------------------------------------------
@T.fires("downloaded-legacy", event=0)
def array_on_sessions_flagged_downloaded():
    return _batch(lambda c: _events(c, **{"media.downloaded": True}), path="/api/v1/sessions")


@T.fires("downloaded-legacy", event=0)
def array_on_sessions_without_flag():
    return _batch(_events, path="/api/v1/sessions", status=400)


@T.quiet("downloaded-legacy")
def array_on_downloaded():
    return _batch(_events)


# --- downloaded-flag-realtime -----------------------------------------------------------------------------
@T.fires("downloaded-flag-realtime", event=0)
def realtime_session_flagged_downloaded():
    c = Capture()
    c.start(start_params(media__downloaded=True))
    c.ev("play")
    return c


@T.quiet("downloaded-flag-realtime")
def realtime_session_flagged_not_downloaded():
    c = Capture()
    c.start(start_params(media__downloaded=False))
    c.ev("play")
    return c


@T.quiet("downloaded-flag-realtime")
def downloaded_batch_flagged_downloaded():
    return _batch(lambda c: _events(c, **{"media.downloaded": True}))


# --- downloaded-not-closed --------------------------------------------------------------------------------
@T.fires("downloaded-not-closed", event=4)
def batch_without_closing_event():
    return _batch(lambda c: _events(c, closing=None))


@T.quiet("downloaded-not-closed")
def batch_closed_by_session_complete():
    return _batch(lambda c: _events(c, closing="sessionComplete"))


@T.quiet("downloaded-not-closed")
def batch_closed_by_session_end():
    return _batch(_events)


test_fires, test_quiet = T.tests()


# --- details ---------------------------------------------------------------------------------------------
@covers("downloaded-format", fires=True)
def test_discarded_batch_drops_every_event():
    c = _batch(lambda c: _events(c)[1:])
    an = c.analyze()
    f = assert_fires(an, "downloaded-format", event=0, count=1)
    assert "'play'" in f.message
    s = an.sessions[0]
    assert s.downloaded and s.sid is None
    assert len(s.events) == 5
    assert all(e.ignored and e.ignored_reason == RULES["downloaded-format"].consequence for e in s.events)
    assert s.metrics()["content_time"] == 0


def test_well_formed_batch_is_spotless_and_counted():
    an = _batch(_events).analyze()
    assert an.all_findings() == []
    s = an.sessions[0]
    assert [e.event_type for e in s.events] == ["sessionStart", "play", "ping", "ping", "ping", "sessionEnd"]
    assert not any(e.ignored for e in s.events)
    assert s.metrics()["content_time"] == pytest.approx(151.0)


def test_rejected_batch_is_dropped():
    c = _batch(lambda c: _events(c)[:1] + [{"eventType": "play"}], status=400)
    an = c.analyze()
    assert_fires(an, "player-time-invalid", event=1)
    assert_fires(an, "http-rejected", event=0)
    assert all(e.ignored for e in an.sessions[0].events)


def test_events_inside_a_batch_get_the_envelope_rules():
    def body(c: Capture) -> list[dict[str, Any]]:
        events = _events(c)
        events[2]["params"] = {"x": 1}
        events[3]["playerTime"]["ts"] //= 1000
        return events

    an = _batch(body).analyze()
    assert_fires(an, "ping-params", event=2)
    assert_fires(an, "ts-units", event=3)
    assert_quiet(an, "session-timeout-idle")  # an offline batch is not a live session
    assert_quiet(an, "session-not-closed")


@covers("downloaded-legacy", fires=True)
def test_legacy_array_messages_tell_the_two_cases_apart():
    flagged = _batch(lambda c: _events(c, **{"media.downloaded": True}), path="/api/v1/sessions").analyze()
    plain = _batch(_events, path="/api/v1/sessions").analyze()
    assert "deprecated" in findings(flagged, "downloaded-legacy")[0].message
    assert "400" in findings(plain, "downloaded-legacy")[0].message
    for an in (flagged, plain):
        assert_quiet(an, "location-missing")  # no sid is expected for a batch
        assert_quiet(an, "body-not-object")
        assert_quiet(an, "downloaded-flag-realtime")


def _with_ad(c: Capture, ad_ms: int, pings_every: int | None = None) -> list[dict[str, Any]]:
    """An offline session with a mid-roll of one ad lasting ``ad_ms``, pinged every ``pings_every`` ms."""
    out = [c.body("sessionStart", params=start_params())]
    c.advance(1000)
    c.playing = True
    out.append(c.body("play"))
    c.advance(50_000)
    out.append(c.body("ping"))
    out.append(c.body("adBreakStart", params={"media.ad.podFriendlyName": "mid", "media.ad.podIndex": 1,
                                              "media.ad.podSecond": 51.0}))
    out.append(c.body("adStart", params=ad_params()))
    left = ad_ms
    while pings_every and left > pings_every:
        c.advance(pings_every)
        left -= pings_every
        out.append(c.body("ping"))
    c.advance(left)
    out.append(c.body("adComplete"))
    out.append(c.body("adBreakComplete"))
    out.append(c.body("play"))
    c.advance(50_000)
    out.append(c.body("ping"))
    c.advance(1000)
    out.append(c.body("sessionEnd"))
    return out


def test_offline_ads_follow_the_sdks_50_s_cadence():
    """R92: Adobe's SDK pings every 50 s in downloaded content, ads included: a 20 s ad without a ping and
    an ad pinged every 40 s are accepted; an ad silent for more than 50 s + tolerance is not."""
    assert_quiet(_batch(lambda c: _with_ad(c, 20_000)).analyze(), "ad-no-pings")
    assert_quiet(_batch(lambda c: _with_ad(c, 90_000, pings_every=40_000)).analyze(), "ad-ping-interval")
    assert_fires(_batch(lambda c: _with_ad(c, 52_001)).analyze(), "ad-no-pings")
    assert_quiet(_batch(lambda c: _with_ad(c, 52_000)).analyze(), "ad-no-pings")


def test_an_offline_gap_beyond_50_s_is_a_ping_interval():
    def body(c: Capture) -> list[dict[str, Any]]:
        events = _events(c, closing=None)
        c.advance(52_001)
        events.append(c.body("ping"))
        c.advance(1000)
        events.append(c.body("sessionEnd"))
        return events

    assert_fires(_batch(body).analyze(), "ping-interval")
    assert_quiet(_batch(_events).analyze(), "ping-interval")  # 50 s pings
