"""Viewer stream server: auth, permissions, snapshot + deltas, gap for slow clients, TCP fallback."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from mcscope.live import stream

TOKEN = "s3cret-token"


def _server(tmp_path: Path, records: list[dict[str, Any]] | None = None, **kw: Any) -> stream.StreamServer:
    recs = records if records is not None else []
    sock_dir = tmp_path / "sock"
    sock_dir.mkdir(mode=0o700)
    return stream.StreamServer(
        TOKEN,
        hello=lambda: {"type": "hello", "v": 1, "mcscope": "test"},
        snapshot=lambda: {"type": "snapshot", "records": list(recs), "dropped": 0},
        socket_path=None if kw.pop("tcp", False) else sock_dir / "s.sock",
        tcp=kw.pop("force_tcp", False),
        **kw,
    )


async def _connect(server: stream.StreamServer, token: str | None = TOKEN, v: int = 1, raw: bytes | None = None):
    if server.tcp:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port, limit=2**24)
    else:
        reader, writer = await asyncio.open_unix_connection(str(server.socket_path), limit=2**24)
    if raw is not None:
        writer.write(raw)
    else:
        msg: dict[str, Any] = {"v": v}
        if token is not None:
            msg["token"] = token
        writer.write(json.dumps(msg).encode() + b"\n")
    await writer.drain()
    return reader, writer


async def _read(reader: asyncio.StreamReader, timeout: float = 5.0) -> dict[str, Any]:
    line = await asyncio.wait_for(reader.readline(), timeout)
    assert line, "connection closed"
    return json.loads(line)


async def test_socket_and_directory_permissions(tmp_path: Path) -> None:
    server = _server(tmp_path)
    await server.start()
    try:
        mode = stat.S_IMODE(os.stat(server.socket_path).st_mode)
        assert mode == 0o600
        assert stat.S_IMODE(os.stat(server.socket_path.parent).st_mode) == 0o700
    finally:
        await server.close()
    assert not server.socket_path.exists()


async def test_auto_socket_dir_is_private_and_removed() -> None:
    server = stream.StreamServer(TOKEN, hello=dict, snapshot=dict)
    await server.start()
    d = server.socket_path.parent
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    await server.close()
    assert not d.exists()


async def test_public_directory_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "public"
    d.mkdir()
    d.chmod(0o755)
    server = stream.StreamServer(TOKEN, hello=dict, snapshot=dict, socket_path=d / "s.sock")
    with pytest.raises(PermissionError):
        await server.start()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"token": "wrong"},
        {"token": None},
        {"raw": b"not json\n"},
        {"raw": b"[1,2]\n"},
        {"raw": b'{"v":1,"token":5}\n'},
    ],
)
async def test_bad_or_missing_token_is_refused(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    server = _server(tmp_path)
    await server.start()
    try:
        reader, writer = await _connect(server, **kwargs)
        msg = await _read(reader)
        assert msg == {"type": "error", "reason": "auth"}
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        assert server.clients == 0 and server.refused == 1
    finally:
        await server.close()


async def test_wrong_version_is_refused(tmp_path: Path) -> None:
    server = _server(tmp_path)
    await server.start()
    try:
        reader, writer = await _connect(server, v=99)
        assert (await _read(reader))["reason"] == "version"
        writer.close()
    finally:
        await server.close()


async def test_handshake_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "HANDSHAKE_TIMEOUT", 0.2)
    server = _server(tmp_path)
    await server.start()
    try:
        reader, writer = await asyncio.open_unix_connection(str(server.socket_path))
        assert (await _read(reader))["reason"] == "handshake"
        writer.close()
    finally:
        await server.close()


async def test_hello_snapshot_then_deltas_to_several_viewers(tmp_path: Path) -> None:
    records = [{"type": "exchange", "flow": "a"}]
    server = _server(tmp_path, records)
    await server.start()
    try:
        r1, w1 = await _connect(server)
        assert (await _read(r1))["type"] == "hello"
        snap = await _read(r1)
        assert snap["type"] == "snapshot" and snap["records"] == records
        r2, w2 = await _connect(server)
        assert (await _read(r2))["type"] == "hello"
        assert (await _read(r2))["records"] == records
        assert server.clients == 2
        for i in range(5):
            server.publish({"type": "exchange", "record": {"flow": str(i)}})
        for r in (r1, r2):
            got = [(await _read(r))["record"]["flow"] for _ in range(5)]
            assert got == ["0", "1", "2", "3", "4"]
        # detach one viewer: the other keeps receiving
        w1.close()
        for _ in range(100):
            if server.clients == 1:
                break
            await asyncio.sleep(0.01)
        assert server.clients == 1
        server.publish({"type": "stats", "n": 1})
        assert (await _read(r2))["type"] == "stats"
        w2.close()
    finally:
        await server.close()


async def test_slow_client_gets_gap_and_publish_never_blocks(tmp_path: Path) -> None:
    server = _server(tmp_path, client_queue=50)
    await server.start()
    try:
        reader, writer = await _connect(server)  # connects, then reads nothing for a while
        for _ in range(50):
            if server.clients:
                break
            await asyncio.sleep(0.01)
        payload = "x" * 2000
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        for i in range(5000):
            server.publish({"type": "exchange", "record": {"flow": str(i), "p": payload}})
            if i % 100 == 0:
                await asyncio.sleep(0)  # let the sender fill the socket buffer
        assert loop.time() - t0 < 2.0
        # now read everything: somewhere there is a gap, and the last message arrives
        msgs = []
        for _ in range(10_000):
            try:
                msgs.append(await _read(reader, timeout=0.5))
            except TimeoutError:
                break
        gaps = [m for m in msgs if m["type"] == "gap"]
        assert gaps and all(g["missed"] > 0 for g in gaps)
        flows = [int(m["record"]["flow"]) for m in msgs if m["type"] == "exchange"]
        assert flows == sorted(flows)
        assert len(flows) + sum(g["missed"] for g in gaps) == 5000
        writer.close()
    finally:
        await server.close()


async def test_reconnect_gets_fresh_snapshot(tmp_path: Path) -> None:
    records: list[dict[str, Any]] = []
    server = stream.StreamServer(
        TOKEN, hello=lambda: {"type": "hello"},
        snapshot=lambda: {"type": "snapshot", "records": list(records), "dropped": 0},
    )
    await server.start()
    try:
        r, w = await _connect(server)
        await _read(r)
        assert (await _read(r))["records"] == []
        for i in range(3):
            records.append({"flow": str(i)})
            server.publish({"type": "exchange", "record": {"flow": str(i)}})
        w.close()
        r, w = await _connect(server)
        await _read(r)
        assert [x["flow"] for x in (await _read(r))["records"]] == ["0", "1", "2"]
        w.close()
    finally:
        await server.close()


async def test_tcp_fallback_binds_loopback_and_needs_token(tmp_path: Path) -> None:
    server = stream.StreamServer(TOKEN, hello=lambda: {"type": "hello"},
                                 snapshot=lambda: {"type": "snapshot", "records": []}, tcp=True)
    await server.start()
    try:
        assert server.tcp and server.port and server.address == f"127.0.0.1:{server.port}"
        r, w = await _connect(server, token="nope")
        assert (await _read(r))["reason"] == "auth"
        w.close()
        r, w = await _connect(server)
        assert (await _read(r))["type"] == "hello"
        w.close()
    finally:
        await server.close()


def test_empty_token_rejected() -> None:
    with pytest.raises(ValueError):
        stream.StreamServer("", hello=dict, snapshot=dict)


def test_token_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(stream.TOKEN_ENV, "abc")
    assert stream.token_from_env() == ("abc", False)
    monkeypatch.delenv(stream.TOKEN_ENV)
    token, generated = stream.token_from_env()
    assert generated and len(token) >= 24


def test_discovery_file_is_private_and_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(stream.STREAMS_DIR_ENV, str(tmp_path / "streams"))
    path = stream.write_discovery({"pid": os.getpid(), "socket": "/x", "token": "t", "started": 1})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    stream.write_discovery({"pid": 2**22 + 12345, "socket": "/dead"}, pid=2**22 + 12345)  # dead pid
    (tmp_path / "streams" / "junk.json").write_text("{not json")
    found = stream.list_streams()
    assert [f["socket"] for f in found] == ["/x"]
