"""``json.loads`` without its per-call overhead, for the hot paths (journal lines, event bodies).

Same results and same exceptions as ``json.loads``. A document goes to msgspec's decoder first (about 3x
faster than the standard library here): for every document it accepts it builds what ``json.loads`` builds
(same types, big integers as ints, floats correctly rounded, the last of duplicate keys), and it refuses
everything else (NaN and Infinity, lone surrogates, a BOM, invalid UTF-8, extra data, nesting deeper than
the C recursion limit, which is the standard library's too). Those
are handed to the standard library, so that they parse or raise exactly as they always did: the common
shape (a value starting at the first character, nothing but JSON whitespace after it) straight to the C
scanner, anything else to ``json.loads`` itself. ``tests/core/test_fastjson.py`` holds the two to that.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

_scan_once = json.JSONDecoder().scan_once
_JSON_WHITESPACE = " \t\n\r"
_decode = msgspec.json.Decoder().decode
_Refused = msgspec.DecodeError
#: What :func:`decode_utf8` raises for a document it leaves to the standard library.
Refused = msgspec.DecodeError


def loads(text: str) -> Any:
    """``json.loads(text)`` for a str."""
    try:
        return _decode(text)
    except (_Refused, RecursionError):
        return _loads_std(text)


def _loads_std(text: str) -> Any:
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
    try:
        return _decode(line)
    except (_Refused, RecursionError):
        pass
    if line[:2] == b'{"':  # json.detect_encoding answers utf-8 for this start
        return _loads_std(line.decode("utf-8", "surrogatepass"))
    return json.loads(line)


def decode_utf8(data: bytes) -> Any:
    """``json.loads(data.decode("utf-8"))`` for a document msgspec accepts (UTF-8 without a BOM, JSON it
    builds exactly as the standard library does); :data:`Refused` or RecursionError for any other, which the
    caller reads the standard way (and words its errors). One step instead of a decode to str and a parse."""
    return _decode(data)
