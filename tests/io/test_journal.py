"""mcscope/io/journal.py: the record codec, the header line and the journal reader."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcscope.core.fastjson import loads_line
from mcscope.core.model import Exchange
from mcscope.io.capture import CaptureError, detect_format, read_exchanges
from mcscope.io.journal import exchange_to_record, journal_header, line_to_exchange, record_to_exchange
from tests.io.captures import FIXTURES, SID
from tests.io.captures import exchange as _exchange
from tests.io.captures import write as _write

# --- journal --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ex",
    [
        _exchange(),
        _exchange(request_body=b"\xff\xfe binary", response_body=b"\x00\x01"),
        _exchange(request_body=None, response_body=None),
        _exchange(response_status=None, response_headers=[], response_body=None, timestamp_end=None,
                  error="connection refused", live=True),
        _exchange(client="192.0.2.7"),
        _exchange(request_body=b"", response_status=201, response_headers=[("Location", f"/api/v1/sessions/{SID}")]),
    ],
)
def test_journal_record_roundtrip(ex: Exchange) -> None:
    record = exchange_to_record(ex)
    assert json.loads(json.dumps(record)) == record  # JSON-safe
    assert record_to_exchange(json.loads(json.dumps(record))) == ex


def test_journal_record_body_encoding() -> None:
    rec = exchange_to_record(_exchange(request_body=b"\xff"))
    assert rec["request"] == {"headers": rec["request"]["headers"], "body": "/w==", "body_encoding": "base64"}
    assert exchange_to_record(_exchange(request_body=None))["request"]["body"] is None
    assert exchange_to_record(_exchange(response_status=None))["response"] is None


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"flow": 1, "method": "POST", "url": "u"},
        {"flow": "f", "method": "POST", "url": "u", "request": {"headers": "x"}},
        {"flow": "f", "method": "POST", "url": "u", "request": {"body": 5}},
        {"flow": "f", "method": "POST", "url": "u", "request": {"body": "!!", "body_encoding": "base64"}},
        {"flow": "f", "method": "POST", "url": "u", "response": {"status": "204"}},
        {"flow": "f", "method": "POST", "url": "u", "t_start": "now"},
    ],
)
def test_record_to_exchange_rejects_malformed(bad: dict) -> None:
    with pytest.raises((ValueError, TypeError, KeyError)):
        record_to_exchange(bad)


def _journal(records: list[dict], header: bool = True) -> str:
    lines = [json.dumps(journal_header())] if header else []
    lines += [json.dumps(r) for r in records]
    return "\n".join(lines) + "\n"


def test_journal_reader(tmp_path: Path) -> None:
    recs = [exchange_to_record(_exchange(flow_id=f"f{i}")) for i in range(3)]
    recs[1]["result"] = {"events": 1}  # extra keys are ignored
    text = _journal(recs[:2]) + json.dumps(journal_header()) + "\n" + '{"type":"future-kind"}\n'
    text += json.dumps(recs[2]) + "\n"
    path = _write(tmp_path, "j.ndjson", text)
    assert detect_format(path) == "journal"
    assert [ex.flow_id for ex in read_exchanges(path)] == ["f0", "f1", "f2"]


def test_journal_torn_last_line_is_tolerated(tmp_path: Path) -> None:
    recs = [exchange_to_record(_exchange(flow_id=f"f{i}")) for i in range(3)]
    text = _journal(recs)
    torn = text[: len(text) - 30]
    assert [ex.flow_id for ex in read_exchanges(_write(tmp_path, "torn.ndjson", torn))] == ["f0", "f1"]


def test_journal_corrupt_middle_line(tmp_path: Path) -> None:
    recs = [exchange_to_record(_exchange(flow_id=f"f{i}")) for i in range(3)]
    lines = _journal(recs).splitlines()
    lines.insert(2, '{"type": "exchange", "flow": ')
    lines.insert(3, '{"type": "exchange"}')
    got = []
    with pytest.raises(CaptureError, match=r"2 corrupt journal line\(s\) skipped \(first at line 3\)") as info:
        for ex in read_exchanges(_write(tmp_path, "bad.ndjson", "\n".join(lines) + "\n")):
            got.append(ex.flow_id)
    assert got == ["f0", "f1", "f2"]
    assert info.value.read_count == 3


def test_journal_without_header(tmp_path: Path) -> None:
    recs = [exchange_to_record(_exchange())]
    assert len(list(read_exchanges(_write(tmp_path, "nh.ndjson", _journal(recs, header=False))))) == 1


def test_a_journal_written_before_the_package_restructuring_still_opens() -> None:
    """tests/fixtures/journal-v1-mcscope-0.1.0.ndjson was written by the code of commit 93b927f (the flat
    ``addon`` package) from two HAR fixtures; today's reader gives back exactly their exchanges."""
    old = list(read_exchanges(FIXTURES / "journal-v1-mcscope-0.1.0.ndjson"))
    expected = [*read_exchanges(FIXTURES / "faulty-ad-outside-break.har"),
                *read_exchanges(FIXTURES / "clean-downloaded.har")]
    assert old == expected and len(old) == 12


# --- the typed fast path (line_to_exchange) is record_to_exchange(loads_line(line)) -------------------------

_values = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
                       | st.text(max_size=6) | st.sampled_from(["base64", "/w==", "exchange", "!!"]),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                       max_leaves=6)
_FIELDS = ["type", "flow", "method", "url", "t_start", "t_end", "error", "live", "client", "request", "response"]
_PART_FIELDS = ["headers", "body", "body_encoding", "status"]


def _reference(line: bytes) -> object:
    """What read_journal made of a line before the fast path: an Exchange, "skip" or the error's type."""
    try:
        obj = loads_line(line)
    except ValueError:
        return ValueError
    if not isinstance(obj, dict) or obj.get("type") != "exchange":
        return "skip"
    try:
        return record_to_exchange(obj)
    except (ValueError, TypeError, KeyError) as exc:
        return type(exc)


def _typed(ex: Exchange) -> list[tuple[type, object]]:
    return [(type(v), v) for v in dataclasses.astuple(ex)]


@settings(max_examples=400, deadline=None)
@given(changes=st.lists(st.tuples(st.sampled_from(_FIELDS + [f"request.{f}" for f in _PART_FIELDS]
                                                  + [f"response.{f}" for f in _PART_FIELDS]),
                                  _values | st.just("<delete>")), max_size=3),
       base=st.sampled_from([_exchange(), _exchange(request_body=b"\xff"), _exchange(response_status=None),
                             _exchange(client="192.0.2.7", live=True, error="boom")]))
def test_the_fast_path_gives_what_the_record_reader_gives(changes: list, base: Exchange) -> None:
    record = exchange_to_record(base)
    # the common shape takes the fast path
    assert line_to_exchange(json.dumps(record).encode()) == record_to_exchange(json.loads(json.dumps(record)))
    for where, value in changes:
        target, key = (record, where) if "." not in where else (record.get(where.split(".")[0]), where.split(".")[1])
        if not isinstance(target, dict):
            continue
        if value == "<delete>":
            target.pop(key, None)
        else:
            target[key] = value
    for line in (json.dumps(record).encode(), json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass")):
        fast = line_to_exchange(line)
        if fast is not None:
            want = _reference(line)
            assert isinstance(want, Exchange) and _typed(fast) == _typed(want), (line, want)


def test_the_fast_path_leaves_odd_lines_to_the_record_reader() -> None:
    record = exchange_to_record(_exchange())
    for odd in ({**record, "t_start": True}, {**record, "t_start": 1e300}, {**record, "request": []},
                {**record, "type": "journal"}, {**record, "response": {"status": 204.0}},
                {**record, "request": {"body": "!!", "body_encoding": "base64"}}, journal_header()):
        assert line_to_exchange(json.dumps(odd).encode()) is None, odd
    assert line_to_exchange(b"") is None and line_to_exchange(b"[1]") is None and line_to_exchange(b'{"type"') is None
