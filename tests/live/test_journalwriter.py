"""Journal writer: background thread, NDJSON, flush latency, torn tail, errors, default location."""

from __future__ import annotations

import json
import time
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
