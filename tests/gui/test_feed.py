"""gui/feed.py: the stream client against a test double of the addon's stream; the file loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from mcscope.gui.feed import FileLoader, StreamClient
from tests.conftest import FIXTURES
from tests.gui.conftest import records_of
from tests.gui.fakestream import FakeStreamServer


class Collector:
    def __init__(self, client: StreamClient) -> None:
        self.hello: list[dict[str, Any]] = []
        self.snapshots: list[list[dict[str, Any]]] = []
        self.records: list[dict[str, Any]] = []
        self.batches = 0
        self.gaps: list[int] = []
        self.failed: list[str] = []
        self.disconnected: list[str] = []
        client.hello.connect(self.hello.append)
        client.snapshot.connect(lambda recs, dropped: self.snapshots.append(recs))
        client.records.connect(self._records)
        client.gap.connect(self.gaps.append)
        client.failed.connect(self.failed.append)
        client.disconnected.connect(self.disconnected.append)

    def _records(self, recs: list[dict[str, Any]]) -> None:
        self.batches += 1
        self.records.extend(recs)


def test_handshake_snapshot_and_deltas(qtbot: QtBot, sock_dir: Path) -> None:
    recs = records_of("clean-vod.har")
    server = FakeStreamServer(str(sock_dir / "s.sock"), "secret", recs[:5]).start()
    try:
        client = StreamClient()
        got = Collector(client)
        client.connect_to(server.path, "secret")
        qtbot.waitUntil(lambda: len(got.snapshots) == 1, timeout=5000)
        assert got.hello[0]["journal"] == "/tmp/fake-journal.ndjson"
        assert client.is_connected()
        assert [r["flow"] for r in got.snapshots[0]] == [r["flow"] for r in recs[:5]]
        for r in recs[5:]:
            server.send({"type": "exchange", "record": r})
        server.send({"type": "stats", "exchanges": len(recs)})
        qtbot.waitUntil(lambda: len(got.records) == len(recs) - 5, timeout=5000)
        assert [r["flow"] for r in got.records] == [r["flow"] for r in recs[5:]]
        assert got.batches <= len(recs) - 5  # batched per read, not necessarily one by one
        client.close()
    finally:
        server.stop()


def test_waits_for_the_socket_to_appear(qtbot: QtBot, sock_dir: Path) -> None:
    client = StreamClient()
    got = Collector(client)
    path = str(sock_dir / "late.sock")
    client.connect_to(path, "t", wait_s=5)
    qtbot.wait(300)
    server = FakeStreamServer(path, "t").start()
    try:
        qtbot.waitUntil(lambda: len(got.snapshots) == 1, timeout=5000)
        assert not got.failed
    finally:
        client.close()
        server.stop()


def test_wrong_token_is_reported(qtbot: QtBot, sock_dir: Path) -> None:
    server = FakeStreamServer(str(sock_dir / "s.sock"), "right").start()
    try:
        client = StreamClient()
        got = Collector(client)
        client.connect_to(server.path, "wrong")
        qtbot.waitUntil(lambda: bool(got.failed), timeout=5000)
        assert "auth" in got.failed[0]
        assert not client.is_connected()
    finally:
        server.stop()


def test_no_server_fails_after_the_wait(qtbot: QtBot, sock_dir: Path) -> None:
    client = StreamClient()
    got = Collector(client)
    client.connect_to(str(sock_dir / "none.sock"), "t", wait_s=0.3)
    qtbot.waitUntil(lambda: bool(got.failed), timeout=5000)
    assert "cannot connect" in got.failed[0]


def test_gap_and_resync_gets_a_fresh_snapshot(qtbot: QtBot, sock_dir: Path) -> None:
    recs = records_of("clean-vod.har")
    server = FakeStreamServer(str(sock_dir / "s.sock"), "t", recs[:3]).start()
    try:
        client = StreamClient()
        got = Collector(client)
        client.connect_to(server.path, "t")
        qtbot.waitUntil(lambda: len(got.snapshots) == 1, timeout=5000)
        server.records = recs  # the proxy saw more meanwhile
        server.send({"type": "gap", "missed": 42})
        qtbot.waitUntil(lambda: got.gaps == [42], timeout=5000)
        client.reconnect()
        qtbot.waitUntil(lambda: len(got.snapshots) == 2, timeout=5000)
        assert len(got.snapshots[1]) == len(recs)
        assert server.connections == 2
    finally:
        server.stop()


def test_server_going_away_is_a_disconnect(qtbot: QtBot, sock_dir: Path) -> None:
    server = FakeStreamServer(str(sock_dir / "s.sock"), "t").start()
    client = StreamClient()
    got = Collector(client)
    client.connect_to(server.path, "t")
    qtbot.waitUntil(lambda: len(got.snapshots) == 1, timeout=5000)
    server.stop()
    qtbot.waitUntil(lambda: bool(got.disconnected), timeout=5000)
    assert not client.is_connected()


def test_malformed_lines_are_skipped(qtbot: QtBot, sock_dir: Path) -> None:
    recs = records_of("clean-vod.har")
    server = FakeStreamServer(str(sock_dir / "s.sock"), "t").start()
    try:
        client = StreamClient()
        got = Collector(client)
        client.connect_to(server.path, "t")
        qtbot.waitUntil(lambda: len(got.snapshots) == 1, timeout=5000)
        server.send_raw(b"this is not json\n[1,2]\n")
        server.send({"type": "exchange", "record": recs[0]})
        qtbot.waitUntil(lambda: len(got.records) == 1, timeout=5000)
    finally:
        server.stop()


def _load(qtbot: QtBot, paths: list[str]) -> Any:
    from mcscope.core.session import Analyzer

    loader = FileLoader(paths, Analyzer)
    with qtbot.waitSignal(loader.loaded, timeout=20000) as blocker:
        loader.start()
    loader.wait(5000)
    return blocker.args[0]


def test_file_loader_reads_and_analyses_in_a_thread(qtbot: QtBot) -> None:
    result = _load(qtbot, [str(FIXTURES / "faulty-ad-outside-break.har")])
    assert result.error is None
    assert result.read_count > 10
    assert result.analyzer.sessions


def test_file_loader_reports_what_it_read_from_a_truncated_file(qtbot: QtBot, tmp_path: Path) -> None:
    data = (FIXTURES / "clean-vod.mitm").read_bytes()
    bad = tmp_path / "cut.mitm"
    bad.write_bytes(data[: len(data) // 2])
    result = _load(qtbot, [str(bad)])
    assert result.error is not None
    assert "cut.mitm" in result.error
    assert "exchanges read before that" in result.error
    assert result.read_count == len(result.exchanges) > 0


def test_file_loader_missing_file(qtbot: QtBot, tmp_path: Path) -> None:
    result = _load(qtbot, [str(tmp_path / "nope.har")])
    assert result.error is not None and "nope.har" in result.error
