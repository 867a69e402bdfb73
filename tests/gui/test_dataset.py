"""gui/dataset.py: what the window keeps, and how little memory a big capture's headers take."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from mcscope.core.config import Config
from mcscope.core.model import Exchange
from mcscope.core.status import STATUSES
from mcscope.core.status import label as style_text
from mcscope.gui.dataset import (
    Batch,
    Cancelled,
    Dataset,
    FileEnd,
    FilesJudging,
    FileStart,
    HeaderPool,
    load_files,
    make_config,
    read_files,
)
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


# ------------------------------------------------------------------ progressive loading (FilesJudging)
def mixed_journal(path: Path, sessions: int = 6) -> Path:
    """An mcscope journal of interleaved sessions, as a proxy writes it: clean REST VOD sessions, one left
    open (judged at the capture's end), one with ts in seconds, and a clean Media Edge API session."""
    from mcscope.io.journal import encode_record, exchange_to_record, journal_header
    from tests.builder import T0, Capture
    from tests.edge_builder import EdgeCapture, edge_vod

    exchanges: list[Exchange] = []
    for i in range(sessions):
        c = clean_vod(Capture(t0=T0 + i * 700, sid=f"{i + 1:064x}"))
        if i == 1:
            c.exchanges.pop()  # no sessionComplete: still open at the end of the capture
        if i == 2:
            for ex in c.exchanges[1:4]:
                body = json.loads(ex.request_body or b"{}")
                body["playerTime"]["ts"] //= 1000
                ex.request_body = json.dumps(body).encode()
        for ex in c.exchanges:
            ex.flow_id = f"s{i}-{ex.flow_id}"
        exchanges += c.exchanges
    edge = edge_vod(EdgeCapture(t0=T0 + 300))
    for ex in edge.exchanges:
        ex.flow_id = f"edge-{ex.flow_id}"
    exchanges += edge.exchanges
    exchanges.sort(key=lambda ex: ex.timestamp_start)
    with path.open("wb") as out:
        out.write(encode_record(journal_header()) + b"\n")
        for ex in exchanges:
            out.write(encode_record(exchange_to_record(ex)) + b"\n")
    return path


def _keyed(sessions: list[Any]) -> list[tuple[Any, ...]]:
    return [(s.key, *v) for s, v in zip(sessions, _verdict(sessions), strict=True)]


def test_files_judged_step_by_step_show_sessions_as_they_load_and_end_as_one_load(tmp_path: Path) -> None:
    journal = str(mixed_journal(tmp_path / "mixed.ndjson"))
    paths = [journal, str(FIXTURES / "faulty-ts-seconds.mitm"), journal, str(tmp_path / "missing.har"),
             str(FIXTURES / "clean-chapters.har")]
    judging = FilesJudging(paths, make_config())
    shown: list[int] = []
    open_midway = collided_early = False
    for item in read_files(paths, batch=4, pool=HeaderPool()):
        judging.apply(item)
        judging.show()
        listed = judging.analysis.sessions
        assert len({s.key for s in listed}) == len(listed)  # never two rows with one key
        shown.append(len(listed))
        if judging.sources == [journal] and any(s.status == "open" and s.event_count > 1 for s in listed):
            open_midway = True
        if isinstance(item, Batch) and judging.sources[-1] == f"{journal} (2)":
            collided_early |= any(s.key.endswith("~2") for s in listed)  # waits for its file's end
    result = judging.result()
    alone = load_files(paths, make_config())
    assert open_midway and not collided_early
    first_file = len(alone.parts[0].analyzer.sessions)
    assert 0 < shown[2] < first_file <= max(shown[:40])  # sessions listed long before their file ended
    assert shown == sorted(shown) and shown[-1] == len(alone.analyzer.sessions)
    assert _keyed(result.analyzer.sessions) == _keyed(alone.analyzer.sessions)
    assert [(p.source, p.start, p.end, p.error) for p in result.parts] == \
        [(p.source, p.start, p.end, p.error) for p in alone.parts]
    assert result.error == alone.error and "missing.har" in (result.error or "")
    assert result.read_count == alone.read_count == len(result.exchanges)
    for part in result.parts:  # and each file's verdict is the one ``mcscope check`` gives it alone
        sessions, transport = _check_alone(part.source.removesuffix(" (2)"))
        assert _verdict(part.analyzer.sessions) == sessions, part.source
        assert sorted((f.rule, f.severity.label) for f in part.analyzer.transport_findings) == transport
    protocols = {s.protocol for s in result.parts[0].analyzer.sessions}
    assert protocols == {"rest", "edge"}
    assert {s.status for s in result.parts[0].analyzer.sessions} > {"completed"}
    assert any(f.rule == "ts-units" for s in result.parts[0].analyzer.sessions for f in s.findings)


def test_a_loading_dataset_finds_the_exchanges_of_the_file_being_read(tmp_path: Path) -> None:
    journal = str(mixed_journal(tmp_path / "mixed.ndjson"))
    judging = FilesJudging([journal], make_config())
    items = iter(read_files([journal], batch=8))
    for item in items:
        judging.apply(item)
        if judging.read_count >= 40:
            break
    judging.show()
    ds = Dataset(config=judging.config, analyzer=judging.analysis, exchanges=judging.exchanges,
                 sources=judging.sources)
    s = ds.sessions[0]
    early = s.events[-1]
    assert ds.exchange_of(early, s.key) is not None and ds.exchange_of(early, s.key).flow_id == early.flow
    for item in items:
        judging.apply(item)
    judging.show()
    late = s.events[-1]
    assert late is not early and ds.exchange_of(late, s.key).flow_id == late.flow  # indexed since
    assert ds.exchange_of(early, s.key).flow_id == early.flow


def test_reading_stops_when_cancelled_and_what_was_read_is_judged() -> None:
    path = str(FIXTURES / "clean-vod.har")
    stop = [False]
    items = []
    for item in read_files([path, path], lambda: stop[0], batch=2):
        items.append(item)
        stop[0] = isinstance(item, Batch)
    assert [type(i) for i in items] == [FileStart, Batch, FileEnd]
    assert items[-1] == FileEnd("cancelled")
    assert [type(i) for i in read_files([path, path], lambda: True)] == [Cancelled]
    calls = [0]

    def after_two_files() -> bool:
        calls[0] += 1
        return calls[0] > 1 and isinstance(items_seen[-1], FileEnd)

    items_seen: list[Any] = [None]
    judging = FilesJudging([path, path], make_config())
    for item in read_files([path, path], after_two_files, batch=2):
        items_seen.append(item)
        judging.apply(item)
    result = judging.result()
    assert result.error is not None and "cancelled" in result.error
    assert len(result.parts) == 1 and result.parts[0].error is None and result.analyzer.sessions


def test_whole_header_lists_methods_and_urls_are_shared() -> None:
    pool = HeaderPool()
    a = pool.share(_ex(1, [("Content-Type", "application/json")]))
    b = pool.share(_ex(2, [("Content-Type", "application/json")]))
    c = pool.share(_ex(3, [("Content-Type", "text/plain")]))
    assert a.request_headers is b.request_headers and a.request_headers is not c.request_headers
    assert c.request_headers == [("Content-Type", "text/plain")]
    assert a.url is b.url and a.method is b.method
    other = Exchange(flow_id="x", method="GET", url="https://x.hb-api.omtrdc.net/api/v1/sessions")
    assert pool.share(other).url == "https://x.hb-api.omtrdc.net/api/v1/sessions" and other.method == "GET"
    small = HeaderPool(limit=1)
    for n in range(5):
        ex = small.share(Exchange(flow_id=str(n), method="POST", url=f"u{n}", request_headers=[("X", str(n))]))
        assert ex.url == f"u{n}" and ex.request_headers == [("X", str(n))]
    assert len(small._strings) == len(small._lists) == 1
