"""The asyncio mock collector server over real loopback sockets (127.0.0.1 only, bounded)."""

from __future__ import annotations

import asyncio
import http.client
import json

import pytest

from mcscope.sim.mockserver import MockServer, ServerThread

START = {
    "eventType": "sessionStart",
    "playerTime": {"playhead": 0, "ts": 1_700_000_000_000},
    "params": {
        "analytics.trackingServer": "t",
        "analytics.reportSuite": "r",
        "visitor.marketingCloudOrgId": "o@AdobeOrg",
        "media.id": "m",
        "media.length": 60,
        "media.contentType": "vod",
        "media.playerName": "p",
        "media.channel": "c",
    },
}


async def raw(server: MockServer, data: bytes, *, read_all: bool = True) -> bytes:
    host, port = server.address
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        await writer.drain()
        if read_all:
            return await asyncio.wait_for(reader.read(), 5)
        return await asyncio.wait_for(reader.read(65536), 5)
    finally:
        writer.close()


def post(path: str, body: bytes, extra: str = "Connection: close\r\n") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


async def test_binds_port_zero_and_reports_url() -> None:
    async with MockServer(port=0) as server:
        host, port = server.address
        assert host == "127.0.0.1" and port > 0
        assert server.url == f"http://127.0.0.1:{port}"


async def test_session_start_then_events_keep_alive() -> None:
    async with MockServer() as server:
        host, port = server.address
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(post("/api/v1/sessions", json.dumps(START).encode(), extra=""))
        await writer.drain()
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode()
        assert head.startswith("HTTP/1.1 201 Created")
        assert "Content-Length: 0" in head
        assert "Connection: keep-alive" in head
        location = next(line.split(": ", 1)[1] for line in head.split("\r\n") if line.startswith("Location:"))
        event = dict(START, eventType="play", playerTime={"playhead": 0, "ts": 1_700_000_000_001})
        del event["params"]
        for _ in range(3):  # several requests on the same connection
            writer.write(post(f"{location}/events", json.dumps(event).encode(), extra=""))
            await writer.drain()
            head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode()
            assert head.startswith("HTTP/1.1 204 No Content")
            assert "Content-Length" not in head
            event["playerTime"] = {"playhead": 0, "ts": event["playerTime"]["ts"] + 1}
        writer.close()
        assert server.requests == 4


async def test_400_has_json_message() -> None:
    async with MockServer() as server:
        data = await raw(server, post("/api/v1/sessions", b"nope"))
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 Bad Request")
        assert b"Connection: close" in head
        assert json.loads(body)["message"]


async def test_chunked_body_is_supported() -> None:
    async with MockServer() as server:
        body = json.dumps(START).encode()
        chunks = b"".join(
            f"{len(body[i : i + 50]):x}\r\n".encode() + body[i : i + 50] + b"\r\n"
            for i in range(0, len(body), 50)
        )
        data = (
            b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n" + chunks + b"0\r\n\r\n"
        )
        assert (await raw(server, data)).startswith(b"HTTP/1.1 201")


async def test_expect_100_continue() -> None:
    async with MockServer() as server:
        body = json.dumps(START).encode()
        data = await raw(
            server, post("/api/v1/sessions", body, "Expect: 100-continue\r\nConnection: close\r\n")
        )
        assert data.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"POST /api/v1/sessions HTTP/2.0\r\n\r\n", b"505"),
        (b"POST /api/v1/sessions HTTP/1.1\r\nbad header line\r\n\r\n", b"400"),
        (b"POST /api/v1/sessions HTTP/1.1\r\nContent-Length: -5\r\n\r\n", b"400"),
        (b"POST /api/v1/sessions HTTP/1.1\r\nContent-Length: abc\r\n\r\n", b"400"),
        (b"POST /api/v1/sessions HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", b"501"),
        (b"POST /api/v1/sessions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", b"400"),
        (b"POST /api/v1/sessions HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", b"413"),
        (b"POST /x HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", b"400"),
    ],
)
async def test_malformed_requests_answered_and_closed(request_bytes: bytes, status: bytes) -> None:
    async with MockServer() as server:
        data = await raw(server, request_bytes)
        assert data.startswith(b"HTTP/1.1 " + status), data[:80]
        # the server is still alive afterwards
        assert (await raw(server, post("/api/v1/sessions", json.dumps(START).encode()))).startswith(
            b"HTTP/1.1 201"
        )


async def test_oversized_head_431() -> None:
    async with MockServer() as server:
        data = await raw(server, b"POST / HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 431")


async def test_client_disconnect_midway_is_harmless() -> None:
    async with MockServer() as server:
        host, port = server.address
        _, writer = await asyncio.open_connection(host, port)
        writer.write(b"POST /api/v1/sessions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
        await writer.drain()
        writer.close()
        await asyncio.sleep(0.05)
        assert (await raw(server, post("/api/v1/sessions", json.dumps(START).encode()))).startswith(
            b"HTTP/1.1 201"
        )


async def test_http10_closes_and_head_request() -> None:
    async with MockServer() as server:
        data = await raw(server, b"GET /api/v1/schemas/ping HTTP/1.0\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 200 OK")
        assert b"Connection: close" in data
        data = await raw(server, b"HEAD /api/v1/schemas/ping HTTP/1.1\r\nConnection: close\r\n\r\n")
        head, _, body = data.partition(b"\r\n\r\n")
        assert b"Content-Length: " in head and body == b""


async def test_idle_connection_is_closed() -> None:
    async with MockServer(idle_timeout=0.2) as server:
        host, port = server.address
        reader, writer = await asyncio.open_connection(host, port)
        assert await asyncio.wait_for(reader.read(), 3) == b""
        writer.close()


async def test_on_request_callback_and_broken_callback() -> None:
    seen: list[tuple[str, str, int]] = []
    async with MockServer(on_request=lambda m, t, s: seen.append((m, t, s))) as server:
        await raw(server, b"OPTIONS /api/v1/sessions HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert seen == [("OPTIONS", "/api/v1/sessions", 200)]

    def boom(method: str, target: str, status: int) -> None:
        raise RuntimeError("x")

    async with MockServer(on_request=boom) as server:
        data = await raw(server, b"OPTIONS /api/v1/sessions HTTP/1.1\r\nConnection: close\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 200")


def test_server_thread_with_http_client() -> None:
    with ServerThread() as server:
        host, port = server.address
        conn = http.client.HTTPConnection(host, port, timeout=5)
        conn.request(
            "POST", "/prefix/api/v1/sessions", json.dumps(START), {"Content-Type": "application/json"}
        )
        resp = conn.getresponse()
        assert resp.status == 201
        assert resp.getheader("Access-Control-Expose-Headers") == "Location"
        resp.read()
        conn.request("OPTIONS", "/api/v1/sessions")
        resp = conn.getresponse()
        assert resp.status == 200
        resp.read()
        conn.close()
        assert server.collector.session_count == 1


def test_server_thread_reports_bind_error() -> None:
    with ServerThread() as first:
        _, port = first.address
        with pytest.raises(OSError):
            ServerThread(port=port).start()
