"""Colour palette shared by the timeline, the item models and the main window.

Light by default; :func:`apply_scheme` switches every table to its dark variant in place (the window
follows the system colour scheme). Everything is a plain hex string, importable without Qt (the HTML
report and the CLI use the same tables); :func:`qcolor` gives a cached ``QColor``.

Colour is never the only cue: statuses and severities also have a glyph (:data:`STATUS_GLYPH`,
:data:`SEVERITY_GLYPH`) and the timeline draws severities as marks of different heights. Severity keys are the labels of
``mcscope.core.model.Severity`` ("error", "warning", "info") so findings, segments ("finding" lane kinds)
and report dicts all index the same tables.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QColor

# Foreground (markers, text) per severity.
SEVERITY_FG: dict[str, str] = {
    "error": "#c62828",
    "warning": "#b36200",
    "info": "#1f5fbf",
}
# Marker fill per severity (brighter than the text colour, still readable on white).
SEVERITY_MARK: dict[str, str] = {
    "error": "#d32f2f",
    "warning": "#f29900",
    "info": "#3b82d6",
}
# Row backgrounds per severity (tables).
SEVERITY_BG: dict[str, str] = {
    "error": "#fde2e2",
    "warning": "#fff1d0",
    "info": "#e6f0fc",
}

# Session status -> display text, colour and glyph. The hues are told apart by colour-blind readers too
# (blue / green / grey / orange / brown / purple, never the errors' red or the ignored magenta), and each
# status has its own glyph.
STATUS_TEXT: dict[str, str] = {
    "open": "open",
    "completed": "completed",
    "ended": "ended",
    "timed-out": "timed out",
    "gone": "gone",
    "rejected": "rejected",
}
STATUS_COLOR: dict[str, str] = {
    "open": "#00875a",
    "completed": "#0b62a4",
    "ended": "#5f6b73",
    "timed-out": "#b35c00",
    "gone": "#7a4a2b",
    "rejected": "#6a3d9a",
}
STATUS_GLYPH: dict[str, str] = {
    "open": "●",
    "completed": "✔",
    "ended": "■",
    "timed-out": "◷",
    "gone": "✕",
    "rejected": "⊘",
}
SEVERITY_GLYPH: dict[str, str] = {"error": "✖", "warning": "▲", "info": "●"}
#: what the collector did with a session of that status (tooltips, the help)
STATUS_HELP: dict[str, str] = {
    "open": "no sessionComplete or sessionEnd yet: the collector still holds the session open",
    "completed": "sessionComplete: the content was watched to its end",
    "ended": "sessionEnd: playback was abandoned or stopped",
    "timed-out": "the collector closed the session by its idle or playhead timeout",
    "gone": "the collector answered 404/410: it no longer knows the session and drops its events",
    "rejected": "the collector refused the sessionStart: it never opened the session and recorded nothing",
}


def status_text(status: str, glyph: bool = True) -> str:
    """``✔ completed``: the status word with its glyph (unknown statuses as they are)."""
    text = STATUS_TEXT.get(status, status)
    g = STATUS_GLYPH.get(status)
    return f"{g} {text}" if glyph and g else text

# Session protocol badges ("rest" | "edge", the core's Session.protocol). Told apart without colour: Edge's
# badge is filled with pointed ends, REST's an outlined rounded box; the hues (slate grey, deep cyan) are none
# of the statuses' or severities'.
PROTOCOL_TEXT: dict[str, str] = {"rest": "REST", "edge": "Edge"}
PROTOCOL_NAME: dict[str, str] = {"rest": "REST Media Collection API", "edge": "Media Edge API"}
PROTOCOL_COLOR: dict[str, str] = {"rest": "#5f6b73", "edge": "#006d77"}
PROTOCOL_ON = "#ffffff"  # text on a filled (Edge) badge


def protocol_of(value: object) -> str:
    """"edge" or "rest" from a session, event or finding (its ``protocol``) or a report's string."""
    p = value if isinstance(value, str) else getattr(value, "protocol", None)
    return p if isinstance(p, str) and p in PROTOCOL_TEXT else "rest"


# Ignored events / spans: hatch colour and the grey used for "dropped" events.
IGNORED_HATCH = "#c2185b"  # magenta-red hatch lines: never used for anything else
IGNORED_FILL = "#f8d7e6"
DROPPED_GREY = "#757575"
DROPPED_VEIL = "#e0e0e0"

# Timeline lane colours by segment kind.
PLAYBACK: dict[str, str] = {
    "playing": "#43a047",
    "paused": "#90a4ae",
    "buffering": "#fbc02d",
    "stalled": "#e53935",
    "starting": "#b0bec5",
    "ended": "#616161",
}
ADBREAK = "#7e57c2"
AD = "#ab47bc"
CHAPTER = ("#4fc3f7", "#0288d1")  # alternating
STATE = "#26a69a"
PING = "#546e7a"
AD_PING = "#ab47bc"
PING_GAP = "#ff9800"
BITRATE = "#5c6bc0"
ERROR_EVENT = "#c62828"
PLAYHEAD_LINE = "#1a237e"
PLAYHEAD_REF = "#9fa8da"

TEXT = "#212121"
TEXT_MUTED = "#616161"
GRID = "#e6e6e6"
LANE_ALT = "#f7f8fa"
BACKGROUND = "#ffffff"
SELECTION = "#1565c0"
HOVER = "#90caf9"


def severity_label(value: object) -> str | None:
    """Normalise a Severity, int 1..3 or label string to "error"/"warning"/"info" (None if unknown)."""
    if value is None:
        return None
    label = getattr(value, "label", None)
    if isinstance(label, str):
        return label
    if isinstance(value, int):
        return {1: "info", 2: "warning", 3: "error"}.get(value)
    if isinstance(value, str):
        low = value.lower()
        return low if low in SEVERITY_FG else None
    return None


@lru_cache(maxsize=512)
def qcolor(hex_or_name: str, alpha: int = 255) -> QColor:
    """Cached QColor for a hex string; ``alpha`` 0..255."""
    from PySide6.QtGui import QColor

    c = QColor(hex_or_name)
    c.setAlpha(alpha)
    return c


# ------------------------------------------------------------------------------------------ dark variant
_LIGHT: dict[str, object] = {}
_DARK: dict[str, object] = {
    "SEVERITY_FG": {"error": "#ff6b6b", "warning": "#ffb74d", "info": "#7fb2ff"},
    "SEVERITY_MARK": {"error": "#ff5252", "warning": "#ffb300", "info": "#64a8ff"},
    "SEVERITY_BG": {"error": "#4a2323", "warning": "#44361a", "info": "#1f3149"},
    "STATUS_COLOR": {"open": "#3ddc97", "completed": "#62a8ff", "ended": "#a7b4bd", "timed-out": "#ffa040",
                     "gone": "#d49a6a", "rejected": "#b48ae6"},
    "PROTOCOL_COLOR": {"rest": "#a7b4bd", "edge": "#5fd3dc"},
    "PROTOCOL_ON": "#0b1d1f",
    "IGNORED_HATCH": "#ff5fa2",
    "IGNORED_FILL": "#4a2238",
    "DROPPED_GREY": "#9e9e9e",
    "DROPPED_VEIL": "#3a3a3a",
    "PING": "#90a4ae",
    "PLAYHEAD_LINE": "#9fa8ff",
    "PLAYHEAD_REF": "#5c6bc0",
    "ERROR_EVENT": "#ff6b6b",
    "TEXT": "#e6e6e6",
    "TEXT_MUTED": "#a8a8a8",
    "GRID": "#3a3d41",
    "LANE_ALT": "#25282c",
    "BACKGROUND": "#1e2023",
    "SELECTION": "#64b5f6",
    "HOVER": "#5a7ea0",
    "RULE": "#4a4f55",
    "LABEL_BG": "#1e2023",
    "TIP_BG": "#eceff1",
    "TIP_FG": "#111111",
    "SWATCH_BG": "#33373b",
}
#: colours added for the dark variant, light values (used where a literal hex sat before)
RULE = "#cfd8dc"  # separator lines
LABEL_BG = "#ffffff"  # behind text drawn over marks
TIP_BG = "#263238"  # the axis' hover box
TIP_FG = "#ffffff"
SWATCH_BG = "#eceff1"
dark = False


def apply_scheme(is_dark: bool) -> None:
    """Switch every colour table to its dark (or back to its light) variant, in place."""
    global dark
    g = globals()
    if not _LIGHT:
        for name in _DARK:
            current = g[name]
            _LIGHT[name] = dict(current) if isinstance(current, dict) else current
    source = _DARK if is_dark else _LIGHT
    for name, value in source.items():
        if isinstance(value, dict):
            g[name].clear()
            g[name].update(value)
        else:
            g[name] = value
    dark = bool(is_dark)
    qcolor.cache_clear()


def light(name: str) -> object:
    """The light variant of a table or colour, whatever the scheme (the HTML report is always light)."""
    return _LIGHT.get(name, globals()[name]) if dark else globals()[name]
