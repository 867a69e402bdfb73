"""sessionStart content (rules.md §3), each rule both ways."""

from __future__ import annotations

import pytest

from mcscope.core.model import Severity
from mcscope.core.spec import SESSION_START_REQUIRED
from tests.builder import Capture, start_params
from tests.core.rules.casetable import SID_B, Table, assert_fires, assert_quiet, covers, findings, rewrite

T = Table("session-start")


def _start(**params):
    c = Capture()
    c.start(start_params(**params))
    c.ev("play")
    return c


# --- session-start-required ----------------------------------------------------------------------------
@pytest.mark.parametrize("key", SESSION_START_REQUIRED)
@covers("session-start-required", fires=True)
def test_required_param_missing(key):
    an = _start(**{key: None}).analyze()
    f = assert_fires(an, "session-start-required", event=0, count=1)
    assert key in f.message


@T.fires("session-start-required", event=0)
def required_param_empty():
    return _start(media__channel="")


@T.fires("session-start-required", event=0)
def required_param_blank():
    return _start(**{"media.id": "   "})


@T.fires("session-start-required", event=0)
def required_param_null():
    c = Capture()
    rewrite(c.start(), lambda b: b["params"].update({"analytics.reportSuite": None}))
    return c


@T.fires("session-start-required", event=0)
def empty_params_object():
    c = Capture()
    c.start({})
    return c


@T.quiet("session-start-required")
def all_required_params():
    return _start()


# --- media-length-nonpositive / live-length ------------------------------------------------------------
@T.fires("media-length-nonpositive", event=0)
def media_length_zero():
    return _start(media__length=0)


@T.fires("media-length-nonpositive", event=0)
def media_length_negative():
    return _start(media__length=-1)


@T.quiet("media-length-nonpositive")
def media_length_small_positive():
    return _start(media__length=0.5)


@T.fires("live-length", event=0)
def live_with_a_minute():
    return _start(media__contentType="live", media__length=60)


@T.fires("live-length", event=0)
def linear_with_a_week():
    return _start(media__contentType="linear", media__length=7 * 86400)


@T.quiet("live-length")
def live_with_86400():
    return _start(media__contentType="live", media__length=86400)


@T.quiet("live-length")
def linear_with_a_show_length():
    return _start(media__contentType="linear", media__length=3600)


@T.quiet("live-length")
def vod_with_a_minute():
    return _start(media__length=60)


# --- content-type-unusual / stream-type ----------------------------------------------------------------
@T.fires("content-type-unusual", event=0)
def content_type_upper_case():
    return _start(media__contentType="VOD")


@T.fires("content-type-unusual", event=0)
def content_type_movie():
    return _start(media__contentType="movie")


@T.quiet("content-type-unusual")
def recommended_content_types():
    c = Capture()
    for n, ct in enumerate(["vod", "live", "linear", "ugc", "dvod", "song", "podcast", "audiobook", "radio"]):
        c.sid = f"{n:064d}"
        c.start(start_params(media__contentType=ct, media__length=86400, media__id=f"m{n}"), dt=1000)
        c.ev("sessionEnd")
    return c


@T.fires("stream-type", event=0)
def stream_type_missing():
    return _start(media__streamType=None)


@T.fires("stream-type", event=0)
def stream_type_capitalised():
    return _start(media__streamType="Video")


@T.quiet("stream-type")
def stream_type_audio():
    return _start(media__streamType="audio")


# --- no-visitor-identity / customer-ids-format ---------------------------------------------------------
@T.fires("no-visitor-identity", event=0)
def no_ecid_no_installation_id():
    return _start(visitor__marketingCloudUserId=None)


@T.fires("no-visitor-identity", event=0)
def empty_ecid():
    return _start(visitor__marketingCloudUserId="")


@T.quiet("no-visitor-identity")
def installation_id_only():
    return _start(visitor__marketingCloudUserId=None, appInstallationId="install-1")


@pytest.mark.parametrize("ids", [
    {"crm": {"authState": 1}},
    {"crm": {"id": 42, "authState": 1}},
    {"crm": "user-1"},
    {"crm": {"id": "u1", "authState": 3}},
    {"crm": {"id": "u1", "authState": "1"}},
    {"crm": {"id": "u1", "authState": True}},
])
@covers("customer-ids-format", fires=True)
def test_customer_ids_malformed(ids):
    assert_fires(_start(visitor__customerIDs=ids).analyze(), "customer-ids-format", event=0)


@T.quiet("customer-ids-format")
def customer_ids_well_formed():
    return _start(visitor__customerIDs={"crm": {"id": "u1", "authState": 0}, "email": {"id": "h", "authState": 2},
                                        "loyalty": {"id": "l"}})


# --- resume-unflagged / show-type ----------------------------------------------------------------------
@T.fires("resume-unflagged", event=0)
def vod_start_mid_content():
    c = Capture()
    c.start(playhead=120)
    c.ev("play")
    return c


@T.quiet("resume-unflagged")
def vod_resume_flagged():
    c = Capture()
    c.start(start_params(media__resume=True), playhead=120)
    c.ev("play")
    return c


@T.quiet("resume-unflagged")
def live_start_at_second_of_day():
    c = Capture()
    c.start(start_params(media__contentType="live", media__length=86400), playhead=50_000)
    c.ev("play")
    return c


@T.quiet("resume-unflagged")
def vod_start_at_zero():
    return _start()


@T.fires("show-type", event=0)
def show_type_four():
    return _start(media__showType="4")


@T.fires("show-type", event=0)
def show_type_integer():
    return _start(media__showType=0)


@T.quiet("show-type")
def show_type_strings():
    return _start(media__showType="3")


# --- app-installation-id-changed (clients.py) ----------------------------------------------------------
def _two_sessions(first: dict, second: dict, user_agent: str | None = None):
    c = Capture()
    hdr = [("Content-Type", "application/json")] + ([("User-Agent", user_agent)] if user_agent else [])
    c.start(start_params(**first), headers=hdr)
    c.ev("play", headers=hdr)
    c.ev("sessionEnd", headers=hdr)
    c.sid = SID_B
    c.start(start_params(**second), dt=1000, headers=hdr)
    c.ev("play", headers=hdr)
    c.ev("sessionEnd", headers=hdr)
    return c


@T.fires("app-installation-id-changed", event=0)
def installation_id_changed_same_ecid():
    return _two_sessions({"appInstallationId": "one"}, {"appInstallationId": "two"})


@T.fires("app-installation-id-changed", event=0)
def installation_id_changed_same_address_and_agent():
    return _two_sessions({"appInstallationId": "one", "visitor.marketingCloudUserId": None},
                         {"appInstallationId": "two", "visitor.marketingCloudUserId": None}, user_agent="TV/1.0")


@T.quiet("app-installation-id-changed")
def installation_id_kept():
    return _two_sessions({"appInstallationId": "one"}, {"appInstallationId": "one"})


@T.quiet("app-installation-id-changed")
def installation_ids_of_two_clients():
    return _two_sessions({"appInstallationId": "one"},
                         {"appInstallationId": "two", "visitor.marketingCloudUserId": "99999999999999999999"})


test_fires, test_quiet = T.tests()


# --- details ---------------------------------------------------------------------------------------------
def test_installation_id_change_points_at_the_second_session():
    an = _two_sessions({"appInstallationId": "one"}, {"appInstallationId": "two"}).analyze()
    f = assert_fires(an, "app-installation-id-changed", event=0, count=1)
    assert f.sid == SID_B
    assert "'two'" in f.message and "'one'" in f.message


def test_rejected_session_start_is_still_judged():
    c = Capture()
    c.start(start_params(media__id=None), status=400, resp_body=b'{"message": "media.id required"}')
    an = c.analyze()
    assert_fires(an, "session-start-required", event=0)
    assert_fires(an, "http-rejected", event=0)


def test_session_start_without_params_is_params_missing_only():
    c = Capture()
    rewrite(c.start(), lambda b: b.pop("params"))
    an = c.analyze()
    assert_fires(an, "params-missing", event=0)
    for rule in ("session-start-required", "stream-type", "no-visitor-identity"):
        assert_quiet(an, rule)


def test_severities_are_the_catalogue_defaults():
    c = Capture()
    c.start(start_params(media__contentType="Live", media__length=60, media__streamType=None), playhead=5)
    an = c.analyze()
    assert findings(an, "live-length")[0].severity == Severity.INFO
    assert findings(an, "content-type-unusual")[0].severity == Severity.INFO
    assert findings(an, "stream-type")[0].severity == Severity.WARNING
    assert_quiet(an, "resume-unflagged")  # live content: the playhead is the second of the day
