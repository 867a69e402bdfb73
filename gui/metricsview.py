"""How the metrics preview ("what Adobe will count") reads: labels and value formatting, shared by the
details pane and the HTML report."""

from __future__ import annotations

import json
from typing import Any

METRIC_LABELS: dict[str, str] = {
    "content_time": "Content time",
    "ad_time": "Ad time",
    "ignored_ad_time": "Ignored ad time counted as content",
    "media_time": "Media time spent",
    "pause_count": "Pauses",
    "pause_time": "Pause time",
    "buffer_count": "Buffer events",
    "buffer_time": "Buffer time",
    "stalls": "Stalls",
    "stall_time": "Stall time",
    "bitrate_changes": "Bitrate changes",
    "errors": "Errors",
    "content_start": "Content start",
    "content_complete": "Content complete",
    "ads_started": "Ads started",
    "ads_ignored": "Ads ignored",
    "chapters_started": "Chapters started",
    "progress_markers": "Progress markers reached",
    "average_bitrate": "Average bitrate",
}


def metric_label(key: str) -> str:
    return METRIC_LABELS.get(key, key.replace("_", " ").capitalize())


def metric_value(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list) and key == "progress_markers":
        return ", ".join(f"{v}%" for v in value) if value else "none"
    if key == "average_bitrate" and isinstance(value, int | float):
        return f"{value / 1000:,.0f} kbps"
    if isinstance(value, float):
        text = f"{value:,.1f}"
    elif isinstance(value, dict | list):
        text = json.dumps(value)
    else:
        text = str(value)
    if key.endswith("_time") and isinstance(value, int | float):
        text += " s"
    return text
