"""core/fastjson.py: exactly json.loads (values, types and errors), only faster."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcscope.core.fastjson import Refused, decode_utf8, loads, loads_line

ODD = [
    "", " ", "\ufeff{}", '{"a":1,"a":2}', "-0", "-0.0", "1e400", "-1e400", "1E2", "1.0", "123456789012345678901234567890",
    "9223372036854775808", "18446744073709551616", "-9223372036854775809", "1" + "0" * 5000, "0." + "0" * 400 + "1",
    "NaN", "Infinity", "-Infinity", "[NaN]", '" \\ud800"', '"\\udc00\\ud800"', "2.2250738585072014e-308", "4.9e-324",
    "1e-400", "1.7976931348623159e308", "[]  \n", "\t1", "1 2", '"\x01"', '{"a":1}\x00', "01", "1.", ".5", "+1", "1e",
    '"\\x"', "'a'", "[1,]", '{"a":1,}', '{"a" 1}', "[" * 300 + "]" * 300, '{"\\u00e9":1}', '"\u2028"', "-", "tru",
    '{"eventType":"ping","playerTime":{"playhead":1.5,"ts":1741982400000}}', '[{"a":[1,2.5,"x",null,true,false]}]',
]


def _outcome(fn: Any, arg: Any) -> tuple[str, Any]:
    try:
        value = fn(arg)
    except (ValueError, RecursionError) as exc:
        return "error", (type(exc).__name__, str(exc))
    return "ok", json.dumps(value, allow_nan=True) if not _nan(value) else repr(value)


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value) or isinstance(value, list) and any(map(_nan, value))


def _typed(value: Any) -> Any:
    """The value with its types spelled out (json.dumps does not tell 1 from True)."""
    if isinstance(value, dict):
        return [(k, _typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return type(value).__name__, repr(value)


@pytest.mark.parametrize("text", ODD)
def test_loads_is_json_loads(text: str) -> None:
    assert _outcome(loads, text) == _outcome(json.loads, text)
    if _outcome(json.loads, text)[0] == "ok" and not _nan(json.loads(text)):
        assert _typed(loads(text)) == _typed(json.loads(text))


@pytest.mark.parametrize("text", ODD)
def test_loads_line_is_json_loads(text: str) -> None:
    raw = text.encode("utf-8", "surrogatepass")
    for line in (raw, raw + b"\n", b"\xef\xbb\xbf" + raw, raw.replace(b"a", b"\xed\xa0\x80"), raw + b"\xff"):
        assert _outcome(loads_line, line) == _outcome(json.loads, line), line[:60]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**63 - 5, max_value=2**70)
    | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=_json, indent=st.sampled_from([None, 1]), ascii_=st.booleans())
def test_any_document_decodes_as_json_loads_does(value: Any, indent: int | None, ascii_: bool) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_)
    assert _typed(loads(text)) == _typed(json.loads(text))
    line = text.encode("utf-8", "surrogatepass")
    assert _typed(loads_line(line)) == _typed(json.loads(line))


@pytest.mark.parametrize("depth", [5_000, 30_000])
def test_deep_nesting_parses_or_raises_as_json_loads(depth: int) -> None:
    text = "[" * depth + "]" * depth

    def kind(fn: Any, arg: Any) -> str:
        try:
            fn(arg)
        except RecursionError as exc:
            return f"RecursionError: {exc}"
        return "ok"

    assert kind(loads, text) == kind(json.loads, text)
    assert kind(loads_line, text.encode()) == kind(json.loads, text.encode())


def _utf8_reference(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))


@pytest.mark.parametrize("text", ODD)
def test_decode_utf8_is_json_loads_of_the_text_or_refuses(text: str) -> None:
    raw = text.encode("utf-8", "surrogatepass")
    for data in (raw, b"\xef\xbb\xbf" + raw, raw + b"\xff", raw.replace(b"a", b"\xed\xa0\x80")):
        try:
            got = decode_utf8(data)
        except (Refused, RecursionError):
            continue  # the caller reads it the standard way
        assert _typed(got) == _typed(_utf8_reference(data)), data[:60]


@settings(max_examples=300, deadline=None)
@given(value=_json, ascii_=st.booleans())
def test_decode_utf8_takes_every_plain_document(value: Any, ascii_: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_)
    data = text.encode("utf-8", "surrogatepass")
    try:
        got = decode_utf8(data)
    except Refused:
        # only what msgspec leaves to the standard library: Infinity, lone surrogates
        assert "Infinity" in text or "\\ud" in text.lower() or any(0xD800 <= ord(c) <= 0xDFFF for c in text)
        return
    assert _typed(got) == _typed(_utf8_reference(data))
