"""The capture pipeline on its own, behind the journal: backlog, viewers (exchanges only), analysis when
wanted; it follows the journal file the writer writes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from mcscope.io.flows import flow_parts
from mcscope.live import journalwriter, options, viewers
from mcscope.live.pipeline import Pipeline
from mcscope.live.reports import ReportRequest
from tests.live.helpers import STREAM_TYPES, message, private_dirs, session_flows, stream_client, wait_for


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_dirs(tmp_path, monkeypatch)


def _settings(tmp_path: Path, analyse: bool = False, **kw: object) -> options.Settings:
    return options.Settings(journal=tmp_path / "j.ndjson", journal_header={"type": "journal", "v": 1},
                            config=options.build_config([], [], []), analyse=analyse, **kw)  # type: ignore[arg-type]


def _lines() -> list[bytes]:
    """The journal lines of the session flows, as the writer writes them."""
    return [b"".join(journalwriter.encode_parts(flow_parts(f), journalwriter.Limits()))[:-1]
            for f in session_flows()]


def test_follows_the_journal_without_analysis(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    journal = journalwriter.Journal(tmp_path / "j.ndjson", header=settings.journal_header)
    settings.source, settings.start = str(journal.path), journal.start
    p = Pipeline(settings)
    p.open()
    for f in session_flows():
        journal.append_parts(flow_parts(f))
    journal.close()
    while p.poll():
        pass
    assert p.analysis is None and p.exchanges == 6 and len(p.backlog) == 6
    p.set_rules(options.build_config(["stall"], [], []))
    assert p.analysis is None  # rule changes re-analyse only when analysing
    assert p.finish(ReportRequest()).report is None
    p.close()
    lines = (tmp_path / "j.ndjson").read_text().splitlines()
    assert json.loads(lines[0])["type"] == "journal" and len(lines) == 7
    assert [json.loads(line) for line in lines[1:]] == [json.loads(line) for line in p.backlog]


def test_analysis_and_report(tmp_path: Path) -> None:
    p = Pipeline(_settings(tmp_path, analyse=True))
    p.open()
    p.feed_lines(_lines())
    assert p.analysis is not None and p.analysis.analyzer.exchanges_seen == 6
    out = p.finish(ReportRequest(outputs={"json": str(tmp_path / "r.json")}, sources=("x",)))
    p.close()
    assert out.exit_code == 1 and out.report is not None and out.report["sources"] == ["x"]
    assert json.loads((tmp_path / "r.json").read_text()) == out.report


def test_backlog_size_counts_dropped(tmp_path: Path) -> None:
    p = Pipeline(_settings(tmp_path, backlog=2))
    p.feed_lines(_lines())
    assert len(p.backlog) == 2 and p.backlog.dropped == 4
    p.set_backlog(1)
    assert len(p.backlog) == 1
    stats = p.stats()
    assert stats == {"type": "stats", "exchanges": 6, "journal_records": 6, "restarts": 0, "retained": 1,
                     "dropped": 4, "clients": 0}


def test_header_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    p = Pipeline(_settings(tmp_path, analyse=True))
    p.feed_lines([b'{"type":"journal","v":1}', b"", _lines()[0], b'{"type":"exchange","flow":1}'])
    assert p.exchanges == 2 and p.analysis is not None and p.analysis.analyzer.exchanges_seen == 1


async def test_stream_carries_exchanges_and_stats_only(tmp_path: Path) -> None:
    """Even when analysing: no event/session/finding messages (the window analyses the exchanges)."""
    p = Pipeline(_settings(tmp_path, analyse=True, listen="127.0.0.1:1"))
    p.open()
    sock, spec = viewers.bind("auto", False)
    await p.serve(sock, spec)
    assert p.viewers is not None and p.viewers.discovery_path is not None
    info = json.loads(p.viewers.discovery_path.read_text())
    reader, writer = await stream_client(info)
    hello = await message(reader)
    assert hello["listen"] == "127.0.0.1:1" and hello["mock"] is False
    assert (await message(reader))["type"] == "snapshot"
    await wait_for(lambda: p.viewers is not None and p.viewers.has_clients())
    p.feed_lines(_lines())
    p.finish(ReportRequest())
    got = []
    while not got or got[-1]["type"] != "stats":
        got.append(await message(reader))
    assert {m["type"] for m in got} <= STREAM_TYPES
    assert [m["type"] for m in got].count("exchange") == 6
    assert got[-1]["exchanges"] == 6 and "sessions" not in got[-1]
    writer.close()
    p.close()
    assert not Path(spec.socket_path or "").exists() and not p.viewers.discovery_path.exists()


async def test_journal_failure_is_logged_to_viewers(tmp_path: Path) -> None:
    p = Pipeline(_settings(tmp_path))
    p.open()
    sock, spec = viewers.bind("auto", True)
    await p.serve(sock, spec)
    assert p.viewers is not None and p.viewers.discovery_path is not None
    reader, writer = await stream_client(json.loads(p.viewers.discovery_path.read_text()))
    await message(reader), await message(reader)
    await wait_for(lambda: p.viewers is not None and p.viewers.has_clients())
    p._journal_failed("disk full")
    msg = await message(reader)
    assert msg == {"type": "log", "level": "warning", "message": "disk full"}
    writer.close()
    p.close()
    await asyncio.sleep(0)
