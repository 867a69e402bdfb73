"""``json.loads`` without its per-call overhead, for the hot paths (journal lines, event bodies).

Same results and same exceptions as ``json.loads``: the common shape (a value starting at the first
character, nothing but JSON whitespace after it) goes straight to the C scanner; anything else, errors
included, is handed to ``json.loads`` itself so that it raises exactly what it always raised.
"""

from __future__ import annotations

import json
from typing import Any

_scan_once = json.JSONDecoder().scan_once
_JSON_WHITESPACE = " \t\n\r"


def loads(text: str) -> Any:
    """``json.loads(text)`` for a str."""
    try:
        value, end = _scan_once(text, 0)
    # What the scanner raises for a str: StopIteration (leading whitespace, BOM, empty), JSONDecodeError (a
    # ValueError, as are int-digit limits) and RecursionError; json.loads then raises its own error, or parses.
    except (StopIteration, ValueError, RecursionError):
        return json.loads(text)
    if end != len(text) and text[end:].strip(_JSON_WHITESPACE):
        return json.loads(text)  # raises "Extra data"
    return value


def loads_line(line: bytes) -> Any:
    """``json.loads(line)`` for one NDJSON line (bytes)."""
    if line[:2] == b'{"':  # json.detect_encoding answers utf-8 for this start
        return loads(line.decode("utf-8", "surrogatepass"))
    return json.loads(line)
