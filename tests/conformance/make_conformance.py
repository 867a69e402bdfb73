"""Build the conformance captures (HAR 1.2) from Adobe's Android Media SDK unit tests.

    python tests/conformance/make_conformance.py [OUTDIR]     (default: tests/conformance/captures)

Source: https://github.com/adobe/aepsdk-media-android at commit ``SOURCE_COMMIT`` (Media 3.1.2). No code of
that repository is copied here: only the request/response data its tests expect the SDK to send and
receive — the JSON bodies of ``MockMediaOfflineHits.java`` (``*Json`` strings, which the tests compare
against the bytes handed to the network layer), the URLs the SDK builds (``MediaReportHelper.getTrackingURL``
/ ``getTrackingUrlForEvents`` with the tests' ``Media_collection_server``), the request headers the tests
assert, and the response codes / ``Location`` values the tests' mocked network answers with.

What a test leaves to run time is filled in, deterministically, and said so in every HAR entry
(``_mcscope_filled``) and in README.md:

* capture clock: the SDK's ``ts`` values are kept exactly as the tests expect them (0, 100, 10000 ...: the
  tests' zero-based clock); ``startedDateTime`` (when a proxy would have seen the request) is
  ``CLOCK_BASE`` plus a fixed step per request, because the tests have no wall clock;
* response headers and bodies: the tests only give a status code (and, for some, a ``Location``); a 201
  from ``/api/v1/sessions`` gets the collector's documented answer (mcapi.md §1.2: empty octet-stream body,
  ``Location``, CORS headers incl. ``Access-Control-Expose-Headers: Location``); other answers get an empty
  body; where the test's mock never answers (``MockNetworkService`` without ``setResponse``) or answers
  ``null`` (device offline), the entry has no response (``status: 0`` and ``_error``);
* request headers the HTTP stack adds (``Host``, ``Content-Length``) besides the asserted ``Content-Type``
  (and ``X-Adobe-AEP-Validation-Token`` where the test asserts it);
* the sid: only where the test gives none (it always does here: ``mockSessionIdResponse``).

Everything is deterministic, so re-running the script reproduces the committed files byte for byte
(``test_conformance.py`` checks that).
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SOURCE_REPO = "adobe/aepsdk-media-android"
SOURCE_COMMIT = "ea719f7eb258b051f4db5de0045a10150abf0543"
TEST_DIR = "code/media/src/test/java/com/adobe/marketing/mobile/media/internal/"
MOCK_HITS = TEST_DIR + "MockMediaOfflineHits.java"
REPORT_HELPER_TESTS = TEST_DIR + "MediaReportHelperTests.java"
OFFLINE_SERVICE_TESTS = TEST_DIR + "MediaOfflineServiceTests.java"
SESSION_TESTS = TEST_DIR + "MediaSessionTests.java"
NETWORK_MOCK = "code/media/src/test/java/com/adobe/marketing/mobile/services/MockNetworkService.java"

# MockMediaOfflineHits: configSharedState "media.collectionServer" -> MediaReportHelper.getTrackingURL(...)
HOST = "Media_collection_server"
SID = "0160be5e22b37eb526c085b82b782d757a328c2b0fa248cc83bd92db452722ac"  # MediaSessionTests.mockSessionIdResponse
LOCATION = f"/api/v1/sessions/{SID}"
LIBRARY_VERSION = "android-media-3.1.2"  # "android-media-" + Media.extensionVersion() at SOURCE_COMMIT
CLOCK_BASE = datetime(2025, 2, 11, 0, 18, 38, tzinfo=UTC).timestamp()  # the source commit's date
STEP = 0.5  # seconds between two requests of one capture (filled: the tests have no wall clock)
RTT_MS = 40.0

COLLECTOR_201_HEADERS = [  # mcapi.md §1.2, the collector's answer to a created session
    ("Content-Type", "application/octet-stream"),
    ("Content-Length", "0"),
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "OPTIONS,POST,PUT"),
    ("Access-Control-Allow-Headers", "Content-Type"),
    ("Access-Control-Expose-Headers", "Location"),
]

# --------------------------------------------------------------------------------------------------
# The expected hits of MockMediaOfflineHits.java (key order as written there)

_QOE = {
    "media.qoe.bitrate": 100000,
    "media.qoe.droppedFrames": 2,
    "media.qoe.framesPerSecond": 23.5,
    "media.qoe.timeToStart": 20,
}
_MEDIA = {
    "media.name": "media_name",
    "media.id": "media_id",
    "media.streamType": "video",
    "media.contentType": "vod",
    "media.length": 1800,
    "media.downloaded": True,
    "media.resume": False,
}
_CUSTOMER_IDS = {
    "id_type1": {"id": "u111111111", "authState": 0},
    "id_type2": {"id": "1234567890", "authState": 1},
    "id_type3": {"id": "testPushId", "authState": 2},
}


def _start(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "playerTime": {"playhead": 0, "ts": 0},
        "customMetadata": {"key1": "value1"},
        "eventType": "sessionStart",
        "params": params,
        "qoeData": dict(_QOE),
    }


def _event(event_type: str, playhead: int, ts: int, params: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"playerTime": {"playhead": playhead, "ts": ts}, "eventType": event_type}
    if params is not None:
        body["params"] = params
    return body


HITS: dict[str, dict[str, Any]] = {
    # sessionStartJson: an empty MediaState (no configuration, identity or analytics shared state)
    "sessionStartJson": _start({
        **_MEDIA,
        "media.channel": "unknown",
        "media.playerName": "unknown",
        "analytics.enableSSL": True,
        "media.libraryVersion": LIBRARY_VERSION,
    }),
    "sessionStartChannelJson": _start({
        **_MEDIA,
        "media.channel": "media_channel",
        "media.playerName": "unknown",
        "analytics.enableSSL": True,
        "media.libraryVersion": LIBRARY_VERSION,
    }),
    # configuration + identity + analytics shared state
    "sessionStartJsonWithState": _start({
        **_MEDIA,
        "media.channel": "channel",
        "media.playerName": "player_name",
        "analytics.enableSSL": True,
        "analytics.trackingServer": "analytics_server",
        "analytics.reportSuite": "rsid",
        "analytics.visitorId": "vid",
        "analytics.aid": "aid",
        "visitor.marketingCloudOrgId": "org_id",
        "visitor.marketingCloudUserId": "mid",
        "visitor.aamLocationHint": 9,
        "media.sdkVersion": "app_version",
        "media.libraryVersion": LIBRARY_VERSION,
        "visitor.customerIDs": _CUSTOMER_IDS,
    }),
    # configuration + identity shared state (no analytics: no visitorId / aid)
    "sessionStartJsonWithConfigurationIdentityState": _start({
        **_MEDIA,
        "media.channel": "channel",
        "media.playerName": "player_name",
        "analytics.enableSSL": True,
        "analytics.trackingServer": "analytics_server",
        "analytics.reportSuite": "rsid",
        "visitor.marketingCloudOrgId": "org_id",
        "visitor.marketingCloudUserId": "mid",
        "visitor.aamLocationHint": 9,
        "media.sdkVersion": "app_version",
        "media.libraryVersion": LIBRARY_VERSION,
        "visitor.customerIDs": _CUSTOMER_IDS,
    }),
    "adBreakStartJson": _event("adBreakStart", 10, 10000, {
        "media.ad.podFriendlyName": "adbreak_name",
        "media.ad.podIndex": 1,
        "media.ad.podSecond": 10,
    }),
    "adBreakCompleteJson": _event("adBreakComplete", 10, 30000),
    "adStartJson": _event("adStart", 10, 10000, {
        "media.ad.id": "ad_id",
        "media.ad.name": "ad_name",
        "media.ad.length": 20,
        "media.ad.podPosition": 1,
        "media.ad.playerName": "unknown",
    }),
    "adStartJsonWithState": _event("adStart", 10, 10000, {
        "media.ad.id": "ad_id",
        "media.ad.name": "ad_name",
        "media.ad.length": 20,
        "media.ad.podPosition": 1,
        "media.ad.playerName": "player_name",
    }),
    "adCompleteJson": _event("adComplete", 10, 30000),
    "playJson": _event("play", 0, 100),
    "pingJson": _event("ping", 45, 65000),
    "forceSessionEndJson": _event("sessionEnd", 45, 65000),
    "completeJson": _event("sessionComplete", 60, 80000),
}

FULL_EMPTY = ["sessionStartJson", "playJson", "adBreakStartJson", "adStartJson", "adCompleteJson",
              "adBreakCompleteJson", "pingJson", "completeJson"]
FULL_STATE = ["sessionStartJsonWithState", "playJson", "adBreakStartJson", "adStartJsonWithState",
              "adCompleteJson", "adBreakCompleteJson", "pingJson", "completeJson"]


def batch(names: list[str]) -> list[dict[str, Any]]:
    return [copy.deepcopy(HITS[n]) for n in names]


# --------------------------------------------------------------------------------------------------
# Scenarios


@dataclass
class Req:
    """One request of a scenario and what the test's mocked network answers."""

    path: str
    body: Any
    hits: list[str]  # names of the MockMediaOfflineHits JSON strings the body is made of
    status: int | None  # None: no answer (connection null / mock never responds)
    location: str | None = None  # Location header of the answer (as the test's mock gives it)
    extra_headers: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""  # what the test says about this request


@dataclass
class Scenario:
    name: str
    paths: list[str]
    test: str  # the JUnit test method
    summary: str
    requests: list[Req]
    epoch: bool = False  # the tests' zero-based ts shifted by EPOCH_MS (a derived variant, see README.md)


def downloaded(names: list[str], status: int | None, note: str = "") -> Req:
    return Req("/api/v1/sessions", batch(names), list(names), status, note=note)


def realtime_start(name: str, status: int | None, location: str | None = None, note: str = "") -> Req:
    return Req("/api/v1/sessions", copy.deepcopy(HITS[name]), [name], status, location, note=note)


def realtime_event(name: str, status: int | None, location: str | None = None, note: str = "") -> Req:
    return Req(f"/api/v1/sessions/{SID}/events", copy.deepcopy(HITS[name]), [name], status, location, note=note)


REPORT = [REPORT_HELPER_TESTS, MOCK_HITS]
OFFLINE = [OFFLINE_SERVICE_TESTS, MOCK_HITS, NETWORK_MOCK]
SESSION = [SESSION_TESTS, MOCK_HITS, NETWORK_MOCK]
_REPORT_NOTE = ("MediaReportHelper.generateDownloadReport output; the test sends nothing, MediaOfflineService "
                "would post this report to getTrackingURL(...) = /api/v1/sessions")

SCENARIOS: list[Scenario] = [
    # --- MediaReportHelperTests: the downloaded-content report (what MediaOfflineService posts) ------------
    Scenario("report-empty-media-state", REPORT, "test_generateReport_emptyMediaState",
             "Downloaded report of a full session (play, one ad break with one ad, ping, complete) built "
             "with an empty MediaState (no configuration or identity).",
             [downloaded(FULL_EMPTY, 201, _REPORT_NOTE)]),
    Scenario("report-proper-media-state", REPORT, "test_generateReport_properMediaState",
             "Downloaded report of the same session with configuration, identity, analytics and Assurance "
             "shared states.",
             [downloaded(FULL_STATE, 201, _REPORT_NOTE)]),
    Scenario("report-channel-present", REPORT, "test_generateReport_sessionStart_channelPresent",
             "Downloaded report whose sessionStart already carries media.channel (empty MediaState).",
             [downloaded(["sessionStartChannelJson", "playJson", "pingJson", "completeJson"], 201,
                         _REPORT_NOTE)]),
    Scenario("report-missing-session-end", REPORT, "test_generateReport_missingSessionEndOrComplete",
             "Hits without sessionComplete/sessionEnd: the report helper appends a sessionEnd at the last "
             "hit's playhead and ts (forceSessionEndJson).",
             [downloaded(["sessionStartJson", "playJson", "pingJson", "forceSessionEndJson"], 201,
                         _REPORT_NOTE)]),
    Scenario("report-drop-hits-till-session-start", REPORT, "test_generateReport_dropHitsTillSessionStart",
             "play and ping queued before the sessionStart are dropped from the report.",
             [downloaded(["sessionStartJson", "playJson", "pingJson", "completeJson"], 201, _REPORT_NOTE)]),
    Scenario("report-drop-hits-after-session-end", REPORT, "test_generateReport_dropHitsAfterSessionEnd",
             "play and ping after sessionComplete are dropped from the report.",
             [downloaded(["sessionStartJson", "playJson", "pingJson", "completeJson"], 201, _REPORT_NOTE)]),
    Scenario("report-loc-hint-exception", REPORT, "test_generateReport_locHintException",
             "MediaState whose identity location hint is not a number: no visitor.aamLocationHint.",
             [downloaded(["sessionStartJson", "playJson", "pingJson", "completeJson"], 201, _REPORT_NOTE)]),
    # --- MediaOfflineServiceTests: reports actually posted, with the mocked network's answers ---------------
    Scenario("offline-currently-sending-report", OFFLINE, "test_reportCompletedSessions_currentlySendingReport",
             "A completed downloaded session (configuration + identity state) reported; answer 200.",
             [downloaded(["sessionStartJsonWithConfigurationIdentityState", "completeJson"], 200)]),
    Scenario("offline-opt-unknown-then-opt-in", OFFLINE, "test_reportCompletedSessions_OptUnknown",
             "Nothing is sent while privacy is unknown; after opt-in the report goes out; answer 200.",
             [downloaded(["sessionStartJsonWithState", "completeJson"], 200)]),
    Scenario("offline-after-session-end", OFFLINE, "test_reportCompletedSessions_AfterSessionEnd",
             "The report is sent only once the session has ended; answer 200.",
             [downloaded(["sessionStartJsonWithConfigurationIdentityState", "completeJson"], 200)]),
    Scenario("offline-report-success", OFFLINE, "test_reportCompletedSessions_reportSuccess",
             "Full downloaded session reported in one batch; answer 200.",
             [downloaded(FULL_STATE, 200)]),
    Scenario("offline-report-success-next-session", OFFLINE, "test_reportCompletedSessions_reportSuccessNextSession",
             "Three completed downloaded sessions, one report each; every answer 200.",
             [downloaded(FULL_STATE, 200), downloaded(["sessionStartJsonWithState", "completeJson"], 200),
              downloaded(["sessionStartJsonWithState", "pingJson", "completeJson"], 200)]),
    Scenario("offline-report-network-failure", OFFLINE, "test_reportCompletedSessions_reportNetworkFailure",
             "The report is answered 404, kept, and re-sent; the second answer is 200.",
             [downloaded(["sessionStartJsonWithState", "pingJson", "completeJson"], 404),
              downloaded(["sessionStartJsonWithState", "pingJson", "completeJson"], 200)]),
    Scenario("offline-report-exceed-retry", OFFLINE, "test_reportCompletedSessions_reportNetworkExceedRetry",
             "The report is answered 404 three times, then the SDK deletes the session.",
             [downloaded(["sessionStartJsonWithState", "pingJson", "completeJson"], 404) for _ in range(3)]),
    Scenario("offline-multiple-sessions-mixed", OFFLINE,
             "test_reportCompletedSessions_reportMultipleSession_mixedResult",
             "Session 1: 404 then 201; session 2: 404 three times (dropped); session 3: 200.",
             [downloaded(["sessionStartJsonWithState", "completeJson"], 404),
              downloaded(["sessionStartJsonWithState", "completeJson"], 201),
              *[downloaded(["sessionStartJsonWithState", "playJson", "completeJson"], 404) for _ in range(3)],
              downloaded(["sessionStartJsonWithState", "pingJson", "completeJson"], 200)]),
    Scenario("offline-persisted-from-previous-launch", OFFLINE,
             "test_reportCompletedSessions_persistedFromPreviousLaunch",
             "A session stored in the previous launch is reported after relaunch; answer 200.",
             [downloaded(FULL_STATE, 200)]),
    Scenario("offline-check-request-content-type", OFFLINE, "test_reportCompletedSessions_checkRequestContentType",
             "The report request carries only Content-Type: application/json; the test's mock never answers. "
             "Body not asserted by the test: the same shared states as test_reportCompletedSessions_reportSuccess "
             "give sessionStartJsonWithState + completeJson.",
             [downloaded(["sessionStartJsonWithState", "completeJson"], None,
                         "MockNetworkService without setResponse: no answer")]),
    Scenario("offline-null-connection", OFFLINE, "test_reportCompletedSessions_nullConnection",
             "The first attempt gets no connection (offline): the session is kept and re-sent; answer 201. "
             "The first body is not asserted (same MediaState, same hits as the asserted second).",
             [downloaded(["sessionStartJsonWithState", "completeJson"], None,
                         "network service returns a null connection"),
              downloaded(["sessionStartJsonWithState", "completeJson"], 201)]),
    # --- MediaSessionTests: real-time hits (MediaSession.process) ----------------------------------------
    Scenario("session-analytics-state-missing", SESSION, "test_process_analyticsSharedStateMissing",
             "Real-time sessionStart without analytics shared state; the mock answers 200 (no Location).",
             [realtime_start("sessionStartJsonWithConfigurationIdentityState", 200)]),
    Scenario("session-privacy-opt-in", SESSION, "test_process_privacyOptIn",
             "Real-time sessionStart after opt-in; the mock answers 404.",
             [realtime_start("sessionStartJsonWithState", 404)]),
    Scenario("session-start-200-no-location", SESSION, "test_process_sessionStart_httpSuccessWithNoLocationHeader",
             "sessionStart answered 200 without Location: the SDK gets no sid and keeps the hit queued.",
             [realtime_start("sessionStartJsonWithState", 200)]),
    Scenario("session-start-invalid-location", SESSION,
             "test_process_sessionStart_httpSuccessWithInvalidLocationHeader",
             "sessionStart answered 201 with Location: invalid: the SDK gets no sid.",
             [realtime_start("sessionStartJsonWithState", 201, "invalid")]),
    Scenario("session-start-http-failure", SESSION, "test_process_sessionStart_httpFailure",
             "sessionStart answered 404.",
             [realtime_start("sessionStartJsonWithState", 404)]),
    Scenario("session-start-http-success", SESSION, "test_process_sessionStart_httpSuccess",
             "sessionStart answered 201 with Location /api/v1/sessions/{sid}.",
             [realtime_start("sessionStartJsonWithState", 201, LOCATION)]),
    Scenario("session-start-retry", SESSION, "test_process_sessionStart_retry",
             "sessionStart sent three times: 404, 201 without Location, 404; then the hit is dropped.",
             [realtime_start("sessionStartJsonWithState", 404),
              realtime_start("sessionStartJsonWithState", 201, None,
                             "valid http code but no location is considered a failure"),
              realtime_start("sessionStartJsonWithState", 404)]),
    Scenario("session-start-failure-drop-other-pings", SESSION, "test_process_sessionStart_failure_dropOtherPings",
             "sessionStart answered 404 three times; the queued play and adBreakStart are then dropped unsent.",
             [realtime_start("sessionStartJsonWithState", 404) for _ in range(3)]),
    Scenario("session-start-success-send-other-pings", SESSION, "test_process_sessionStart_success_sendOtherPings",
             "sessionStart answered 201 + Location, then the queued play and adBreakStart go to the sid's "
             "events URL (the mock answers 200).",
             [realtime_start("sessionStartJsonWithState", 201, LOCATION),
              realtime_event("playJson", 200), realtime_event("adBreakStartJson", 200)]),
    Scenario("session-check-request-content-type", SESSION, "test_process_checkRequestContentType",
             "sessionStart carries only Content-Type: application/json; the test's mock never answers.",
             [realtime_start("sessionStartJsonWithState", None, note="MockNetworkService without setResponse")]),
    Scenario("session-check-request-assurance-token", SESSION, "test_process_checkRequestAssuranceToken",
             "With an Assurance session, sessionStart also carries X-Adobe-AEP-Validation-Token; no answer.",
             [Req("/api/v1/sessions", copy.deepcopy(HITS["sessionStartJsonWithState"]),
                  ["sessionStartJsonWithState"], None,
                  extra_headers=[("X-Adobe-AEP-Validation-Token", "integrationId12345")],
                  note="MockNetworkService without setResponse")]),
    Scenario("session-created-dispatched", SESSION, "test_process_sessionStartEvent_sessionCreateDispatched",
             "sessionStart answered 201 + Location: the session-created event is dispatched.",
             [realtime_start("sessionStartJsonWithState", 201, LOCATION)]),
    Scenario("session-non-start-not-dispatched", SESSION,
             "test_process_NonSessionStartEvent_sessionCreateShouldNotDispatched",
             "sessionStart answered 201 + Location, then play (the mock answers the play 201 + Location too).",
             [realtime_start("sessionStartJsonWithState", 201, LOCATION),
              realtime_event("playJson", 201, LOCATION)]),
    Scenario("session-retry-connection-null", SESSION, "test_process_retry_connectionIsNull",
             "sessionStart gets no connection four times (kept, not counted as a retry), then 201 + Location; "
             "the following play gets no connection (kept queued).",
             [*[realtime_start("sessionStartJsonWithState", None, note="null connection (offline)")
                for _ in range(4)],
              realtime_start("sessionStartJsonWithState", 201, LOCATION),
              realtime_event("playJson", None, note="null connection (offline)")]),
]

# Derived variants: the same requests with every ts shifted from the tests' zero-based clock to the epoch
# (ts + EPOCH_MS; differences, playheads and everything else unchanged), so that the SDK's own timing (ping
# cadence, ad length, gaps) is judged as it would be on a device, where ts is wall-clock ms.
EPOCH_MS = int(CLOCK_BASE * 1000)
_EPOCH_OF = ["offline-report-success", "offline-report-success-next-session", "report-channel-present",
             "report-missing-session-end", "offline-report-network-failure",
             "session-start-success-send-other-pings"]


def _shift(body: Any) -> Any:
    items = body if isinstance(body, list) else [body]
    for item in items:
        item["playerTime"]["ts"] += EPOCH_MS
    return body


def _epoch_variant(sc: Scenario) -> Scenario:
    reqs = [Req(r.path, _shift(copy.deepcopy(r.body)), r.hits, r.status, r.location, list(r.extra_headers),
                r.note) for r in sc.requests]
    return Scenario(sc.name + "-epoch", sc.paths, sc.test, sc.summary + f" Derived: every ts + {EPOCH_MS}.",
                    reqs, epoch=True)


SCENARIOS += [_epoch_variant(sc) for sc in SCENARIOS if sc.name in _EPOCH_OF]

# Tests of those files whose traffic is empty (nothing reaches the network), listed for completeness:
NOTHING_SENT = {
    REPORT_HELPER_TESTS: ["test_generateReport_NULLParams", "test_generateReport_missingSessionStart"],
    OFFLINE_SERVICE_TESTS: ["test_reportCompletedSessions_Optout", "test_reportCompletedSessions_noNetworkConnection",
                            "test_reportCompletedSessions_incorrectHits",
                            "test_reportCompletedSessions_optOutBeforeSessionStart",
                            "test_reportCompletedSessions_optOutMidSession",
                            "test_reportCompletedSessions_optOutAfterSession"],
    SESSION_TESTS: ["test_process_noHit", "test_process_noNetworkNotConnection",
                    "test_process_configurationSharedStateMissing", "test_process_identitySharedStateMissing",
                    "test_process_privacyOptOut", "test_process_privacyUnknown"],
}
# Sent, but with a body the test neither asserts nor pins down (MediaState built key by key): not captured.
NOT_CAPTURED = {
    OFFLINE_SERVICE_TESTS: ["test_reportCompletedSessions_noTrackingInfo"],
}

# --------------------------------------------------------------------------------------------------
# HAR writer


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _status_text(status: int) -> str:
    return {200: "OK", 201: "Created", 204: "No Content", 404: "Not Found"}.get(status, "")


def _entry(sc: Scenario, index: int, req: Req) -> dict[str, Any]:
    body = json.dumps(req.body, separators=(",", ":"), ensure_ascii=False)
    size = len(body.encode())
    filled = [f"startedDateTime: CLOCK_BASE {_iso(CLOCK_BASE)} + {STEP} s x request index (no wall clock "
              "in the test)",
              "request headers Host and Content-Length (added by the HTTP stack)"]
    response: dict[str, Any]
    extra: dict[str, Any] = {}
    if req.status is None:
        response = {"status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
                    "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1, "bodySize": -1,
                    "_error": "no response"}
        extra["_error"] = "no response"
        filled.append("no response: " + (req.note or "the test's network mock never answers"))
    else:
        if req.status == 201 and req.path == "/api/v1/sessions" and req.location is not None:
            headers = [COLLECTOR_201_HEADERS[0], COLLECTOR_201_HEADERS[1], ("Location", req.location),
                       *COLLECTOR_201_HEADERS[2:]]
            filled.append("response headers besides Location: the collector's documented 201 (mcapi.md §1.2)")
        elif req.location is not None:
            headers = [("Content-Length", "0"), ("Location", req.location)]
            filled.append("response Content-Length: 0 (the test's mock gives only status and Location)")
        else:
            headers = [("Content-Length", "0")]
            filled.append("response Content-Length: 0, empty body (the test's mock gives only the status)")
        response = {"status": req.status, "statusText": _status_text(req.status), "httpVersion": "HTTP/1.1",
                    "cookies": [], "headers": [{"name": k, "value": v} for k, v in headers],
                    "content": {"size": 0, "mimeType": "application/octet-stream" if req.status == 201 else ""},
                    "redirectURL": "", "headersSize": -1, "bodySize": 0}
    request_headers = [("Host", HOST), ("Content-Type", "application/json"), *req.extra_headers,
                       ("Content-Length", str(size))]
    t = CLOCK_BASE + STEP * index
    if sc.epoch:
        filled[0] = f"ts: the test's value + {EPOCH_MS} (derived epoch variant); startedDateTime: "
        if isinstance(req.body, list):
            last = req.body[-1]["playerTime"]["ts"] / 1000
            t = last + 60 + STEP * index
            filled[0] += "upload 60 s after the batch's last ts (+ 0.5 s per earlier request)"
        else:
            t = req.body["playerTime"]["ts"] / 1000 + 0.025 + STEP * sum(
                1 for r in sc.requests[:index] if r.body["playerTime"]["ts"] == req.body["playerTime"]["ts"])
            filled[0] += "the event's ts + 25 ms latency"
    comment = f"{sc.test} request {index + 1}: body = " + " + ".join(req.hits) + " (MockMediaOfflineHits)"
    if sc.epoch:
        comment += f", every ts + {EPOCH_MS}"
    if req.note:
        comment += f"; {req.note}"
    return {
        "startedDateTime": _iso(t),
        "time": RTT_MS if req.status is not None else 0,
        "request": {
            "method": "POST",
            "url": f"https://{HOST}{req.path}",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in request_headers],
            "queryString": [],
            "postData": {"mimeType": "application/json", "text": body},
            "headersSize": -1,
            "bodySize": size,
        },
        "response": response,
        "cache": {},
        "timings": {"send": 1, "wait": RTT_MS - 2, "receive": 1} if req.status is not None
        else {"send": 1, "wait": -1, "receive": -1},
        "_comment": comment,
        "_mcscope_filled": filled,
        **extra,
    }


def to_har(sc: Scenario) -> dict[str, Any]:
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "mcscope tests/conformance/make_conformance.py", "version": "1"},
            "comment": sc.summary,
            "_mcscope_source": {
                "repository": SOURCE_REPO,
                "commit": SOURCE_COMMIT,
                "paths": sc.paths,
                "test": sc.test,
            },
            "entries": [_entry(sc, i, r) for i, r in enumerate(sc.requests)],
        }
    }


def dump_har(har: dict[str, Any]) -> str:
    """HAR text with one entry per line (small files, readable diffs)."""
    log = dict(har["log"])
    entries = log.pop("entries")
    head = json.dumps(log, separators=(",", ":"), ensure_ascii=False)[:-1]
    lines = ",\n".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) for e in entries)
    return '{"log":' + head + ',"entries":[\n' + lines + "\n]}}\n"


def sources() -> dict[str, Any]:
    """Per scenario: where it comes from (written to sources.json)."""
    return {
        "repository": SOURCE_REPO,
        "commit": SOURCE_COMMIT,
        "scenarios": {sc.name: {"paths": sc.paths, "test": sc.test, "summary": sc.summary,
                                "ts": f"test value + {EPOCH_MS}" if sc.epoch else "as in the test"}
                      for sc in SCENARIOS},
        "nothing_sent": NOTHING_SENT,
        "not_captured": NOT_CAPTURED,
    }


def write_captures(outdir: Path, hars: Iterable[tuple[str, dict[str, Any]]], source_doc: dict[str, Any]) -> list[Path]:
    """Each ``(name, HAR)`` as ``outdir/name.har`` and the sources as sources.json (beside ``captures/``)."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, har in hars:
        path = outdir / f"{name}.har"
        path.write_text(dump_har(har), encoding="utf-8")
        written.append(path)
    src = outdir.parent / "sources.json" if outdir.name == "captures" else outdir / "sources.json"
    src.write_text(json.dumps(source_doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(src)
    return written


def write_all(outdir: Path) -> list[Path]:
    return write_captures(outdir, ((sc.name, to_har(sc)) for sc in SCENARIOS), sources())


def main(argv: list[str]) -> int:
    outdir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent / "captures"
    for path in write_all(outdir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
