"""The Media Collection API as data: event types, endpoints, parameters and their JSON types.

Everything here comes from ``shared/spec/mcapi.md`` (§2–§6); the section is named beside each table.
Types are the JSON types of the published schemas: ``string``, ``number`` (int or float, not bool),
``integer`` (int, not bool), ``boolean`` and ``object``.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

# §3: the 19 documented wire values plus statesUpdate.
EVENT_TYPES: Final[frozenset[str]] = frozenset(
    {
        "sessionStart", "sessionComplete", "sessionEnd", "play", "ping", "pauseStart", "bufferStart",
        "bitrateChange", "error", "adBreakStart", "adBreakComplete", "adStart", "adComplete", "adSkip",
        "chapterStart", "chapterComplete", "chapterSkip", "stateStart", "stateEnd", "statesUpdate",
    }
)

# §2: the only top-level members an event may carry.
TOP_LEVEL_KEYS: Final[frozenset[str]] = frozenset(
    {"playerTime", "eventType", "params", "qoeData", "customMetadata"}
)

# R18: events whose params object is required.
PARAMS_REQUIRED: Final[frozenset[str]] = frozenset(
    {"sessionStart", "adBreakStart", "adStart", "chapterStart", "stateStart", "stateEnd", "statesUpdate"}
)

# R27: events that take no params at all.
NO_PARAMS: Final[frozenset[str]] = frozenset(
    {
        "play", "pauseStart", "bufferStart", "bitrateChange", "adComplete", "adSkip", "adBreakComplete",
        "chapterComplete", "chapterSkip", "sessionComplete", "sessionEnd",
    }
)

# R20: events that may carry customMetadata.
CUSTOM_METADATA_EVENTS: Final[frozenset[str]] = frozenset({"sessionStart", "adStart", "chapterStart"})

# §4: sessionStart parameters -> (JSON type, required).
SESSION_START_PARAMS: Final[dict[str, tuple[str, bool]]] = {
    "analytics.trackingServer": ("string", True),
    "analytics.reportSuite": ("string", True),
    "analytics.enableSSL": ("boolean", False),
    "analytics.visitorId": ("string", False),
    "analytics.aid": ("string", False),
    "analytics.optOutServerSideForwarding": ("boolean", False),
    "analytics.optOutShare": ("boolean", False),
    "visitor.marketingCloudOrgId": ("string", True),
    "visitor.marketingCloudUserId": ("string", False),
    "visitor.aamLocationHint": ("integer", False),
    "visitor.customerIDs": ("object", False),
    "appInstallationId": ("string", False),
    "media.id": ("string", True),
    "media.name": ("string", False),
    "media.length": ("number", True),
    "media.contentType": ("string", True),
    "media.streamType": ("string", False),
    "media.playerName": ("string", True),
    "media.channel": ("string", True),
    "media.resume": ("boolean", False),
    "media.downloaded": ("boolean", False),
    "media.sdkVersion": ("string", False),
    "media.publisher": ("string", False),
    "media.libraryVersion": ("string", False),
    "media.version": ("string", False),  # what Adobe's own SDK sends (§4, SDK-RH)
}

# §4: standard content metadata, all optional strings on sessionStart.
STANDARD_METADATA: Final[tuple[str, ...]] = (
    "media.streamFormat", "media.show", "media.season", "media.episode", "media.assetId", "media.genre",
    "media.firstAirDate", "media.firstDigitalDate", "media.rating", "media.originator", "media.network",
    "media.showType", "media.adLoad", "media.pass.mvpd", "media.pass.auth", "media.dayPart", "media.feed",
    "media.artist", "media.album", "media.label", "media.author", "media.station",
)
for _key in STANDARD_METADATA:
    SESSION_START_PARAMS.setdefault(_key, ("string", False))

SESSION_START_REQUIRED: Final[tuple[str, ...]] = tuple(
    key for key, (_, required) in SESSION_START_PARAMS.items() if required
)

# §5: ad, chapter and state parameters per event -> (JSON type, required).
AD_BREAK_PARAMS: Final[dict[str, tuple[str, bool]]] = {
    "media.ad.podFriendlyName": ("string", False),
    "media.ad.podIndex": ("integer", True),
    "media.ad.podSecond": ("number", True),
}
AD_PARAMS: Final[dict[str, tuple[str, bool]]] = {
    "media.ad.id": ("string", True),
    "media.ad.length": ("number", True),
    "media.ad.podPosition": ("integer", True),
    "media.ad.playerName": ("string", True),
    "media.ad.name": ("string", False),
    "media.ad.advertiser": ("string", False),
    "media.ad.campaignId": ("string", False),
    "media.ad.creativeId": ("string", False),
    "media.ad.siteId": ("string", False),
    "media.ad.creativeURL": ("string", False),
    "media.ad.placementId": ("string", False),
}
CHAPTER_PARAMS: Final[dict[str, tuple[str, bool]]] = {
    "media.chapter.index": ("integer", True),
    "media.chapter.offset": ("number", True),
    "media.chapter.length": ("number", True),
    "media.chapter.friendlyName": ("string", False),
}
STATE_PARAMS: Final[dict[str, tuple[str, bool]]] = {"media.state.name": ("string", True)}
ERROR_PARAMS: Final[dict[str, tuple[str, bool]]] = {
    "media.errorId": ("string", False),
    "media.errorSource": ("string", False),
}

# Known params per event type (for param-type); None = the event takes no params.
PARAMS_BY_EVENT: Final[dict[str, dict[str, tuple[str, bool]]]] = {
    "sessionStart": SESSION_START_PARAMS,
    "adBreakStart": AD_BREAK_PARAMS,
    "adStart": AD_PARAMS,
    "chapterStart": CHAPTER_PARAMS,
    "stateStart": STATE_PARAMS,
    "stateEnd": STATE_PARAMS,
    "error": ERROR_PARAMS,
}

# §6.1: qoeData keys -> JSON type.
QOE_KEYS: Final[dict[str, str]] = {
    "media.qoe.bitrate": "integer",
    "media.qoe.droppedFrames": "integer",
    "media.qoe.framesPerSecond": "integer",
    "media.qoe.timeToStart": "integer",
    "media.qoe.errorID": "string",
    "media.qoe.errorSource": "string",
}
QOE_INTEGER_KEYS: Final[frozenset[str]] = frozenset(k for k, t in QOE_KEYS.items() if t == "integer")

# §4.1: recommended media.contentType values.
RECOMMENDED_CONTENT_TYPES: Final[frozenset[str]] = frozenset(
    {"vod", "live", "linear", "ugc", "dvod", "song", "podcast", "audiobook", "radio", "aod"}
)
LIVE_CONTENT_TYPES: Final[frozenset[str]] = frozenset({"live", "linear"})
STREAM_TYPES: Final[frozenset[str]] = frozenset({"audio", "video"})
SHOW_TYPES: Final[frozenset[str]] = frozenset({"0", "1", "2", "3"})
ERROR_SOURCES: Final[frozenset[str]] = frozenset({"player", "external"})

LIVE_LENGTH: Final[int] = 86400  # §4: unknown live duration
STATE_LIMIT: Final[int] = 10  # R78
STATE_NAME_RE: Final[re.Pattern[str]] = re.compile(r"^[a-zA-Z0-9_.]{1,64}$")
CUSTOM_METADATA_KEY_RE: Final[re.Pattern[str]] = re.compile(r"^[a-zA-Z0-9_.]+$")
LOCATION_RE: Final[re.Pattern[str]] = re.compile(r"^/api/[^/]+/sessions/([^/]+)$")
COLLECTOR_HOST_SUFFIX: Final[str] = ".hb-api.omtrdc.net"

# §1.2 endpoints; any prefix before /api/v1/ is accepted (CNAMEs, reverse proxies).
SESSIONS_PATH_RE: Final[re.Pattern[str]] = re.compile(r"/api/v1/sessions/?$")
# The sid may be empty: a player that posts before the 201 arrived sends /sessions//events.
EVENTS_PATH_RE: Final[re.Pattern[str]] = re.compile(r"/api/v1/sessions/([^/]*)/events/?$")
DOWNLOADED_PATH_RE: Final[re.Pattern[str]] = re.compile(r"/api/v1/downloaded/?$")
SCHEMAS_PATH_RE: Final[re.Pattern[str]] = re.compile(r"/api/v1/schemas/[^/]+/?$")


def is_number(value: Any) -> bool:
    """``json_type_ok(value, "number")``, cheaper for the common exact types."""
    t = type(value)
    return t is int or t is float or (t is not bool and isinstance(value, int | float))


def is_integer(value: Any) -> bool:
    """``json_type_ok(value, "integer")``, cheaper for the common exact type."""
    t = type(value)
    return t is int or (t is not bool and isinstance(value, int))


def as_float(value: int | float) -> float:
    """A JSON number as a float; an integer too large for one (``1e400`` written out) is ±inf instead of an
    OverflowError, so arithmetic on what a player sent never raises."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def number_text(value: int | float) -> str:
    """``f"{value:g}"``, or the digits cut short for an integer too large for a float."""
    try:
        return f"{value:g}"
    except OverflowError:
        digits = str(value)
        return f"{digits[:12]}…({len(digits.lstrip('-'))} digits)"


def json_type_ok(value: Any, expected: str) -> bool:
    """True when ``value`` (decoded JSON) has the JSON type ``expected``."""
    if expected == "string":
        return isinstance(value, str)
    if expected == "number":
        return is_number(value)
    if expected == "integer":
        return is_integer(value)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "object":
        return isinstance(value, dict)
    return True


def json_type_name(value: Any) -> str:
    """The JSON type of a decoded value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
