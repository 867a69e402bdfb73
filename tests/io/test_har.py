"""mcscope/io/har.py: HAR 1.2 entries -> Exchanges."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcscope.core.model import Exchange
from mcscope.io.capture import CaptureError, read_exchanges
from tests.io.captures import SID
from tests.io.captures import entry as _entry
from tests.io.captures import har as _har
from tests.io.captures import write as _write

# --- HAR ------------------------------------------------------------------------------------------


def test_har_basic_fields(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.har", json.dumps(_har([_entry()])))
    (ex,) = read_exchanges(path)
    assert ex.method == "POST"
    assert ex.url.endswith(f"/sessions/{SID}/events")
    assert ex.request_body == b'{"eventType":"ping"}'
    assert ex.request_header("content-type") == "application/json"
    assert ex.response_status == 204
    assert ex.response_headers == [("X-Test", "1")]
    assert ex.response_body == b""
    assert ex.timestamp_start == pytest.approx(1741982400.5)
    assert ex.timestamp_end == pytest.approx(1741982400.54)
    assert ex.error is None
    assert ex.flow_id == "a.har#1"
    assert ex.live is False


def test_har_base64_bodies_and_params(tmp_path: Path) -> None:
    payload = b'{"eventType":"play"}'
    e1 = _entry()
    e1["request"]["postData"] = {"mimeType": "application/json", "text": base64.b64encode(payload).decode(),
                                 "encoding": "base64"}
    e1["response"]["content"] = {"size": 5, "text": base64.b64encode(b"\xff\x00abc").decode(), "encoding": "base64"}
    e2 = _entry()
    e2["request"]["postData"] = {"mimeType": "application/x-www-form-urlencoded",
                                 "params": [{"name": "a", "value": "1 2"}, {"name": "b", "value": "x"}]}
    ex1, ex2 = read_exchanges(_write(tmp_path, "b.har", json.dumps(_har([e1, e2]))))
    assert ex1.request_body == payload
    assert ex1.response_body == b"\xff\x00abc"
    assert ex2.request_body == b"a=1+2&b=x"


def test_har_body_not_captured(tmp_path: Path) -> None:
    e = _entry()
    del e["request"]["postData"]
    e["request"]["bodySize"] = 120
    e["response"]["content"] = {"size": 300, "mimeType": "application/json"}
    no_body = _entry()
    del no_body["request"]["postData"]
    no_body["request"]["bodySize"] = 0
    ex, ex_empty = read_exchanges(_write(tmp_path, "c.har", json.dumps(_har([e, no_body]))))
    assert ex.request_body is None
    assert ex.response_body is None
    assert ex_empty.request_body == b""


def test_har_status_zero_is_an_error(tmp_path: Path) -> None:
    e = _entry(status=0)
    e["response"]["_error"] = "net::ERR_CONNECTION_REFUSED"
    e2 = _entry(status=0)
    e3 = _entry()
    del e3["response"]
    exs = list(read_exchanges(_write(tmp_path, "d.har", json.dumps(_har([e, e2, e3])))))
    assert [x.response_status for x in exs] == [None, None, None]
    assert exs[0].error == "net::ERR_CONNECTION_REFUSED"
    assert exs[1].error == "no response"
    assert exs[2].error == "no response"
    assert all(x.response_body is None and x.timestamp_end is None for x in exs)


def test_har_bad_entries_are_skipped(tmp_path: Path) -> None:
    entries = [42, {"request": "nope"}, {"request": {"method": "POST"}}, _entry()]
    entries.append(_entry(startedDateTime="yesterday", time="slow"))
    exs = list(read_exchanges(_write(tmp_path, "e.har", json.dumps(_har(entries)))))
    assert len(exs) == 2
    assert exs[1].timestamp_start == 0.0 and exs[1].timestamp_end is None


def test_har_without_entries(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="no log.entries"):
        list(read_exchanges(_write(tmp_path, "f.har", '{"log": {"version": "1.2"}}')))


def test_har_truncated_yields_complete_entries_then_raises(tmp_path: Path) -> None:
    text = json.dumps(_har([_entry(), _entry(), _entry()]), indent=1)
    cut = text[: text.rindex('"startedDateTime"') + 10]  # inside the third entry
    got: list[Exchange] = []
    with pytest.raises(CaptureError, match="truncated HAR file: stopped after 2 complete entries") as info:
        for ex in read_exchanges(_write(tmp_path, "g.har", cut)):
            got.append(ex)
    assert len(got) == 2
    assert info.value.read_count == 2


def test_har_invalid_utf8(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="not UTF-8"):
        list(read_exchanges(_write(tmp_path, "h.har", b'{"log": {"entries": ["\xff"]}}')))


def test_external_har_fixtures_read(external_fixtures: Path) -> None:
    files = sorted(external_fixtures.glob("*.har"))
    assert files
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        exs = list(read_exchanges(path))
        assert len(exs) == len(doc["log"]["entries"]), path.name
        assert all(ex.method == "POST" and ex.response_status in (201, 204) for ex in exs)
        assert all(ex.request_body for ex in exs)




_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    request=st.fixed_dictionaries({}, optional={"method": _json, "url": _json, "headers": _json, "postData": _json,
                                                "bodySize": _json}),
    response=_json,
    started=_json,
    elapsed=_json,
)
def test_har_entries_with_odd_json_never_crash(request: dict, response, started, elapsed) -> None:
    from mcscope.io.har import har_entry_to_exchange

    request.setdefault("url", "https://example.hb-api.omtrdc.net/api/v1/sessions")
    entry = {"request": request, "response": response, "startedDateTime": started, "time": elapsed}
    ex = har_entry_to_exchange(entry, "x#1")
    assert ex is None or isinstance(ex, Exchange)


@pytest.mark.parametrize("doc", ['{"log": []}', '{"log": "x"}', '{"log": {"entries": {}}}', '{"log": null}'])
def test_a_har_whose_log_is_not_an_object_is_a_capture_error(tmp_path: Path, doc: str) -> None:
    path = tmp_path / "odd.har"
    path.write_text(doc)
    with pytest.raises(CaptureError, match="not a HAR file"):
        list(read_exchanges(path))


# --- streaming: the same result as decoding the whole file ----------------------------------------------


def _reference_read(raw: bytes, path: Path) -> tuple[list[Exchange], str | None]:
    """What read_har gave before it streamed (the whole file decoded with json.loads): (exchanges, error)."""
    import re

    from mcscope.io.har import har_entry_to_exchange

    out: list[Exchange] = []
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return out, f"{path}: HAR file is not UTF-8 (byte {exc.start})"
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as err:
        match = re.search(r'"entries"\s*:\s*\[', text)
        if match is None:
            return out, f"{path}: invalid HAR/JSON ({err})"
        decoder = json.JSONDecoder()
        pos, count = match.end(), 0
        while True:
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1
            if pos < len(text) and text[pos] == "]":
                break
            try:
                entry, pos = decoder.raw_decode(text, pos)
            except (ValueError, RecursionError):
                break
            count += 1
            ex = har_entry_to_exchange(entry, f"{path.name}#{count}")
            if ex is not None:
                out.append(ex)
        line = text.count("\n", 0, pos) + 1
        return out, f"{path}: truncated HAR file: stopped after {count} complete entries at line {line} ({err})"
    log_obj = doc.get("log") if isinstance(doc, dict) else None
    entries = log_obj.get("entries") if isinstance(log_obj, dict) else None
    if not isinstance(entries, list):
        return out, f"{path}: not a HAR file (no log.entries list)"
    for index, entry in enumerate(entries):
        ex = har_entry_to_exchange(entry, f"{path.name}#{index + 1}")
        if ex is not None:
            out.append(ex)
    return out, None


def _streamed(raw: bytes, path: Path, chunk: int) -> tuple[list[Exchange], str | None]:
    import io

    from mcscope.io.common import ReadProgress
    from mcscope.io.har import read_har

    out: list[Exchange] = []
    try:
        for ex in read_har(io.BytesIO(raw), path, ReadProgress(), chunk=chunk):
            out.append(ex)
    except CaptureError as exc:
        return out, exc.message
    return out, None


def _sample_har() -> str:
    entries = [_entry(), _entry('{"eventType":"play"}', startedDateTime="2025-03-14T20:00:01Z"), _entry('[{"a":1},{"b":2}]'),
               _entry("x", time=1.5e-3), 7, _entry(None, status=0), _entry('{"eventType":"ping"}', _id="id-7")]
    doc = {"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "pages": [{"id": "p"}],
                   "entries": entries, "comment": "é ✓"}}
    return json.dumps(doc, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_streamed_reader_equals_the_whole_file_reader_on_every_cut(tmp_path: Path, chunk: int) -> None:
    """Cut anywhere (a truncated file) or not: same exchanges, same error message, same position."""
    raw = _sample_har().encode()
    path = tmp_path / "x.har"
    step = 1 if chunk > 7 else 11
    for cut in range(0, len(raw) + 1, step):
        assert _streamed(raw[:cut], path, chunk) == _reference_read(raw[:cut], path), cut


@pytest.mark.parametrize("chunk", [13, 1 << 20])
def test_streamed_reader_equals_the_whole_file_reader_on_damage(tmp_path: Path, chunk: int) -> None:
    """One character replaced, inserted or dropped anywhere: the same result as the whole-file reader."""
    text = _sample_har()
    path = tmp_path / "x.har"
    for pos in range(0, len(text), 5 if chunk > 13 else 19):
        for damaged in (text[:pos] + text[pos + 1:], text[:pos] + "," + text[pos:], text[:pos] + "]" + text[pos + 1:],
                        text[:pos] + "}" + text[pos:], text[:pos] + "\n" + text[pos + 1:]):
            raw = damaged.encode()
            assert _streamed(raw, path, chunk) == _reference_read(raw, path), (pos, damaged[max(0, pos - 10):pos + 10])


@pytest.mark.parametrize("doc", [
    "", " ", "\ufeff{}", '\ufeff\ufeff{"log":{"entries":[]}}', "[]", '{"log":{"entries":[]}} x', '{"log":{"entries":[]}}\n\n',
    '{"log":{"entries":[1,]}}', '{"log":{"entries":[,1]}}', '{"log":{"entries":[{},{}],}}', '{"log":{,}}',
    '{"log":{"entr\\u0069es":[{}]}}', '{"x":{"entries":[{"request":{"url":"u"}}]', '{"log":{"entries":[]}, "log":{}}',
    '{"log"  :  {  "entries"  :  [  {}  ,  {}  ]  }  }', '{"a":1e5,"log":{"entries":[]},"b":[1,2,{"c":null}]}',
    '{"log":{"entries":[{"a":"\\ud83d\\ude00"}]}}', '{"log":{"entries":[{"a":"\\ud83d"}]}}', "{\"log\":{\"entries\":[\"\t\"]}}",
    '{"log":{"entries":[{}]}}\xff',
])
@pytest.mark.parametrize("chunk", [1, 2, 1 << 20])
def test_streamed_reader_equals_the_whole_file_reader_on_odd_documents(tmp_path: Path, doc: str, chunk: int) -> None:
    raw = doc.encode("utf-8", "surrogatepass") if "\xff" not in doc else doc[:-1].encode() + b"\xff"
    path = tmp_path / "x.har"
    got, want = _streamed(raw, path, chunk), _reference_read(raw, path)
    if '"log":{}' in doc:  # two log objects: refused rather than half-read
        assert got[1] is not None and "two log objects" in got[1]
        return
    assert got == want


def test_a_large_har_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """The reader holds about one chunk of text, not the file (peak traced allocations, not RSS)."""
    import tracemalloc

    from mcscope.io import har as har_mod

    path = tmp_path / "big.har"
    entry = json.dumps(_entry())
    with path.open("w") as fh:
        fh.write('{"log":{"version":"1.2","entries":[')
        fh.write(",\n".join([entry] * 30_000))
        fh.write("]}}")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        with path.open("rb") as fh:
            count = sum(1 for _ in har_mod.read_har(fh, path, har_mod.ReadProgress(), chunk=64 * 1024))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 30_000
    assert peak < size / 4, (peak, size)


def test_entries_are_decoded_in_batches_with_the_same_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path (many entries decoded by msgspec at once) is taken, and gives what one by one gives."""
    from mcscope.io import har as har_mod

    raw = json.dumps(_har([_entry(f'{{"eventType":"ping","n":{i}}}') for i in range(300)]), indent=2).encode()
    path = tmp_path / "x.har"
    for name in ("_decode_entries", "_msgspec_decode"):  # the typed shape, and plain objects for any other
        calls: list[int] = []
        real = getattr(har_mod, name)
        monkeypatch.setattr(har_mod, name, lambda text, real=real, calls=calls: calls.append(len(text)) or real(text))
        got = _streamed(raw, path, 4096)
        assert calls and len(calls) < 300, name
        assert got == _reference_read(raw, path)
        # as if every entry had another shape
        monkeypatch.setattr(har_mod, "_decode_entries", lambda text: har_mod.msgspec.json.decode(b"1", type=list))


@settings(max_examples=300, deadline=None)
@given(headers=_json | st.lists(st.fixed_dictionaries({"name": _json}, optional={"value": _json}) | _json, max_size=4))
def test_har_headers_fast_path_is_the_plain_reading(headers: Any) -> None:
    from mcscope.io.har import _har_headers

    want = []
    if isinstance(headers, list):
        for h in headers:
            if isinstance(h, dict) and isinstance(h.get("name"), str):
                value = h.get("value")
                want.append((h["name"], value if isinstance(value, str) else "" if value is None else str(value)))
    assert _har_headers(headers) == want


# --- the typed reading of entries (msgspec Structs of what the reader needs) is the plain one ------------------

_value = st.none() | st.booleans() | st.integers(-3, 300) | st.floats(-1, 1e13, allow_nan=False) | st.text(max_size=5) \
    | st.sampled_from(["base64", "aGk=", "2024-05-01T10:00:00.5Z", "GET", "", "x"]) | st.just([]) | st.just({})
_header = st.fixed_dictionaries({}, optional={"name": _value | st.text(max_size=4), "value": _value, "x": _value})
_texts = st.fixed_dictionaries({}, optional={"text": _value, "encoding": _value, "size": _value, "mimeType": _value,
                                            "params": st.lists(st.dictionaries(st.sampled_from(["name", "value"]),
                                                                               _value), max_size=2) | _value})


@settings(max_examples=400, deadline=None)
@given(entry=st.fixed_dictionaries(
    {"request": st.fixed_dictionaries({"url": st.text(max_size=4) | _value}, optional={
        "method": _value, "headers": st.lists(_header, max_size=2) | _value, "postData": _texts | _value,
        "bodySize": _value, "cookies": _value})},
    optional={"response": st.fixed_dictionaries({}, optional={
        "status": _value | st.sampled_from([200, 204, 0, -1]), "headers": st.lists(_header, max_size=2) | _value,
        "content": _texts | _value, "_error": _value}) | _value,
        "startedDateTime": _value, "time": _value, "_id": _value, "_flowId": _value, "_error": _value,
        "cache": _value}))
def test_the_typed_entry_reading_is_the_plain_one(entry: dict) -> None:
    import dataclasses

    import msgspec

    from mcscope.io import har as har_mod

    text = json.dumps([entry])
    try:
        (typed,) = har_mod._decode_entries(text)
    except msgspec.ValidationError:
        return  # another shape: read as plain objects
    got = har_mod._typed_entry_to_exchange(typed, "x#1")
    want = har_mod.har_entry_to_exchange(json.loads(text)[0], "x#1")
    assert want is not None
    assert [(type(v), v) for v in dataclasses.astuple(got)] == [(type(v), v) for v in dataclasses.astuple(want)]


def test_typical_and_edge_case_entries_take_the_typed_reading() -> None:
    import dataclasses

    from mcscope.io import har as har_mod

    req = {"method": "POST", "url": "https://h/api/v1/sessions", "headers": [{"name": "A", "value": "1"}]}
    cases = [
        _entry(),
        {"request": req, "response": {"status": 0, "_error": "reset"}, "_error": "entry error"},
        {"request": req, "response": {"status": 0}, "_error": "entry error", "_flowId": 7},
        {"request": {**req, "bodySize": 12}, "_id": "", "_flowId": "flow-2"},
        {"request": {**req, "postData": {"params": [{"name": "a", "value": "b"}, {"value": "x"}]}},
         "response": {"status": 200, "headers": [], "content": {"text": "aGk=", "encoding": "base64"}},
         "startedDateTime": "2024-05-01T10:00:00.5Z", "time": 12.5},
        {"request": {**req, "postData": {"text": "", "encoding": "BASE64"}},
         "response": {"status": 204, "content": {"size": 3}}, "startedDateTime": "2024-05-01T10:00:00Z", "time": True},
    ]
    for entry in cases:
        (typed,) = har_mod._decode_entries(json.dumps([entry]))
        assert isinstance(typed, har_mod._Entry)
        got = har_mod._typed_entry_to_exchange(typed, "x#1")
        want = har_mod.har_entry_to_exchange(entry, "x#1")
        assert want is not None
        assert [(type(v), v) for v in dataclasses.astuple(got)] == [(type(v), v) for v in dataclasses.astuple(want)]
