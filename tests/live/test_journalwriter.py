"""Journal writer: background thread, NDJSON, flush latency, torn tail, errors, default location."""

from __future__ import annotations

import gzip
import json
import time
import zlib
from collections.abc import Generator
from pathlib import Path

import pytest

from mcscope.core.model import Exchange
from mcscope.io.capture import read_exchanges
from mcscope.io.journal import exchange_to_record, journal_header
from mcscope.live import journalwriter as journal


def _ex(i: int) -> Exchange:
    return Exchange(
        flow_id=f"f{i}",
        method="POST",
        url=f"https://x.hb-api.omtrdc.net/api/v1/sessions/s{i}/events",
        request_headers=[("Content-Type", "application/json")],
        request_body=json.dumps({"eventType": "ping", "i": i}).encode(),
        response_status=204,
        response_body=b"",
        timestamp_start=1700000000.0 + i,
        timestamp_end=1700000000.1 + i,
        live=True,
    )


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_append_and_close_writes_header_and_records(tmp_path: Path) -> None:
    path = tmp_path / "j" / "run.ndjson"
    j = journal.Journal(path, header=journal_header())
    for i in range(50):
        j.append(exchange_to_record(_ex(i)))
    j.close()
    recs = _lines(path)
    assert recs[0]["type"] == "journal" and recs[0]["v"] == 1
    assert [r["flow"] for r in recs[1:]] == [f"f{i}" for i in range(50)]
    assert j.written == 50
    # round trip through the reader
    assert [e.flow_id for e in read_exchanges(path)] == [f"f{i}" for i in range(50)]


def test_record_is_on_disk_within_100ms_without_close(tmp_path: Path) -> None:
    path = tmp_path / "run.ndjson"
    j = journal.Journal(path, header=journal_header())
    try:
        time.sleep(0.05)
        j.append(exchange_to_record(_ex(1)))
        t0 = time.monotonic()
        while time.monotonic() - t0 < 2:
            if len(path.read_bytes().splitlines()) == 2:
                break
            time.sleep(0.005)
        elapsed = time.monotonic() - t0
        assert len(_lines(path)) == 2
        assert elapsed < 0.1
    finally:
        j.close()


def test_append_never_blocks(tmp_path: Path) -> None:
    j = journal.Journal(tmp_path / "run.ndjson")
    rec = exchange_to_record(_ex(0))
    t0 = time.perf_counter()
    for _ in range(20_000):
        j.append(rec)
    assert time.perf_counter() - t0 < 0.5
    j.close()
    assert j.written == 20_000


def test_unserialisable_record_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "run.ndjson"
    j = journal.Journal(path)
    j.append({"type": "exchange", "bad": object()})
    j.append(exchange_to_record(_ex(2)))
    j.close()
    assert [r["flow"] for r in _lines(path)] == ["f2"]


def test_torn_last_line_is_tolerated_by_reader(tmp_path: Path) -> None:
    path = tmp_path / "run.ndjson"
    j = journal.Journal(path, header=journal_header())
    for i in range(3):
        j.append(exchange_to_record(_ex(i)))
    j.close()
    with open(path, "ab") as fh:
        fh.write(b'{"type":"exchange","flow":"f9","meth')
    got = []
    try:
        for ex in read_exchanges(path):
            got.append(ex.flow_id)
    except Exception:
        pass
    assert got == ["f0", "f1", "f2"]


def test_unwritable_location_raises_journal_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(journal.JournalError):
        journal.Journal(blocker / "sub" / "j.ndjson")


def test_write_failure_calls_on_error_once(tmp_path: Path) -> None:
    errors: list[str] = []
    j = journal.Journal(tmp_path / "j.ndjson", on_error=errors.append)
    j._fh.close()  # simulate the disk going away under the writer
    j.append(exchange_to_record(_ex(1)))
    j.append(exchange_to_record(_ex(2)))
    j.close()
    assert len(errors) == 1 and "journal write failed" in errors[0]
    assert j.failed


def test_default_path_uses_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(journal.DATA_DIR_ENV, str(tmp_path))
    p = journal.default_journal_path(now=0, pid=42)
    assert p.parent == tmp_path / "journals"
    assert p.name.startswith("mcscope-") and p.name.endswith("-42.ndjson")


def test_default_data_dir_is_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs import user_data_dir

    monkeypatch.delenv(journal.DATA_DIR_ENV, raising=False)
    assert journal.data_dir() == Path(user_data_dir("mcscope", appauthor=False))


# -- costly records in steps ------------------------------------------------------------------------------
def _parts(i: int, body: bytes, encoding: str = "") -> tuple:
    headers = [(b"Content-Type", b"application/json")]
    if encoding:
        headers.append((b"Content-Encoding", encoding.encode()))
    rq = (b"HTTP/1.1", headers, body, 1700000000.0 + i, 1700000000.1 + i, "x.hb-api.omtrdc.net", 443, b"POST",
          b"https", b"", f"/api/v1/sessions/s{i}/events".encode())
    rs = (b"HTTP/1.1", [], b"", 1700000000.1 + i, 1700000000.2 + i, 204, b"No Content")
    return (f"f{i}", rq, rs, None, True, None)


@pytest.mark.parametrize("size", [0, 1, 100_000, 1 * journal.MIB, 3 * journal.MIB + 7])
@pytest.mark.parametrize("kind", ["gzip", "deflate", "deflateraw"])
def test_stepwise_decoding_equals_one_shot_zlib(size: int, kind: str) -> None:
    data = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    if kind == "gzip":
        raw = gzip.compress(data)
    elif kind == "deflate":
        raw = zlib.compress(data)
    else:
        c = zlib.compressobj(wbits=-15)
        raw = c.compress(data) + c.flush()
    assert journal.bounded_decode(raw, kind, 4 * journal.MIB) == data
    if size > 2:
        with pytest.raises(journal._TooBig):
            journal.bounded_decode(raw, kind, size - 1)
        assert journal.bounded_decode(raw, kind, size) == data  # exactly at the limit is kept


def test_truncated_deflate_stream_is_kept_as_it_came() -> None:
    raw = zlib.compress(b"x" * 3_000_000)[:-50]
    assert journal.bounded_decode(raw, "deflate", 16 * journal.MIB) == raw


def test_gzip_bomb_is_decoded_in_bounded_steps() -> None:
    bomb = gzip.compress(b"\0" * (20 * journal.MIB), 9)
    steps = journal._decode_steps(bomb, "gzip", 8 * journal.MIB)
    count = 0
    with pytest.raises(journal._TooBig):
        while True:
            next(steps)
            count += 1
    assert count >= 7  # at most ~1 MiB of output per step, not 8 MiB in one call


def test_costly_records_are_recognised() -> None:
    assert not journal.is_costly(_parts(0, b"{}"))
    assert journal.is_costly(_parts(0, b"x" * (journal._SLICE + 1)))
    assert journal.is_costly(_parts(0, gzip.compress(b"{}"), "gzip"))
    assert not journal.is_costly(_parts(0, b"{}", "identity"))


def test_cheap_records_arriving_during_a_costly_one_are_written_before_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "run.ndjson"
    j = journal.Journal(path, header=journal_header())
    real = journal.encode_steps
    appended: list[int] = []

    def spy(parts: tuple, limits: journal.Limits, shed: bool = False) -> Generator[None, None, list[bytes]]:
        steps = real(parts, limits, shed)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value
            if parts[0] == "f0" and not appended:  # a cheap call answered while the big one is encoded
                j.append_parts(_parts(1, b'{"eventType": "ping"}'))
                appended.append(1)
            yield

    monkeypatch.setattr(journal, "encode_steps", spy)
    big = json.dumps({"eventType": "ping", "pad": "x" * (5 * journal.MIB)}).encode()
    try:
        j.append_parts(_parts(0, big))
        assert j.drain(10)
    finally:
        j.close()
    flows = [r["flow"] for r in _lines(path)[1:]]
    assert flows == ["f1", "f0"]
    assert [e.request_body for e in read_exchanges(path)] == [b'{"eventType": "ping"}', big]


def test_a_gzip_bomb_is_omitted_from_its_trailer_without_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = gzip.compress(b"\0" * (20 * journal.MIB), 9)
    assert journal.gzip_declared_size(bomb) == 20 * journal.MIB

    def no_decoding(*args: object) -> None:
        raise AssertionError("decoded")

    monkeypatch.setattr(journal, "_decode_steps", no_decoding)
    limits = journal.Limits(max_body=16 * journal.MIB)
    record = json.loads(b"".join(journal.encode_parts(_parts(0, bomb, "gzip"), limits)))
    omitted = record["request"]["body_omitted"]
    assert record["request"]["body"] is None and omitted["declared_size"] == 20 * journal.MIB
    assert omitted["reason"] == "max_body" and omitted["size"] == len(bomb)


@pytest.mark.parametrize("raw", [
    gzip.compress(b"small body"),  # declares what it holds: decoded
    gzip.compress(b"x" * 1000)[:-4] + (2**31).to_bytes(4, "little"),  # declares more than deflate can hold
    b"\x1f\x8b" + b"\0" * 10,  # too short to have a trailer
])
def test_a_gzip_trailer_is_believed_only_when_possible(raw: bytes) -> None:
    declared = journal.gzip_declared_size(raw)
    assert declared is None or declared <= 1032 * len(raw)
    record = json.loads(b"".join(journal.encode_parts(_parts(0, raw, "gzip"), journal.Limits())))
    assert "declared_size" not in (record["request"].get("body_omitted") or {})


def test_tail_assembles_a_line_longer_than_one_read(tmp_path: Path) -> None:
    path = tmp_path / "j.ndjson"
    big = b"x" * 100_000
    path.write_bytes(b"a\n" + big + b"\nb\nc")
    tail = journal.Tail(path)
    got: list[bytes] = []
    for _ in range(200):
        got += tail.read(4096)
    assert got == [b"a", big, b"b"]  # "c" has no newline yet
    with path.open("ab") as fh:
        fh.write(b"d\n")
    assert tail.read(4096) == [b"cd"] and tail.offset == path.stat().st_size
