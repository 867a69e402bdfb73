"""gui/dataset.py: what the window keeps, and how little memory a big capture's headers take."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from mcscope.core.config import Config
from mcscope.core.model import Exchange
from mcscope.core.status import STATUSES
from mcscope.core.status import label as style_text
from mcscope.gui.dataset import Dataset, HeaderPool, load_files, make_config
from tests.builder import clean_vod
from tests.conftest import FIXTURES


def _ex(n: int, headers: list[tuple[str, str]]) -> Exchange:
    return Exchange(flow_id=f"f{n}", method="POST", url="https://x.hb-api.omtrdc.net/api/v1/sessions/a/events",
                    request_headers=list(headers), response_headers=[("Date", f"t{n}")])


def test_equal_header_pairs_are_shared_between_exchanges() -> None:
    pool = HeaderPool()
    a = pool.share(_ex(1, [("Content-Type", "application/json")]))
    b = pool.share(_ex(2, [("Content-Type", "application/json")]))
    assert a.request_headers == b.request_headers == [("Content-Type", "application/json")]
    assert a.request_headers[0] is b.request_headers[0]
    assert a.response_headers != b.response_headers  # different values stay different


def test_the_pool_is_bounded() -> None:
    pool = HeaderPool(limit=2)
    for n in range(10):
        ex = pool.share(_ex(n, [("X-N", str(n))]))
        assert ex.request_headers == [("X-N", str(n))]
    assert len(pool._pairs) == 2


def test_dataset_feeds_the_analyzer_and_keeps_every_exchange() -> None:
    ds = Dataset()
    capture = clean_vod()
    for ex in capture.exchanges:
        ds.feed(ex)
    ds.finish()
    assert len(ds.exchanges) == len(capture.exchanges)
    assert [s.event_count for s in ds.sessions] == [len(capture.exchanges)]


# ------------------------------------------------------------------ files: each judged on its own
def _verdict(sessions: list[Any]) -> list[tuple[Any, ...]]:
    """What must not depend on the other files open: sid, status and every finding (rule, severity, event)."""
    return [(s.sid, s.status, s.downloaded, s.event_count,
             sorted((f.rule, f.severity.label, f.event if f.event is not None else -1) for f in s.findings))
            for s in sessions]


def _check_alone(path: str) -> tuple[list[tuple[Any, ...]], list[tuple[str, str]]]:
    """``mcscope check`` on this one file (its own configuration: events not kept)."""
    from mcscope.commands.check import check_file

    config = Config.from_options(keep_events=False)
    analyzer, _ = check_file(path, config, io.StringIO(), jobs=1)
    return _verdict(analyzer.sessions), sorted((f.rule, f.severity.label) for f in analyzer.transport_findings)


def test_files_opened_together_get_the_verdict_check_gives_each_alone(external_fixtures: Path) -> None:
    paths = sorted(str(p) for p in external_fixtures.glob("*.har"))
    paths += [str(FIXTURES / "clean-vod.har"), str(FIXTURES / "faulty-events-after-end.mitm")]
    result = load_files(paths, make_config())
    assert result.error is None and result.skipped == [] and result.paths == paths
    ds = Dataset(config=make_config(), analyzer=result.analyzer, exchanges=result.exchanges, sources=result.paths)
    assert [p.source for p in ds.parts] == paths
    for part in ds.parts:
        sessions, transport = _check_alone(part.source)
        assert _verdict(part.analyzer.sessions) == sessions, part.source
        assert sorted((f.rule, f.severity.label) for f in part.analyzer.transport_findings) == transport
        assert all(ds.source_of(s.key) == part.source for s in part.analyzer.sessions)
    assert ds.sessions == [s for p in ds.parts for s in p.analyzer.sessions]
    assert len({s.key for s in ds.sessions}) == len(ds.sessions)
    # changed settings re-judge every file on its own again
    again = ds.rebuilt(make_config())
    assert [_verdict(p.analyzer.sessions) for p in again.parts] == [_verdict(p.analyzer.sessions) for p in ds.parts]
    assert not again.live and again.analyzer.exchanges_seen == len(ds.exchanges)


def test_one_file_does_not_change_another_files_verdict() -> None:
    """Alone, a file's session ends at its own end; beside a longer capture it must not time out."""
    short = str(FIXTURES / "faulty-events-after-end.har")
    alone = load_files([short], make_config())
    together = load_files([str(FIXTURES / "clean-chapters.har"), short, str(FIXTURES / "clean-live.mitm")],
                          make_config())
    assert _verdict(together.parts[1].analyzer.sessions) == _verdict(alone.parts[0].analyzer.sessions)


def test_the_same_file_twice_keeps_both_and_finds_each_exchange_in_its_own_file() -> None:
    path = str(FIXTURES / "clean-vod.har")
    result = load_files([path, path], make_config())
    ds = Dataset(config=make_config(), analyzer=result.analyzer, exchanges=result.exchanges, sources=result.paths)
    assert result.paths == [path, f"{path} (2)"]
    first, second = ds.sessions
    assert first.sid == second.sid and first.key != second.key and second.key == f"{first.key}~2"
    ev = second.events[3]
    ex = ds.exchange_of(ev, second.key)
    assert ex is not None and ex.flow_id == ev.flow
    assert ex is ds.exchanges_of(second.key)[ev.index] and ex is not ds.exchange_of(first.events[3], first.key)


def test_files_that_are_not_captures_are_skipped_and_named(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a capture\n")
    empty = tmp_path / "empty.har"
    empty.write_bytes(b"")
    good = [str(FIXTURES / "clean-vod.har"), str(FIXTURES / "faulty-ad-outside-break.mitm")]
    paths = [str(notes), good[0], str(tmp_path / "missing.har"), str(empty), good[1], str(tmp_path)]
    result = load_files(paths, make_config())
    assert result.paths == good and [p.source for p in result.parts] == good
    assert [path for path, _ in result.skipped] == [str(notes), str(tmp_path / "missing.har"), str(empty),
                                                    str(tmp_path)]
    assert result.error is not None and result.error.startswith("Skipped 4 of 6 files")
    for name in ("notes.txt", "missing.har: no such file", "empty.har: empty file", "is a directory"):
        assert name in result.error
    alone = load_files(good, make_config())
    assert _verdict(result.analyzer.sessions) == _verdict(alone.analyzer.sessions)
    assert len(result.exchanges) == len(alone.exchanges) > 0


def test_a_truncated_file_is_judged_as_far_as_it_reads_like_check(tmp_path: Path) -> None:
    data = (FIXTURES / "clean-vod.har").read_bytes()
    cut = tmp_path / "cut.har"
    cut.write_bytes(data[: len(data) * 2 // 3])
    result = load_files([str(cut), str(FIXTURES / "clean-live.har")], make_config())
    assert result.skipped == [] and len(result.parts) == 2
    assert result.error is not None and "cut.har" in result.error and "read before that" in result.error
    sessions, _ = _check_alone(str(cut))
    assert _verdict(result.parts[0].analyzer.sessions) == sessions
    assert [s.status for s in result.parts[0].analyzer.sessions] != []


def test_a_file_session_is_never_live() -> None:
    result = load_files([str(FIXTURES / "clean-live.mitm")], make_config())
    assert {s.status for s in result.analyzer.sessions} <= set(STATUSES)
    assert all(style_text(s.status) != "live" for s in result.analyzer.sessions)
