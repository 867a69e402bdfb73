"""The Media Edge API as data: paths, event types, the XDM fields of ``mediaCollection`` and their types,
and the REST <- Edge mapping that turns an XDM event into the core's event model.

Everything here comes from ``shared/spec/media-edge.md`` (§1.1-§1.7 protocol, §1.5 fields, §2 mapping); the
section is named beside each table. Types are JSON types as in ``spec.py``; ``integer`` accepts a number
without a fractional part (``10.0``), per the Decisions section ("JSON Schema's reading").
"""

from __future__ import annotations

import re
from typing import Any, Final

PROTOCOL: Final[str] = "edge"

# §1.1: /ee[/{hint}]/va/v1/{eventType}, /ee-pre-prd/..., /ee[/{hint}]/v1/interact. Paths are case-insensitive.
VA_PATH_RE: Final[re.Pattern[str]] = re.compile(r"/ee(?:-pre-prd)?(?:/([^/]+))?/va/v1/([^/]*)/?$", re.IGNORECASE)
INTERACT_PATH_RE: Final[re.Pattern[str]] = re.compile(r"/ee(?:-pre-prd)?(?:/([^/]+))?/v1/interact/?$",
                                                      re.IGNORECASE)

# §1.4: the 18 real-time paths (the path segment is xdm.eventType without "media.") + /downloaded.
EVENT_TYPES: Final[frozenset[str]] = frozenset({
    "sessionStart", "play", "ping", "bitrateChange", "bufferStart", "pauseStart", "adBreakStart", "adStart",
    "adComplete", "adSkip", "adBreakComplete", "chapterStart", "chapterComplete", "chapterSkip", "error",
    "sessionEnd", "sessionComplete", "statesUpdate",
})
DOWNLOADED: Final[str] = "downloaded"
PATHS: Final[dict[str, str]] = {name.lower(): name for name in (*EVENT_TYPES, DOWNLOADED)}
MEDIA_PREFIX: Final[str] = "media."

# §1.1 hosts (unknown-host is info for others: CNAMEs are legitimate).
KNOWN_HOSTS: Final[frozenset[str]] = frozenset({"edge.adobedc.net", "edge-int.adobedc.net", "adobedc.demdex.net"})

# §1.2: what the Edge accepts (anything else -> EXEG-0111-415).
CONTENT_TYPES: Final[frozenset[str]] = frozenset(
    {"application/json", "text/plain", "application/x-jackson-smile", "text/javascript"})

# §1.3 limits.
MAX_REQUEST_BYTES: Final[int] = 64 * 1024

# §1.6 / §1.7 response vocabulary.
NEW_SESSION_HANDLE: Final[str] = "media-analytics:new-session"
LOCATION_HINT_HANDLE: Final[str] = "locationHint:result"
ERROR_TYPE_PREFIX: Final[str] = "https://ns.adobe.com/aep/errors/"
VA_BAD_REQUEST: Final[str] = "va-edge-0400-400"
VA_NOT_FOUND: Final[str] = "va-edge-0404-404"
CONSENT_IGNORED: Final[str] = "EXEG-0301-200"
DATASTREAM_ERRORS: Final[frozenset[str]] = frozenset({"EXEG-0002-400", "EXEG-0003-400", "EXEG-0004-422"})
# §1.7 / §3.1: gateway answers to a fault the request itself shows -> the rule that judges that fault. One problem,
# one finding: the request's finding carries the answer, or the answer alone raises it (never also http-rejected).
ANSWER_RULES: Final[dict[str, str]] = {
    **dict.fromkeys(DATASTREAM_ERRORS, "edge-config-id-missing"),
    "EXEG-0101-400": "body-not-json", "EXEG-0109-408": "body-not-json",
    "EXEG-0106-400": "edge-content-type", "EXEG-0111-415": "edge-content-type",
    "EXEG-0112-413": "edge-request-too-large",
}

SESSION_ID_RE: Final[re.Pattern[str]] = re.compile(r"^[0-9a-f]{64}$")
# §1.6: misplaced spellings of the session id (edge-session-id-key).
SESSION_ID_MISPLACED: Final[tuple[str, ...]] = ("mediaCollection.sessionId", "mediaCollection.sessionDetails.ID",
                                                "xdm.sessionID", "xdm.sessionId")

# §1.5: detail objects per event: event -> (required object, its fields -> (JSON type, required)).
SESSION_DETAILS: Final[dict[str, tuple[str, bool]]] = {
    "name": ("string", True), "playerName": ("string", True), "contentType": ("string", True),
    "length": ("integer", True), "channel": ("string", True), "streamType": ("string", False),
    "hasResume": ("boolean", False), "isDownloaded": ("boolean", False),
}
for _key in ("show", "season", "episode", "assetID", "genre", "firstAirDate", "firstDigitalDate", "rating",
             "originator", "network", "showType", "adLoad", "mvpd", "authorized", "dayPart", "feed", "streamFormat",
             "artist", "album", "label", "author", "station", "publisher", "appVersion", "friendlyName"):
    SESSION_DETAILS.setdefault(_key, ("string", False))
SESSION_REQUIRED: Final[tuple[str, ...]] = tuple(k for k, (_, req) in SESSION_DETAILS.items() if req)

POD_DETAILS: Final[dict[str, tuple[str, bool]]] = {
    "index": ("integer", True), "offset": ("integer", True), "friendlyName": ("string", False)}
AD_DETAILS: Final[dict[str, tuple[str, bool]]] = {
    "name": ("string", True), "length": ("integer", True), "podPosition": ("integer", True),
    "playerName": ("string", True), "friendlyName": ("string", False), "advertiser": ("string", False),
    "campaignID": ("string", False), "creativeID": ("string", False), "creativeURL": ("string", False),
    "placementID": ("string", False), "siteID": ("string", False),
}
CHAPTER_DETAILS: Final[dict[str, tuple[str, bool]]] = {
    "index": ("integer", True), "length": ("integer", True), "offset": ("integer", True),
    "friendlyName": ("string", False)}
ERROR_DETAILS: Final[dict[str, tuple[str, bool]]] = {"name": ("string", True), "source": ("string", True)}
QOE_DETAILS: Final[dict[str, str]] = {
    "bitrate": "integer", "droppedFrames": "integer", "framesPerSecond": "integer", "timeToStart": "integer"}

# object name -> its fields
DETAIL_OBJECTS: Final[dict[str, dict[str, tuple[str, bool]]]] = {
    "sessionDetails": SESSION_DETAILS, "advertisingPodDetails": POD_DETAILS, "advertisingDetails": AD_DETAILS,
    "chapterDetails": CHAPTER_DETAILS, "errorDetails": ERROR_DETAILS,
}
# event -> the detail object it requires (params-missing)
REQUIRED_OBJECT: Final[dict[str, str]] = {
    "sessionStart": "sessionDetails", "adBreakStart": "advertisingPodDetails", "adStart": "advertisingDetails",
    "chapterStart": "chapterDetails", "error": "errorDetails", "bitrateChange": "qoeDataDetails",
}
# mediaCollection members that are no detail object
PLAIN_MEMBERS: Final[frozenset[str]] = frozenset(
    {"sessionID", "playhead", "qoeDataDetails", "customMetadata", "statesStart", "statesEnd"})
KNOWN_MEMBERS: Final[frozenset[str]] = PLAIN_MEMBERS | frozenset(DETAIL_OBJECTS)
CUSTOM_METADATA_EVENTS: Final[frozenset[str]] = frozenset({"sessionStart", "adStart", "chapterStart"})
# reporting-only fields a client must not send (param-unknown)
REPORTING_FIELDS: Final[frozenset[str]] = frozenset(
    {"mediaReporting", "isViewed", "timePlayed", "totalTimePlayed", "mediaTimeSpent", "isCompleted", "isStarted",
     "secondsSinceLastCall", "pev3", "pccr", "mediaSegmentView"})

STREAM_TYPES: Final[frozenset[str]] = frozenset({"video", "audio"})
ERROR_SOURCES: Final[frozenset[str]] = frozenset({"player", "external"})
AUTH_STATES: Final[frozenset[str]] = frozenset({"ambiguous", "authenticated", "loggedOut"})
BPS_THRESHOLD: Final[int] = 100_000  # bitrate-units: a kbps value above this looks like bps
CUSTOM_METADATA_PATH_RE: Final[re.Pattern[str]] = re.compile(r"^_[A-Za-z0-9]+\.")

# §2: XDM field -> REST key, per detail object (what the shared state machine, metrics and timeline read).
TO_REST: Final[dict[str, dict[str, str]]] = {
    "sessionDetails": {
        "name": "media.id", "friendlyName": "media.name", "length": "media.length",
        "contentType": "media.contentType", "streamType": "media.streamType", "playerName": "media.playerName",
        "channel": "media.channel", "hasResume": "media.resume", "isDownloaded": "media.downloaded",
        "appVersion": "media.sdkVersion", "publisher": "media.publisher", "show": "media.show",
        "season": "media.season", "episode": "media.episode", "assetID": "media.assetId", "genre": "media.genre",
        "firstAirDate": "media.firstAirDate", "firstDigitalDate": "media.firstDigitalDate",
        "rating": "media.rating", "originator": "media.originator", "network": "media.network",
        "showType": "media.showType", "adLoad": "media.adLoad", "mvpd": "media.pass.mvpd",
        "authorized": "media.pass.auth", "dayPart": "media.dayPart", "feed": "media.feed",
        "streamFormat": "media.streamFormat", "artist": "media.artist", "album": "media.album",
        "label": "media.label", "author": "media.author", "station": "media.station",
    },
    "advertisingPodDetails": {"friendlyName": "media.ad.podFriendlyName", "index": "media.ad.podIndex",
                              "offset": "media.ad.podSecond"},
    "advertisingDetails": {
        "name": "media.ad.id", "friendlyName": "media.ad.name", "length": "media.ad.length",
        "podPosition": "media.ad.podPosition", "playerName": "media.ad.playerName",
        "advertiser": "media.ad.advertiser", "campaignID": "media.ad.campaignId",
        "creativeID": "media.ad.creativeId", "siteID": "media.ad.siteId", "creativeURL": "media.ad.creativeURL",
        "placementID": "media.ad.placementId",
    },
    "chapterDetails": {"index": "media.chapter.index", "offset": "media.chapter.offset",
                       "length": "media.chapter.length", "friendlyName": "media.chapter.friendlyName"},
    "errorDetails": {"name": "media.errorId", "source": "media.errorSource"},
}
QOE_TO_REST: Final[dict[str, str]] = {
    "bitrate": "media.qoe.bitrate", "droppedFrames": "media.qoe.droppedFrames",
    "framesPerSecond": "media.qoe.framesPerSecond", "timeToStart": "media.qoe.timeToStart"}


def is_integer(value: Any) -> bool:
    """An XDM integer: a JSON number without a fractional part (``10`` and ``10.0``; not ``10.5``, not bool)."""
    t = type(value)
    if t is int:
        return True
    if t is float:
        return value == value and value not in (float("inf"), float("-inf")) and value == int(value)
    return False


def type_ok(value: Any, expected: str) -> bool:
    if expected == "integer":
        return is_integer(value)
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    return True


def maybe_edge_url(url: str) -> bool:
    """A cheap first test for a Media Edge API call (most proxied traffic is neither protocol)."""
    lower = url.lower()
    return "/ee" in lower and "v1/" in lower or lower.endswith("/v1/interact")
