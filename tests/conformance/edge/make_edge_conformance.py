"""Build the Media Edge API conformance captures (HAR 1.2) from Adobe's Edge Media SDK tests and Media Edge docs.

    python -m tests.conformance.edge.make_edge_conformance [OUTDIR]     (default: tests/conformance/edge/captures)

No code of those repositories is copied here: only the data their tests and pages pin down (expected event
lists with playhead and ts, the field values of the tests' MediaInfo/AdInfo, literal response bodies, the docs'
example payloads), each with its repository, commit and path (``SOURCES``, written to sources.json). The
iOS functional scenarios build their expected XDM with a helper (``Tests/TestHelpers/EdgeEventHelper.swift``);
:func:`ios_media_collection` is our own reading of which field goes where, not a port of that code.

What the sources leave to run time is filled in, deterministically, and said so in every HAR entry
(``_mcscope_filled``) and in README.md: the wall clock (the tests' clock starts at 0 s; the docs write
``YYYY-MM-DD``), a millisecond offset for events the tests stamp with the same whole second (Adobe's docs:
"still sent with different ascending timestamps"), the realistic session id where a test uses
``FakeBackendID``, the request envelope the Edge extension adds (EdgePathOverwriteTests' body), and the
answers (the integration tests' literal bodies; 204 for events).
"""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.conformance.make_conformance import write_captures

# --------------------------------------------------------------------------------------------------
# Sources (media-edge.md §4, §7)

EDGEMEDIA_IOS = ("adobe/aepsdk-edgemedia-ios", "f78ea24fb34186885b55e6a2ff1a53821bb833f0")
EDGEMEDIA_ANDROID = ("adobe/aepsdk-edgemedia-android", "f91aad692f81417afeb20b29aa35ff72e6aceb29")
EDGE_ANDROID = ("adobe/aepsdk-edge-android", "f607561cf7301e22deaabdcdf838844127e52186")
DOCS = ("AdobeDocs/data-collection-apis", "1968dcf70e406879fa6b019ef6f8ce7bdc709938")
ALLOY = ("adobe/alloy", "3f01be85eafb039ba46fc67adc267854f0766163")
ROKU = ("adobe/aepsdk-roku", "afd898ba1fc3db1178a6ee08acdf90694ebf95f4")

IOS_SCENARIOS = "Tests/FunctionalTests/Scenarios/"
IOS_HELPER = "Tests/TestHelpers/EdgeEventHelper.swift"
ANDROID_IT = ("code/edgemedia/src/androidTest/java/com/adobe/marketing/mobile/edge/media/internal/"
              "MediaEdgeIntegrationTests.kt")
PATH_OVERWRITE = "code/edge/src/androidTest/java/com/adobe/marketing/mobile/EdgePathOverwriteTests.java"
DOCS_EXAMPLES = "src/pages/getting-started/media-edge-examples.md"
DOCS_ADS = "src/pages/endpoints/media/ads.md"
OAS = "static/media-edge.yaml"
ANDROID_HINT_IT = ("code/edgemedia/src/androidTest/java/com/adobe/marketing/mobile/edge/media/internal/"
                   "MediaEdgeLocationHintIntegrationTests.kt")
ANDROID_HELPER = "code/edgemedia/src/androidTest/java/com/adobe/marketing/mobile/util/EdgeEventHelper.kt"
ANDROID_OBJECTS = ("code/edgemedia/src/phone/java/com/adobe/marketing/mobile/edge/media/Media.java",
                   "code/edgemedia/src/main/java/com/adobe/marketing/mobile/edge/media/internal/MediaObject.java")
ALLOY_RESPONSE = "packages/browser/test/integration/helpers/mocks/mediaSessionResponse.json"
ALLOY_SPEC = "packages/browser/test/integration/specs/StreamingMedia/mediaEvents.spec.js"
ALLOY_HANDLERS = "packages/browser/test/integration/helpers/mswjs/handlers.js"
ROKU_TEST = "code/tests/media/test_mediaSession.brs"
HERE = Path(__file__).resolve().parent
OAS_FILE = HERE / "oas_examples.json"  # the OpenAPI file's examples, verbatim (its "_source" says how)

HOST = "edge.adobedc.net"
CONFIG_ID = "12345-example"  # MediaEdgeIntegrationTests' edge.configId
CLOCK_BASE = datetime(2025, 2, 10, 12, 0, 0, tzinfo=UTC).timestamp()  # the Android source commit's date
DOCS_DATE = "2025-06-24"  # the docs snapshot's date, for their YYYY-MM-DD
LATENCY = 0.025  # s between an event's timestamp and the proxy seeing its request
RTT_MS = 40.0

# MediaEdgeIntegrationTests.kt: the literal answers of the mocked network (streamed records)
SUCCESS_SID = "99cf4e3e7145d8e2b8f4f1e9e1a08cd52518a74091c0b0c611ca97b259e03a4d"
SUCCESS_BODY = ("\u0000{\"handle\":[{\"payload\":[{\"sessionId\":\"" + SUCCESS_SID +
                "\"}],\"type\":\"media-analytics:new-session\",\"eventIndex\":0}]}")
ERROR_BODY = ("\u0000{\"errors\" : [{\"type\" : \"https://ns.adobe.com/aep/errors/va-edge-0400-400\", \"status\" : "
              "400, \"title\": \"Invalid request\", \"report\":{\"eventIndex\":0,\"details\":[{\"name\":"
              "\"$.xdm.mediaCollection.sessionDetails.name\",\"reason\":\"Missing required field\"}]}}]}")
# EdgePathOverwriteTests.java: what the Edge extension puts around every event (ECID and versions filled)
ECID = "59520998011485435213372398345513573042"
MOBILE_META = {"konductorConfig": {"streaming": {"enabled": True, "lineFeed": "\n", "recordSeparator": "\u0000"}}}
MOBILE_XDM = {
    "identityMap": {"ECID": [{"authenticatedState": "ambiguous", "id": ECID, "primary": False}]},
    "implementationDetails": {"environment": "app", "name": "https://ns.adobe.com/experience/mobilesdk/ios",
                              "version": "5.0.0+5.0.0"},
}
MOBILE_SDK_NAMES = {"ios": ("https://ns.adobe.com/experience/mobilesdk/ios", "5.0.0+5.0.0"),
                    "android": ("https://ns.adobe.com/experience/mobilesdk/android", "3.0.1+3.0.1"),
                    "roku": ("https://ns.adobe.com/experience/mobilesdk/roku", "1.2.0")}

# --------------------------------------------------------------------------------------------------
# iOS functional scenarios: the tests' MediaInfo / AdBreakInfo / AdInfo values and the media shared state


MEDIA_INFO = {"media.id": "mediaID", "media.name": "mediaName", "media.length": 30, "media.type": "audio",
              "media.streamtype": "aod"}
MEDIA_STATE = {"channel": "test_channel", "playerName": "test_playerName", "appVersion": "test_appVersion"}
STANDARD_MEDIA = {"media.show": "show"}  # the standard metadata keys these scenarios use -> sessionDetails key
STANDARD_AD = {"media.ad.advertiser": "advertiser"}
AD_BREAK = {"adbreak.name": "adBreakName", "adbreak.position": 1, "adbreak.starttime": 1}
AD = {"ad.id": "adID", "ad.name": "adName", "ad.position": 1, "ad.length": 15}
MEDIA_METADATA = {"media.show": "sampleshow", "key1": "value1", "key2": "мểŧẳđαţả"}
AD_METADATA = {"media.ad.advertiser": "sampleAdvertiser", "key1": "value1", "key2": "мểŧẳđαţả"}


def _custom(metadata: dict[str, str], standard: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in sorted(metadata.items()) if k not in standard]


def ios_media_collection(event_type: str, playhead: int, sid: str, info: dict[str, Any] | None = None,
                         metadata: dict[str, str] | None = None) -> dict[str, Any]:
    """The mediaCollection EdgeEventHelper.generateMediaCollection expects, for the fields these scenarios use."""
    mc: dict[str, Any] = {"playhead": playhead}
    if event_type != "sessionStart":
        mc["sessionID"] = sid
    if metadata:
        mc["customMetadata"] = _custom(metadata, STANDARD_MEDIA if event_type == "sessionStart" else
                                       STANDARD_AD if event_type == "adStart" else {})
    if event_type == "sessionStart":
        assert info is not None
        details: dict[str, Any] = {"name": info["media.id"], "friendlyName": info["media.name"],
                                   "length": info["media.length"], "streamType": info["media.type"],
                                   "contentType": info["media.streamtype"]}
        for key, xdm_key in STANDARD_MEDIA.items():
            if metadata and key in metadata:
                details[xdm_key] = metadata[key]
        details.update(MEDIA_STATE)
        mc["sessionDetails"] = details
    elif event_type == "adStart":
        assert info is not None
        ad: dict[str, Any] = {"name": info["ad.id"], "friendlyName": info["ad.name"], "length": info["ad.length"],
                              "podPosition": info["ad.position"]}
        for key, xdm_key in STANDARD_AD.items():
            if metadata and key in metadata:
                ad[xdm_key] = metadata[key]
        ad["playerName"] = MEDIA_STATE["playerName"]
        mc["advertisingDetails"] = ad
    elif event_type == "adBreakStart":
        assert info is not None
        mc["advertisingPodDetails"] = {"friendlyName": info["adbreak.name"], "index": info["adbreak.position"],
                                       "offset": info["adbreak.starttime"]}
    return mc


# (event type, playhead, ts in s) as the scenario's expectedEvents list them; "start"/"adbreak"/"ad" mark the
# events that carry the test's info and metadata
Step = tuple[str, int, int]
IOS_SEQUENCES: dict[str, tuple[str, str, list[Step]]] = {
    "ios-simple-playback": ("SimplePlayback.swift", "testTrackSimplePlayBack_usingRealTimeTracker_dispatchesAll"
                            "EventsInOrderWithCorrectPlayheadAndTS", [
        ("sessionStart", 0, 0), ("play", 0, 0), ("play", 1, 1), ("pauseStart", 5, 5), ("ping", 5, 15),
        ("play", 5, 20), ("ping", 15, 30), ("sessionComplete", 20, 35)]),
    "ios-simple-playback-session-end": ("SimplePlayback.swift", "testTrackSimplePlayBack_withSessionEnd_using"
                                        "RealTimeTracker_dispatchesAllEventsInOrderWithCorrectPlayheadAndTS", [
        ("sessionStart", 0, 0), ("play", 0, 0), ("play", 1, 1), ("pauseStart", 5, 5), ("ping", 5, 15),
        ("play", 5, 20), ("ping", 15, 30), ("sessionEnd", 20, 35)]),
    "ios-ad-preroll": ("AdPlayback.swift", "testPrerollAd_usingRealTimeTracker_shouldSendAdBreakAndAdEventsIn"
                       "ProperOrder", [
        ("sessionStart", 0, 0), ("adBreakStart", 0, 0), ("adStart", 0, 0), ("play", 0, 0), ("ping", 0, 10),
        ("adComplete", 0, 15), ("adBreakComplete", 0, 15), ("play", 0, 15), ("play", 1, 16), ("ping", 11, 26),
        ("sessionComplete", 15, 30)]),
    "ios-custom-ping-15s": ("CustomPingDuration.swift", "testTrackSimplePlayBackWithAd_usingRealTimeTracker_with"
                            "ValidCustomPingInterval_dispatchesPingAfterCustomInterval", [
        ("sessionStart", 0, 0), ("adBreakStart", 0, 0), ("adStart", 0, 0), ("play", 0, 0), ("ping", 0, 1),
        ("ping", 0, 2), ("ping", 0, 3), ("ping", 0, 4), ("ping", 0, 5), ("adComplete", 0, 5),
        ("adBreakComplete", 0, 5), ("play", 0, 5), ("play", 1, 6), ("ping", 16, 21), ("ping", 31, 36),
        ("sessionComplete", 31, 36)]),
}
CUSTOM_PING_METADATA = {"media.show": "sampleshow", "key1": "value1"}  # CustomPingDuration's mediaMetadata

# --------------------------------------------------------------------------------------------------
# Media Edge docs: the payloads of media-edge-examples.md (as written, key order kept) and ads.md's curls

_SESSION_DETAILS = {"name": "VA API Sample Player", "friendlyName": "ClickMe", "length": 60, "contentType": "VOD",
                    "playerName": "sample-html5-api-player", "channel": "sample-channel",
                    "appVersion": "va-api-0.0.0"}


def _doc(event_type: str, timestamp: str, playhead: int, sid: bool = True, **details: Any) -> dict[str, Any]:
    mc: dict[str, Any] = {"sessionID": "{SID}", "playhead": playhead} if sid else {"playhead": playhead}
    mc.update(details)
    return {"eventType": f"media.{event_type}", "timestamp": timestamp, "mediaCollection": mc}


DOCS_EXAMPLE_1 = [
    _doc("sessionStart", "YYYY-MM-DDT02:00:00.000Z", 0, sid=False, sessionDetails=dict(_SESSION_DETAILS)),
    _doc("bufferStart", "YYYY-MM-DDT02:00:01.000Z", 0),
    _doc("play", "YYYY-MM-DDT02:00:04.000Z", 1),
    _doc("ping", "YYYY-MM-DDT02:00:10.000Z", 7),
    _doc("pauseStart", "YYYY-MM-DDT02:00:15.000Z", 12),
    _doc("ping", "YYYY-MM-DDT02:00:20.000Z", 12),
    _doc("play", "YYYY-MM-DDT02:00:24.000Z", 12),
    _doc("sessionEnd", "YYYY-MM-DDT02:00:29Z", 17),
]
_AD_1 = {"name": "001", "advertiser": "Ad Guys", "campaignID": "1", "creativeID": "42",
         "creativeURL": "https://example.com", "length": 16, "friendlyName": "Ad 1", "placementID": "sample_placement",
         "playerName": "Sample Player", "podPosition": 1, "siteID": "XYZ"}
_AD_2 = {"name": "002", "advertiser": "Ad Guys", "campaignID": "2", "creativeID": "44",
         "creativeURL": "https://example.com", "length": 12, "friendlyName": "Ad 2",
         "placementID": "sample_placement2", "playerName": "Sample Player", "podPosition": 1, "siteID": "XYZ"}
DOCS_EXAMPLE_2 = [
    _doc("sessionStart", "YYYY-MM-DD`T02:00:00.000Z", 0, sid=False,
         sessionDetails={**_SESSION_DETAILS, "length": 54}),
    _doc("play", "YYYY-0MM-DDT02:00:00.001Z", 0),
    _doc("chapterStart", "YYYY-MM-DDT02:00:01.000Z", 1,
         chapterDetails={"index": 1, "offset": 0, "friendlyName": "Chapter one", "length": 15}),
    _doc("ping", "YYYY-MM-DDT02:00:10.000Z", 10),
    _doc("chapterComplete", "YYYY-MM-DDT02:00:15.000Z", 15),
    _doc("adBreakStart", "YYYY-MM-DDT02:00:15.001Z", 15,
         advertisingPodDetails={"index": 0, "offset": 15, "friendlyName": "Mid-roll break"}),
    _doc("adStart", "YYYY-MM-DDT02:00:15.002Z", 15, advertisingDetails=_AD_1,
         customMetadata=[{"name": "myCustomData1", "value": "CustomData1"},
                         {"name": "myCustomData2", "value": "CustomData2"}]),
    _doc("ping", "YYYY-MM-DDT02:00:20.000Z", 15),
    _doc("ping", "YYYY-MM-DDT02:00:30.00Z", 15),
    _doc("adComplete", "YYYY-MM-DDT02:00:31.000Z", 15),
    {"eventType": "media.adStart", "timestamp": "YYYY-MM-DDT02:00:31.001Z",
     "mediaCollection": {"playhead": 0, "sessionID": "{SID}", "advertisingDetails": _AD_2}},
    _doc("ping", "YYYY-MM-DDT02:00:40.000Z", 15),
    _doc("adComplete", "YYYY-MM-DDT02:00:43.000Z", 15),
    _doc("adBreakComplete", "YYYY-MM-DDT02:00:43.001Z", 15),
    _doc("chapterStart", "YYYY-MM-DDT02:00:43.002Z", 15,
         chapterDetails={"index": 2, "offset": 43, "friendlyName": "Chapter two", "length": 11}),
    _doc("ping", "YYYY-MM-DDT02:00:50.000Z", 22),
    _doc("chapterComplete", "YYYY-MM-DDT02:00:54.000Z", 26),
    _doc("sessionComplete", "YYYY-MM-DDT02:00:54.001Z", 26),
]
# ads.md: (path the curl posts to, its xdm); the adStart curl posts to /adBreakComplete
_ADS_SID = "ffab5[...]45ec3"
_ADS_TS = "YYYY-08-20T22:41:40+00:00"


def _ads(event_type: str, **details: Any) -> dict[str, Any]:
    return {"eventType": f"media.{event_type}", "mediaCollection": {"sessionID": _ADS_SID, "playhead": 0, **details},
            "timestamp": _ADS_TS}


DOCS_ADS_CURLS = [
    ("adBreakStart", _ads("adBreakStart", advertisingPodDetails={"index": 0, "offset": 0})),
    ("adBreakComplete", _ads("adStart", advertisingDetails={"name": "Example ad", "length": 1,
                                                            "playerName": "Ad player", "podPosition": 0})),
    ("adComplete", _ads("adComplete")),
    ("adBreakComplete", _ads("adBreakComplete")),
]

# --------------------------------------------------------------------------------------------------
# Scenarios


@dataclass
class Req:
    path: str  # /va/v1/{segment}, /{hint}/va/v1/{segment} or /v1/interact (after /ee)
    body: Any  # the JSON body as sent
    status: int
    answer: str = ""  # response body text
    t: float = 0.0  # when the proxy saw it (epoch s)
    comment: str = ""
    filled: list[str] = field(default_factory=list)
    config_id: str | None = None  # None: the scenario's
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)  # further request headers


@dataclass
class Scenario:
    name: str
    repository: str
    commit: str
    paths: list[str]
    test: str
    summary: str
    requests: list[Req] = field(default_factory=list)
    config_id: str = CONFIG_ID


def _iso_ms(t: float) -> str:
    ms = round(t * 1000)
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _mobile_body(xdm: dict[str, Any], n: int, sdk: str = "ios") -> dict[str, Any]:
    request_xdm = copy.deepcopy(MOBILE_XDM)
    name, version = MOBILE_SDK_NAMES[sdk]
    request_xdm["implementationDetails"].update(name=name, version=version)
    return {"events": [{"xdm": {"_id": f"00000000-0000-4000-8000-{n:012d}", **xdm}}],
            "meta": copy.deepcopy(MOBILE_META), "xdm": request_xdm}


def ios_scenario(name: str) -> Scenario:
    file, test, steps = IOS_SEQUENCES[name]
    sc = Scenario(name, *EDGEMEDIA_IOS, [IOS_SCENARIOS + file, IOS_HELPER], test,
                  f"iOS Edge Media SDK functional test {file} {test}: the expected events with playhead and ts.")
    sc.repository, sc.commit = EDGEMEDIA_IOS
    metadata = CUSTOM_PING_METADATA if file == "CustomPingDuration.swift" else MEDIA_METADATA
    seen: dict[int, int] = {}
    for n, (et, playhead, ts) in enumerate(steps):
        offset = seen.get(ts, 0)
        seen[ts] = offset + 1
        info = {"sessionStart": MEDIA_INFO, "adBreakStart": AD_BREAK, "adStart": AD}.get(et)
        meta = metadata if et == "sessionStart" else AD_METADATA if et == "adStart" else None
        t = CLOCK_BASE + ts + offset / 1000
        xdm = {"timestamp": _iso_ms(t), "eventType": f"media.{et}",
               "mediaCollection": ios_media_collection(et, playhead, SUCCESS_SID, info, meta)}
        filled = [f"timestamp: CLOCK_BASE {_iso_ms(CLOCK_BASE)} + the test's ts {ts} s"
                  + (f" + {offset} ms (events stamped with the same second are sent in ascending order)"
                     if offset else ""),
                  "sessionID: MediaEdgeIntegrationTests' session id (the scenario uses 'FakeBackendID')",
                  "envelope (_id, meta, xdm.identityMap, implementationDetails): EdgePathOverwriteTests' body, "
                  "ECID and versions filled", f"proxy time: the timestamp + {LATENCY * 1000:g} ms"]
        start = et == "sessionStart"
        sc.requests.append(Req(f"/va/v1/{et}", _mobile_body(xdm, n + 1), 200 if start else 204,
                               SUCCESS_BODY + "\n" if start else "", t + LATENCY,
                               f"expectedEvents[{n}]: {et} playhead {playhead} ts {ts}",
                               filled + (["answer: MediaEdgeIntegrationTests' success body"] if start else
                                         ["answer: 204 (Edge's documented answer to an event)"])))
    sc.paths.append(ANDROID_IT)
    sc.paths.append(PATH_OVERWRITE)
    return sc


def android_start_error() -> Scenario:
    sc = Scenario("android-session-start-error", *EDGEMEDIA_ANDROID, [ANDROID_IT, PATH_OVERWRITE],
                  "testSessionStartErrorResponse_shouldNotSendAnyOtherNetworkRequests",
                  "sessionStart answered 400 with the va-edge-0400-400 record; the SDK sends nothing more.")
    xdm = {"timestamp": _iso_ms(CLOCK_BASE), "eventType": "media.sessionStart",
           "mediaCollection": ios_media_collection("sessionStart", 0, SUCCESS_SID, MEDIA_INFO, MEDIA_METADATA)}
    sc.requests.append(Req("/va/v1/sessionStart", _mobile_body(xdm, 1), 400, ERROR_BODY + "\n",
                           CLOCK_BASE + LATENCY, "the sessionStart the test tracks, answered with its error body",
                           ["sessionStart body: the iOS scenarios' MediaInfo/metadata (the test asserts only that "
                            "nothing follows)", "envelope: EdgePathOverwriteTests' body",
                            "status 400 with the test's streamed error record"]))
    return sc


def _docs_time(stamp: str) -> float | None:
    text = stamp.replace("YYYY-MM-DD", DOCS_DATE).replace("YYYY-08-20", DOCS_DATE[:4] + "-08-20")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _fill_docs(xdm: dict[str, Any], sid: str) -> dict[str, Any]:
    text = json.dumps(xdm, ensure_ascii=False).replace("YYYY-MM-DD", DOCS_DATE).replace("{SID}", sid)
    return json.loads(text)


def docs_example(n: int, wrapped: bool) -> Scenario:
    bodies = DOCS_EXAMPLE_1 if n == 1 else DOCS_EXAMPLE_2
    name = f"docs-example-{n}" + ("" if wrapped else "-as-written")
    how = ("each payload inside {\"events\": [{\"xdm\": ...}]}, YYYY-MM-DD and {SID} filled" if wrapped else
           "each payload posted as written: a bare xdm object, placeholders kept")
    sc = Scenario(name, *DOCS, [DOCS_EXAMPLES], f"Example {n}",
                  f"Media Edge API implementation examples, Example {n}: {how}.")
    last = _docs_time("YYYY-MM-DDT02:00:00.000Z") or CLOCK_BASE  # "The session starts with" (the page)
    for i, xdm in enumerate(bodies):
        et = xdm["eventType"].split(".", 1)[1]
        body = {"events": [{"xdm": _fill_docs(xdm, SUCCESS_SID)}]} if wrapped else copy.deepcopy(xdm)
        t = _docs_time(xdm["timestamp"])
        when = "the filled timestamp" if t is not None else "the previous request's time (unparsable timestamp)"
        last = t if t is not None else last
        start = et == "sessionStart"
        filled = [f"proxy time: {when} + {LATENCY * 1000:g} ms", f"configId={CONFIG_ID} for <datastreamID>",
                  "request headers: Content-Type application/json (the docs' curls)"]
        if wrapped:
            filled.append(f"YYYY-MM-DD -> {DOCS_DATE}; {{SID}} -> the sessionStart answer's session id")
        filled.append("answer: MediaEdgeIntegrationTests' success body" if start else "answer: 204 (docs)")
        sc.requests.append(Req(f"/va/v1/{et}", body, 200 if start else 204, SUCCESS_BODY + "\n" if start else "",
                               last + LATENCY, f"payload {i + 1} of Example {n} ({et})", filled))
    return sc


def docs_ads_page() -> Scenario:
    sc = Scenario("docs-ads-page", *DOCS, [DOCS_ADS], "adBreakStart, adStart, adComplete, adBreakComplete curls",
                  "The curl requests of the ads endpoint page in page order (a capture that begins mid-session); "
                  "the adStart example posts to /adBreakComplete.")
    base = _docs_time(_ADS_TS)
    assert base is not None
    for i, (segment, xdm) in enumerate(DOCS_ADS_CURLS):
        body = {"events": [{"xdm": json.loads(json.dumps(xdm).replace("YYYY-08-20", DOCS_DATE[:4] + "-08-20"))}]}
        sc.requests.append(Req(f"/va/v1/{segment}", body, 204, "", base + LATENCY + i * 0.5,
                               f"curl {i + 1}: POST /va/v1/{segment} with {xdm['eventType']}",
                               [f"YYYY -> {DOCS_DATE[:4]}", f"configId={CONFIG_ID} for {{datastreamID}}",
                                "proxy time: the timestamp + 25 ms + 0.5 s per earlier curl (all share one "
                                "timestamp)", "answer: 204 (the page: 'returns 204 No Content')"]))
    return sc


# --------------------------------------------------------------------------------------------------
# Android Edge Media SDK integration tests (MediaEdgeIntegrationTests.kt, MediaEdgeLocationHintIntegrationTests.kt).
# Their expected mediaCollection comes from EdgeEventHelper.generateMediaCollection; these are its results for the
# tests' objects, evaluated by hand (Media.createMediaObject("testName", "testId", 30, "VOD", Audio) puts
# media.id testId, media.name testName, media.streamtype VOD, media.type audio, media.length 30,
# media.resumed false; createQoEObject(1, 2, 3, 4) is bitrate 1, startupTime 2, fps 3, droppedFrames 4;
# createChapterObject("testName", 1, 30, 2) is position 1, length 30, startTime 2; the configuration's
# edgeMedia.playerName/channel fill sessionDetails and advertisingDetails.playerName).

ANDROID_CONFIG_ID = "1234abcd-abcd-1234-5678-123456abcdef"  # the tests' EDGE_CONFIG_ID (MobileCore configuration)
A_SESSION = {"name": "testId", "friendlyName": "testName", "length": 30, "streamType": "audio", "contentType": "VOD",
             "hasResume": False, "playerName": "testPlayerName", "channel": "testChannel"}
A_POD = {"friendlyName": "testName", "index": 1, "offset": 1}
A_AD = {"name": "testId", "friendlyName": "testName", "podPosition": 1, "length": 15, "playerName": "testPlayerName"}
A_CHAPTER = {"friendlyName": "testName", "index": 1, "offset": 2, "length": 30}
A_QOE = {"bitrate": 1, "droppedFrames": 4, "framesPerSecond": 3, "timeToStart": 2}
A_ERROR = {"name": "testError", "source": "player"}
A_METADATA = [{"name": "testKey", "value": "testValue"}]  # metadata {testKey: testValue}: no standard key


def android_media_collection(et: str, playhead: int, extra: str = "") -> dict[str, Any]:
    """generateMediaCollection's map, in its order: the detail object, qoeDataDetails, sessionID, playhead,
    customMetadata. ``extra``: "qoe" (the test passes qoeInfo), "start:NAME" / "end:NAME" (statesUpdate)."""
    mc: dict[str, Any] = {}
    details = {"sessionStart": ("sessionDetails", A_SESSION), "adStart": ("advertisingDetails", A_AD),
               "adBreakStart": ("advertisingPodDetails", A_POD), "chapterStart": ("chapterDetails", A_CHAPTER),
               "error": ("errorDetails", A_ERROR), "bitrateChange": ("qoeDataDetails", A_QOE)}.get(et)
    if details:
        mc[details[0]] = dict(details[1])
    if et == "statesUpdate":
        kind, name = extra.split(":", 1)
        mc["statesStart" if kind == "start" else "statesEnd"] = [{"name": name}]
    if extra == "qoe":
        mc["qoeDataDetails"] = dict(A_QOE)
    if et != "sessionStart":
        mc["sessionID"] = SUCCESS_SID
    mc["playhead"] = playhead
    if et in ("sessionStart", "adStart", "chapterStart"):  # the tests pass metadata with these
        mc["customMetadata"] = copy.deepcopy(A_METADATA)
    return mc


# (event, playhead, wall-clock s, extra): the networkRequests the test asserts, in order. The tests have no clock
# (only "timestamp is not null"): the wall clock advances 1 s per second the test moves the playhead while playing.
AStep = tuple[str, int, int, str]
ANDROID_SEQUENCES: dict[str, tuple[str, list[AStep]]] = {
    "android-play-pause-complete": ("testPlayback_singleSession_play_pause_complete", [
        ("sessionStart", 0, 0, ""), ("play", 0, 0, ""), ("pauseStart", 7, 7, ""), ("sessionComplete", 7, 7, "")]),
    "android-preroll": ("testPlayback_withPrerollAdBreak", [
        ("sessionStart", 0, 0, ""), ("adBreakStart", 0, 0, ""), ("adStart", 0, 0, "qoe"), ("play", 0, 0, ""),
        ("adComplete", 0, 0, ""), ("adBreakComplete", 0, 0, ""), ("play", 0, 0, ""), ("sessionComplete", 0, 0, "")]),
    "android-single-chapter": ("testPlayback_withSingleChapter", [
        ("sessionStart", 0, 0, ""), ("chapterStart", 0, 0, ""), ("play", 0, 0, ""), ("chapterComplete", 0, 0, ""),
        ("sessionComplete", 0, 0, "")]),
    "android-buffer-seek-bitrate-error": ("testPlayback_withBuffer_withSeek_withBitrate_withQoeUpdate_withError", [
        ("sessionStart", 0, 0, ""), ("play", 0, 0, ""), ("bufferStart", 5, 5, ""), ("play", 5, 5, ""),
        ("bitrateChange", 10, 10, ""), ("pauseStart", 15, 15, ""), ("play", 15, 15, ""), ("error", 15, 15, ""),
        ("sessionComplete", 20, 20, "")]),
    "android-preroll-unclosed-ad": ("testPlayback_withPrerollAdBreak_noAdComplete_noAdbreakComplete_withSessionEnd", [
        ("sessionStart", 0, 0, ""), ("adBreakStart", 0, 0, ""), ("adStart", 0, 0, ""), ("play", 0, 0, ""),
        ("adSkip", 0, 0, ""), ("adBreakComplete", 0, 0, ""), ("sessionComplete", 0, 0, "")]),
    "android-unclosed-chapter-session-end": ("testPlayback_withChapterStart_noChapterComplete_withSessionEnd", [
        ("sessionStart", 0, 0, ""), ("chapterStart", 0, 0, ""), ("play", 0, 0, ""), ("chapterSkip", 12, 12, ""),
        ("sessionEnd", 12, 12, "")]),
    "android-chapter-mute-custom-state": ("testPlayback_withSingleChapter_withMuteState_withCustomState", [
        ("sessionStart", 0, 0, ""), ("chapterStart", 0, 0, ""), ("play", 0, 0, ""),
        ("statesUpdate", 0, 0, "start:mute"), ("statesUpdate", 0, 0, "start:testStateName"),
        ("statesUpdate", 12, 12, "end:testStateName"), ("statesUpdate", 12, 12, "end:mute"),
        ("chapterComplete", 12, 12, ""), ("sessionComplete", 12, 12, "")]),
    "android-open-chapter-states-session-end": (
        "testPlayback_withChapterStart_noChapterComplete_withMuteStateStart_withCustomStateStart_noMuteStateEnd_"
        "noCustomStateEnd_withSessionEnd", [
            ("sessionStart", 0, 0, ""), ("chapterStart", 0, 0, ""), ("play", 0, 0, ""),
            ("statesUpdate", 0, 0, "start:mute"), ("statesUpdate", 0, 0, "start:testStateName"),
            ("chapterSkip", 12, 12, ""), ("sessionEnd", 12, 12, "")]),
}
ANDROID_HINT_SEQUENCES = {  # MediaEdgeLocationHintIntegrationTests: play/pause/complete with and without a hint
    "android-location-hint-or2": ("testMediaEdgeRequests_whenLocationHintSet_urlPathContainsLocationHint", "or2"),
    "android-location-hint-none": ("testMediaEdgeRequests_noLocationHintSet_urlPathDoesNotContainLocationHint", None),
}


def android_scenario(name: str, test: str, steps: list[AStep], hint: str | None = None,
                     paths: list[str] | None = None) -> Scenario:
    sc = Scenario(name, *EDGEMEDIA_ANDROID, paths or [ANDROID_IT, ANDROID_HELPER, *ANDROID_OBJECTS, PATH_OVERWRITE],
                  test, f"Android Edge Media SDK integration test {test}: the requests it asserts, their "
                  "mediaCollection as EdgeEventHelper.generateMediaCollection builds it" +
                  (f", under the location hint {hint}" if hint else "") + ".", config_id=ANDROID_CONFIG_ID)
    seen: dict[int, int] = {}
    prefix = f"/{hint}" if hint else ""
    for n, (et, playhead, ts, extra) in enumerate(steps):
        offset = seen.get(ts, 0)
        seen[ts] = offset + 1
        t = CLOCK_BASE + ts + offset / 1000
        xdm = {"timestamp": _iso_ms(t), "eventType": f"media.{et}",
               "mediaCollection": android_media_collection(et, playhead, extra)}
        start = et == "sessionStart"
        filled = [f"timestamp: CLOCK_BASE {_iso_ms(CLOCK_BASE)} + {ts} s (1 s per second the test moves the "
                  "playhead)" + (f" + {offset} ms (ascending within one instant)" if offset else ""),
                  "envelope (_id, meta, xdm.identityMap, implementationDetails): EdgePathOverwriteTests' body, "
                  "ECID and versions filled", f"proxy time: the timestamp + {LATENCY * 1000:g} ms",
                  "answer: the test's SUCCESS_RESPONSE_STRING" if start else
                  "answer: 204 (the mock network answers only the sessionStart; 204 is the Edge's answer)"]
        sc.requests.append(Req(f"{prefix}/va/v1/{et}", _mobile_body(xdm, n + 1, "android"), 200 if start else 204,
                               SUCCESS_BODY + "\n" if start else "", t + LATENCY,
                               f"networkRequests[{n}]: {et} playhead {playhead}" + (f" ({extra})" if extra else ""),
                               filled))
    return sc


# --------------------------------------------------------------------------------------------------
# OpenAPI static/media-edge.yaml: every endpoint's example request and answers (oas_examples.json, verbatim)

OAS_EVENT_PATHS = ("sessionComplete", "sessionEnd", "play", "ping", "adBreakStart", "adBreakComplete", "adStart",
                   "adComplete", "adSkip", "bitrateChange", "bufferStart", "chapterStart", "chapterComplete",
                   "chapterSkip", "error", "pauseStart", "statesUpdate")  # the file's order


def oas_examples() -> dict[str, dict[str, Any]]:
    return json.loads(OAS_FILE.read_text(encoding="utf-8"))["paths"]


def _oas_time(body: Any) -> float:
    xdm = body["events"][0]["xdm"]
    stamp = xdm.get("timestamp") or xdm["mediaDownloadedEvents"][-1]["mediaEventTimestamp"]
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _answer_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, indent=1, ensure_ascii=False)


def _oas_scenario(name: str, test: str, summary: str) -> Scenario:
    return Scenario(name, *DOCS, [OAS, DOCS_EXAMPLES], test, summary)


def _oas_req(path: str, body: Any, status: int, answer: Any, comment: str, filled: list[str],
             config_id: str | None = None, t: float | None = None) -> Req:
    return Req(path, body, status, _answer_text(answer), (t if t is not None else _oas_time(body)) + LATENCY,
               comment, filled + [f"proxy time: the example's timestamp + {LATENCY * 1000:g} ms",
                                  f"configId={config_id or CONFIG_ID} (the file names none)" if config_id is None
                                  else f"configId={config_id}: the datastream id the 400 example names"],
               config_id=config_id)


def oas_request_scenarios() -> list[Scenario]:
    """Each endpoint's example request on its own, answered with the success the file documents (a fragment)."""
    ex = oas_examples()
    out = []
    for segment in ("sessionStart", *OAS_EVENT_PATHS):
        entry = ex[f"/{segment}"]
        for key in sorted(k for k in entry if k.startswith("request[")):
            n = key[len("request["):-1]
            name = f"oas-{segment}" + (f"-{int(n) + 1}" if segment == "statesUpdate" else "")
            sc = _oas_scenario(name, f"paths./{segment}.post requestBody example {n}",
                               f"The OpenAPI example request of /{segment}" +
                               (f" (example {n})" if segment == "statesUpdate" else "") + ", answered with its "
                               + ("200 example" if segment == "sessionStart" else "204") + ".")
            start = segment == "sessionStart"
            sc.requests.append(_oas_req(f"/va/v1/{segment}", entry[key], 200 if start else 204,
                                        entry["200[0]"] if start else None, f"{key} of /{segment}",
                                        ["answer: the file's 200 example" if start else "answer: 204 (the file)"]))
            out.append(sc)
    return out


def _without(body: Any, jsonpath: str, reason: str) -> tuple[Any, str]:
    """The request an error detail describes: the example with the named field removed, or the session id cut to
    the length an InvalidApiSidLength hint gives, or a statesUpdate emptied."""
    body = copy.deepcopy(body)
    parts = jsonpath.removeprefix("$.").replace("events[0].", "").split(".")
    target = body["events"][0]
    for key in parts[:-1]:
        name, _, index = key.partition("[")
        target = target[name][int(index[:-1])] if index else target[name]
    last = parts[-1]
    if "InvalidApiSidLength=" in reason:
        length = int(reason.rsplit("=", 1)[1])
        target[last] = target[last][:length]
        return body, f"{jsonpath} cut to {length} characters"
    if "Empty statesUpdate" in reason:
        mc = target[last]
        mc.pop("statesStart", None)
        mc.pop("statesEnd", None)
        return body, f"{jsonpath}.statesStart and statesEnd removed"
    target.pop(last, None)
    return body, f"{jsonpath} removed"


def _described(request: Any, answer: dict[str, Any]) -> tuple[Any, list[str]]:
    errors = answer.get("errors") or [answer]
    details = [d for e in errors for d in ((e.get("report") or {}).get("details") or []) if isinstance(d, dict)]
    changes = []
    for detail in details:
        path = detail["name"].replace("$.xdm.", "$.events[0].xdm.")
        request, what = _without(request, path, detail["reason"])
        changes.append(what)
    return request, changes


def oas_answer_scenarios() -> list[Scenario]:
    ex = oas_examples()
    out = []
    start = ex["/sessionStart"]
    body, changes = _described(start["request[0]"], start["207[0]"])
    sc = _oas_scenario("oas-sessionStart-207", "paths./sessionStart.post responses 207 example 0",
                       "The sessionStart example request as the 207 example describes it (no sessionDetails.name), "
                       "answered with that 207 (errors[] va-edge-0400-400).")
    sc.requests.append(_oas_req("/va/v1/sessionStart", body, 207, start["207[0]"], "request[0] as 207[0] describes it",
                                [f"request: the example with {', '.join(changes)} (what the answer reports)"]))
    out.append(sc)
    bad_id = "66b64400-e418-4184-8fed-b57636d09"  # the id the 400 examples' detail names
    for segment in ("sessionStart", "downloaded"):
        entry = ex[f"/{segment}"]
        sc = _oas_scenario(f"oas-{segment}-400", f"paths./{segment}.post responses 400 example 0",
                           f"The /{segment} example request sent with the datastream id the 400 example names, "
                           "answered with that 400 (EXEG-0003-400 Invalid datastream ID).")
        sc.requests.append(_oas_req(f"/va/v1/{segment}", entry["request[0]"], 400, entry["400[0]"],
                                    "request[0] answered 400[0]", [], config_id=bad_id))
        out.append(sc)
    dl = ex["/downloaded"]
    sc = _oas_scenario("oas-downloaded", "paths./downloaded.post requestBody example 0 and responses 200 example 0",
                       "The 12-event /downloaded example batch, answered with the file's 200 example.")
    sc.requests.append(_oas_req("/va/v1/downloaded", dl["request[0]"], 200, dl["200[0]"], "request[0] answered 200[0]",
                                ["answer: the file's 200 example"]))
    out.append(sc)
    body, changes = _described(dl["request[0]"], {"errors": [{"report": {"details": [
        {"name": "$.events[0].xdm.mediaDownloadedEvents[0].mediaCollection.sessionDetails.name",
         "reason": "Missing required field"}]}}]})
    sc = _oas_scenario("oas-downloaded-207", "paths./downloaded.post responses 207 example 0",
                       "The /downloaded example batch without its sessionStart's sessionDetails.name, answered with "
                       "the 207 example (va-edge-0400-400 $.xdm.mediaCollection.sessionDetails.name).")
    sc.requests.append(_oas_req("/va/v1/downloaded", body, 207, dl["207[0]"], "request[0] as 207[0] describes it",
                                [f"request: the example with {', '.join(changes)} (the answer's field, inside the "
                                 "batch's sessionStart)"]))
    out.append(sc)
    sc = _oas_scenario("oas-event-400s", "paths./{event}.post responses 400 example 0, every event endpoint",
                       "Every event endpoint's example request as its 400 example describes it (the named fields "
                       "removed, the sessionID cut to 63 characters, statesUpdate emptied), answered with that 400, "
                       "in the file's order: one session fragment whose events the Edge all refuses.")
    last = 0.0
    for segment in OAS_EVENT_PATHS:
        entry = ex[f"/{segment}"]
        body, changes = _described(entry["request[1]" if segment == "statesUpdate" else "request[0]"], entry["400[0]"])
        last = max(last + 1, _oas_time(body))
        sc.requests.append(_oas_req(f"/va/v1/{segment}", body, 400, entry["400[0]"], f"/{segment}: 400[0]",
                                    [f"request: the example with {', '.join(changes)} (what the answer reports)",
                                     "proxy time: 1 s after the previous request where the examples share a "
                                     "timestamp"], t=last))
    out.append(sc)
    sc = _oas_scenario("oas-event-404s", "paths./{event}.post responses 404 example 0, every event endpoint",
                       "Every event endpoint's example request answered with its 404 example (va-edge-0404-404), in "
                       "the file's order: the session is gone from the first answer on.")
    last = 0.0
    for segment in OAS_EVENT_PATHS:
        entry = ex[f"/{segment}"]
        body = entry["request[0]"]
        last = max(last + 1, _oas_time(body))
        sc.requests.append(_oas_req(f"/va/v1/{segment}", body, 404, entry["404[0]"], f"/{segment}: 404[0]",
                                    ["proxy time: 1 s after the previous request where the examples share a "
                                     "timestamp"], t=last))
    out.append(sc)
    return out


# --------------------------------------------------------------------------------------------------
# alloy (Web SDK) integration test: sessionStart inside /v1/interact, answered with mediaSessionResponse.json

ALLOY_SESSION_RESPONSE = {"requestId": "media-session-request-id", "handle": [
    {"payload": [{"sessionId": "test-session-id-123456789012345678901234"}], "type": "media-analytics:new-session"}]}
ALLOY_IDENTITY_COOKIE = "kndctr_5BFE274A5F6980A50A495C08_AdobeOrg_identity=CiY0Mzg5NTEyNzMzNTUxMDc5MzgzMzU2MjU5NDY5"


def alloy_scenario() -> Scenario:
    sc = Scenario("alloy-media-session", *ALLOY, [ALLOY_SPEC, ALLOY_RESPONSE, ALLOY_HANDLERS],
                  "Streaming Media Events: media events include timestamp in xdm",
                  "Web SDK streamingMedia: createMediaSession through /ee/v1/interact (answered with "
                  "mediaSessionResponse.json), then sendMediaEvent play and sessionComplete to /ee/va/v1/ (204).")
    sid = ALLOY_SESSION_RESPONSE["handle"][0]["payload"][0]["sessionId"]
    details = {"length": 60, "contentType": "VOD", "name": "test video", "channel": "test channel",
               "playerName": "test player"}  # the test's sessionDetails + its streamingMedia config
    qoe = {"bitrate": 1000, "droppedFrames": 0, "framesPerSecond": 30, "timeToStart": 100}  # getPlayerDetails
    impl = {"name": "https://ns.adobe.com/experience/alloy", "version": "2.30.0", "environment": "browser"}
    steps = [("/v1/interact", "sessionStart", {"sessionDetails": details, "playhead": 10, "qoeDataDetails": qoe}),
             ("/va/v1/play", "play", {"playhead": 10, "sessionID": sid}),
             ("/va/v1/sessionComplete", "sessionComplete", {"playhead": 10, "sessionID": sid})]
    for n, (path, et, mc) in enumerate(steps):
        t = CLOCK_BASE + n / 1000
        body = {"events": [{"xdm": {"eventType": f"media.{et}", "mediaCollection": mc, "timestamp": _iso_ms(t),
                                    "implementationDetails": impl}}],
                "meta": {"state": {"domain": "example.com", "cookiesEnabled": True}}}
        start = et == "sessionStart"
        sc.requests.append(Req(path, body, 200 if start else 204,
                               json.dumps(ALLOY_SESSION_RESPONSE) if start else "", t + LATENCY,
                               f"{'createMediaSession' if start else 'sendMediaEvent ' + et} (playhead from "
                               "getPlayerDetails)",
                               ["timestamp: CLOCK_BASE + 1 ms per call (the test asserts only that one is present)",
                                "sessionDetails.channel/playerName: the test's streamingMedia config",
                                "envelope: implementationDetails and meta.state as the Web SDK sends them, version "
                                "filled", "request header Cookie: a kndctr identity from an earlier call (the Web "
                                "SDK establishes identity before its first media call)",
                                "Content-Type text/plain (the Web SDK's fetch)",
                                "answer: mediaSessionResponse.json" if start else "answer: 204 (mediaEventHandler)",
                                f"proxy time: the timestamp + {LATENCY * 1000:g} ms"],
                               content_type="text/plain; charset=UTF-8", headers=[("Cookie", ALLOY_IDENTITY_COOKIE)]))
    return sc


# --------------------------------------------------------------------------------------------------
# Roku SDK unit test: the sessionStart answers its media session handles (200 new-session, 207 va-edge-0400-400)

ROKU_200 = {"requestId": "sessionStartRequestId", "handle": [
    {"payload": [{"sessionId": "bfba9a5f2986d69a9a9424f6a99702562512eb244f2b65c4f1c1553e7fe9997f"}],
     "type": "media-analytics:new-session", "eventIndex": 0},
    {"payload": [{"scope": "Target", "hint": "34", "ttlSeconds": 1800}, {"scope": "AAM", "hint": "7", "ttlSeconds": 1800},
                 {"scope": "EdgeNetwork", "hint": "va6", "ttlSeconds": 1800}], "type": "locationHint:result"},
    {"payload": [{"key": "kndctr_EA0C49475E8AE1870A494023_AdobeOrg_cluster", "value": "va6", "maxAge": 1800},
                 {"key": "kndctr_EA0C49475E8AE1870A494023_AdobeOrg_identity",
                  "value": "CiY0Mzg5NTEyNzMzNTUxMDc5MzgzMzU2MjU5NDY5MTY3Mzc3MTc2OFIOCJ-YppX6MBgBKgNWQTbwAZ-YppX6MA==",
                  "maxAge": 34128000}], "type": "state:store"}]}
ROKU_207 = {"requestId": "sessionStartRequestId", "errors": [
    {"type": "https://ns.adobe.com/aep/errors/va-edge-0400-400", "status": 400, "title": "Bad Request",
     "detail": "Invalid request. Please check your input and try again.",
     "report": {"details": [{"name": "$.events[0].xdm.mediaCollection.sessionDetails",
                             "reason": "Missing required field"}]}}]}


def roku_scenarios() -> list[Scenario]:
    out = []
    for status, answer, test in (
            (200, ROKU_200, "TC_adb_MediaSession_processEdgeRequestQueue_sessionStart_200_storesBackendSessionId"),
            (207, ROKU_207, "TC_adb_MediaSession_processEdgeRequestQueue_sessionStart_207_vaError400_closesSession")):
        sc = Scenario(f"roku-session-start-{status}", *ROKU, [ROKU_TEST, ANDROID_HELPER], test,
                      f"Roku SDK media session test {test}: a sessionStart answered with the test's {status} record.")
        xdm = {"timestamp": _iso_ms(CLOCK_BASE), "eventType": "media.sessionStart",
               "mediaCollection": android_media_collection("sessionStart", 0)}
        filled = ["request: the Android integration tests' sessionStart (the Roku test mocks only the answer)",
                  "envelope: the Edge mobile body with a Roku implementationDetails name"]
        body = _mobile_body(xdm, 1, "roku")
        if status == 207:
            body, changes = _described(body, answer)
            filled.append(f"request: {', '.join(changes)} (what the answer reports)")
        sc.requests.append(Req("/va/v1/sessionStart", body, status, json.dumps(answer), CLOCK_BASE + LATENCY,
                               f"sessionStart answered with the test's {status} record", filled +
                               [f"proxy time: the timestamp + {LATENCY * 1000:g} ms"]))
        out.append(sc)
    return out


def scenarios() -> list[Scenario]:
    android = [android_scenario(name, test, steps) for name, (test, steps) in ANDROID_SEQUENCES.items()]
    pause = ANDROID_SEQUENCES["android-play-pause-complete"][1]
    hints = [android_scenario(name, test, pause, hint, [ANDROID_HINT_IT, ANDROID_HELPER, *ANDROID_OBJECTS,
                                                        PATH_OVERWRITE])
             for name, (test, hint) in ANDROID_HINT_SEQUENCES.items()]
    return [*(ios_scenario(n) for n in IOS_SEQUENCES), android_start_error(), *android, *hints,
            docs_example(1, False), docs_example(1, True), docs_example(2, True), docs_ads_page(),
            *oas_request_scenarios(), *oas_answer_scenarios(), alloy_scenario(), *roku_scenarios()]


# --------------------------------------------------------------------------------------------------
# HAR


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_STATUS_TEXT = {200: "OK", 204: "No Content", 207: "Multi-Status", 400: "Bad Request", 404: "Not Found"}


def _entry(sc: Scenario, index: int, req: Req) -> dict[str, Any]:
    body = json.dumps(req.body, separators=(",", ":"), ensure_ascii=False)
    size = len(body.encode())
    config_id = req.config_id if req.config_id is not None else sc.config_id
    request_id = f"00000000-0000-4000-9000-{index + 1:012d}"
    url = f"https://{HOST}/ee{req.path}?configId={config_id}&requestId={request_id}"
    answer_size = len(req.answer.encode())
    headers = [("Content-Type", "application/json"), ("Content-Length", str(answer_size))] if req.answer else []
    return {
        "startedDateTime": _iso(req.t),
        "time": RTT_MS,
        "request": {
            "method": "POST", "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in
                        (("Host", HOST), ("Content-Type", req.content_type), ("Content-Length", str(size)),
                         *req.headers)],
            "queryString": [{"name": "configId", "value": config_id}, {"name": "requestId", "value": request_id}],
            "postData": {"mimeType": req.content_type, "text": body},
            "headersSize": -1, "bodySize": size,
        },
        "response": {
            "status": req.status, "statusText": _STATUS_TEXT.get(req.status, ""), "httpVersion": "HTTP/1.1",
            "cookies": [], "headers": [{"name": k, "value": v} for k, v in headers],
            "content": {"size": answer_size, "mimeType": "application/json" if req.answer else "",
                        **({"text": req.answer} if req.answer else {})},
            "redirectURL": "", "headersSize": -1, "bodySize": answer_size,
        },
        "cache": {},
        "timings": {"send": 1, "wait": RTT_MS - 2, "receive": 1},
        "_comment": req.comment,
        "_mcscope_filled": req.filled + ["request headers Host and Content-Length; requestId (a UUID per request, "
                                         "as both SDKs send)"],
    }


def to_har(sc: Scenario) -> dict[str, Any]:
    return {"log": {
        "version": "1.2",
        "creator": {"name": "mcscope tests/conformance/edge/make_edge_conformance.py", "version": "1"},
        "comment": sc.summary,
        "_mcscope_source": {"repository": sc.repository, "commit": sc.commit, "paths": sc.paths, "test": sc.test},
        "entries": [_entry(sc, i, r) for i, r in enumerate(sc.requests)],
    }}


def sources() -> dict[str, Any]:
    return {"scenarios": {sc.name: {"repository": sc.repository, "commit": sc.commit, "paths": sc.paths,
                                    "test": sc.test, "summary": sc.summary} for sc in scenarios()}}


def write_all(outdir: Path) -> list[Path]:
    return write_captures(outdir, ((sc.name, to_har(sc)) for sc in scenarios()), sources())


def main(argv: list[str]) -> int:
    outdir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent / "captures"
    for path in write_all(outdir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
