"""Colour palette shared by the timeline, the item models and the main window.

Dark-on-light. Everything is a plain hex string (import-safe without a QApplication); use
:func:`qcolor` to get a cached ``QColor``. Severity keys are the labels of
``mcscope.core.model.Severity`` ("error", "warning", "info") so findings, segments ("finding" lane kinds)
and report dicts all index the same tables.
"""

from __future__ import annotations

from functools import lru_cache

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

# Session status -> (display text, colour).
STATUS_TEXT: dict[str, str] = {
    "open": "open",
    "completed": "completed",
    "ended": "ended",
    "timed-out": "timed out",
    "gone": "gone",
    "rejected": "rejected",
}
STATUS_COLOR: dict[str, str] = {
    "open": "#2e7d32",
    "completed": "#455a64",
    "ended": "#607d8b",
    "timed-out": "#e65100",
    "gone": "#b71c1c",
    "rejected": "#6a3d9a",
}

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


@lru_cache(maxsize=256)
def qcolor(hex_or_name: str, alpha: int = 255) -> QColor:
    """Cached QColor for a hex string; ``alpha`` 0..255."""
    c = QColor(hex_or_name)
    c.setAlpha(alpha)
    return c
