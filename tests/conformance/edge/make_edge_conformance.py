"""Build the Media Edge API conformance captures (HAR 1.2) from Adobe's Edge Media SDK tests and Media Edge docs.

    python tests/conformance/edge/make_edge_conformance.py [OUTDIR]     (default: tests/conformance/edge/captures)

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

# --------------------------------------------------------------------------------------------------
# Sources (media-edge.md §4, §7)

EDGEMEDIA_IOS = ("adobe/aepsdk-edgemedia-ios", "f78ea24fb34186885b55e6a2ff1a53821bb833f0")
EDGEMEDIA_ANDROID = ("adobe/aepsdk-edgemedia-android", "f91aad692f81417afeb20b29aa35ff72e6aceb29")
EDGE_ANDROID = ("adobe/aepsdk-edge-android", "f607561cf7301e22deaabdcdf838844127e52186")
DOCS = ("AdobeDocs/data-collection-apis", "1968dcf70e406879fa6b019ef6f8ce7bdc709938")

IOS_SCENARIOS = "Tests/FunctionalTests/Scenarios/"
IOS_HELPER = "Tests/TestHelpers/EdgeEventHelper.swift"
ANDROID_IT = ("code/edgemedia/src/androidTest/java/com/adobe/marketing/mobile/edge/media/internal/"
              "MediaEdgeIntegrationTests.kt")
PATH_OVERWRITE = "code/edge/src/androidTest/java/com/adobe/marketing/mobile/EdgePathOverwriteTests.java"
DOCS_EXAMPLES = "src/pages/getting-started/media-edge-examples.md"
DOCS_ADS = "src/pages/endpoints/media/ads.md"

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
    path: str  # /va/v1/{segment}
    body: Any  # the JSON body as sent
    status: int
    answer: str = ""  # response body text
    t: float = 0.0  # when the proxy saw it (epoch s)
    comment: str = ""
    filled: list[str] = field(default_factory=list)


@dataclass
class Scenario:
    name: str
    repository: str
    commit: str
    paths: list[str]
    test: str
    summary: str
    requests: list[Req] = field(default_factory=list)


def _iso_ms(t: float) -> str:
    ms = round(t * 1000)
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _mobile_body(xdm: dict[str, Any], n: int) -> dict[str, Any]:
    return {"events": [{"xdm": {"_id": f"00000000-0000-4000-8000-{n:012d}", **xdm}}],
            "meta": copy.deepcopy(MOBILE_META), "xdm": copy.deepcopy(MOBILE_XDM)}


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


def scenarios() -> list[Scenario]:
    return [*(ios_scenario(n) for n in IOS_SEQUENCES), android_start_error(),
            docs_example(1, False), docs_example(1, True), docs_example(2, True), docs_ads_page()]


# --------------------------------------------------------------------------------------------------
# HAR


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_STATUS_TEXT = {200: "OK", 204: "No Content", 400: "Bad Request"}


def _entry(sc: Scenario, index: int, req: Req) -> dict[str, Any]:
    body = json.dumps(req.body, separators=(",", ":"), ensure_ascii=False)
    size = len(body.encode())
    url = f"https://{HOST}/ee{req.path}?configId={CONFIG_ID}&requestId=00000000-0000-4000-9000-{index + 1:012d}"
    answer_size = len(req.answer.encode())
    headers = [("Content-Type", "application/json"), ("Content-Length", str(answer_size))] if req.answer else []
    return {
        "startedDateTime": _iso(req.t),
        "time": RTT_MS,
        "request": {
            "method": "POST", "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in
                        (("Host", HOST), ("Content-Type", "application/json"), ("Content-Length", str(size)))],
            "queryString": [{"name": "configId", "value": CONFIG_ID},
                            {"name": "requestId", "value": f"00000000-0000-4000-9000-{index + 1:012d}"}],
            "postData": {"mimeType": "application/json", "text": body},
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


def dump_har(har: dict[str, Any]) -> str:
    """HAR text with one entry per line (small files, readable diffs)."""
    log = dict(har["log"])
    entries = log.pop("entries")
    head = json.dumps(log, separators=(",", ":"), ensure_ascii=False)[:-1]
    lines = ",\n".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) for e in entries)
    return '{"log":' + head + ',"entries":[\n' + lines + "\n]}}\n"


def sources() -> dict[str, Any]:
    return {"scenarios": {sc.name: {"repository": sc.repository, "commit": sc.commit, "paths": sc.paths,
                                    "test": sc.test, "summary": sc.summary} for sc in scenarios()}}


def write_all(outdir: Path) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for sc in scenarios():
        path = outdir / f"{sc.name}.har"
        path.write_text(dump_har(to_har(sc)), encoding="utf-8")
        written.append(path)
    src = outdir.parent / "sources.json" if outdir.name == "captures" else outdir / "sources.json"
    src.write_text(json.dumps(sources(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(src)
    return written


def main(argv: list[str]) -> int:
    outdir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent / "captures"
    for path in write_all(outdir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
