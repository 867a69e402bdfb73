"""The asyncio mock collector server over real loopback sockets (127.0.0.1 only, bounded)."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging

import pytest

from mcscope.core.edge_exchange import response_records
from mcscope.sim.mockserver import MockServer, ServerThread
from tests.edge_builder import EdgeCapture, session_details

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
        (b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n", b"400"),
        (b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", b"400"),
        (b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", b"400"),
        (b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", b"501"),
        (b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", b"400"),
        (b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n", b"413"),
        (b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", b"400"),
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
        data = await raw(server, b"POST / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 70_000 + b"\r\n\r\n")
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
        head_request = b"HEAD /api/v1/schemas/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        data = await raw(server, head_request)
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
        await raw(server, b"OPTIONS /api/v1/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert seen == [("OPTIONS", "/api/v1/sessions", 200)]

    def boom(method: str, target: str, status: int) -> None:
        raise RuntimeError("x")

    async with MockServer(on_request=boom) as server:
        data = await raw(server, b"OPTIONS /api/v1/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
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


# ---------------------------------------------------------------------------------------------- h11 framing
async def read_responses(reader: asyncio.StreamReader, count: int) -> list[tuple[bytes, bytes]]:
    """``count`` (head, body) pairs read off one connection (bodies framed by Content-Length)."""
    out: list[tuple[bytes, bytes]] = []
    for _ in range(count):
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        out.append((head, await asyncio.wait_for(reader.readexactly(length), 5)))
    return out


async def test_chunked_body_with_extensions_and_trailers_in_tiny_segments() -> None:
    async with MockServer() as server:
        body = json.dumps(START).encode()
        chunks = b"".join(
            f"{len(body[i : i + 7]):X};ext=1\r\n".encode() + body[i : i + 7] + b"\r\n"
            for i in range(0, len(body), 7)
        )
        data = (
            b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunks
            + b"0\r\nX-Trailer: yes\r\n\r\n"
        )
        host, port = server.address
        reader, writer = await asyncio.open_connection(host, port)
        for i in range(0, len(data), 5):  # many small writes: h11 reassembles
            writer.write(data[i : i + 5])
            await writer.drain()
        [(head, _)] = await read_responses(reader, 1)
        assert head.startswith(b"HTTP/1.1 201") and b"Connection: keep-alive" in head
        writer.close()
        assert server.collector.session_count == 1


async def test_pipelined_requests_on_one_connection_answered_in_order() -> None:
    async with MockServer() as server:
        host, port = server.address
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            post("/api/v1/sessions", json.dumps(START).encode(), extra="")
            + b"\r\n"  # a stray empty line between requests (RFC 9112 section 2.2) is ignored
            + b"OPTIONS /api/v1/sessions HTTP/1.1\r\nHost: x\r\n\r\n"
            + b"GET /api/v1/schemas/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        await writer.drain()
        responses = await read_responses(reader, 3)
        assert [head.split(b"\r\n", 1)[0] for head, _ in responses] == [
            b"HTTP/1.1 201 Created",
            b"HTTP/1.1 200 OK",
            b"HTTP/1.1 200 OK",
        ]
        assert b"Connection: close" in responses[2][0]
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed after the last one
        writer.close()
        assert server.requests == 3


async def test_leading_empty_lines_are_ignored() -> None:
    async with MockServer() as server:
        data = await raw(server, b"\r\n\r\n" + post("/api/v1/sessions", json.dumps(START).encode()))
        assert data.startswith(b"HTTP/1.1 201")


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET\x00/ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",  # HTTP/1.1 without Host (RFC 9112 section 3.2)
        b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n",  # NUL in a header value
    ],
)
async def test_malformed_request_line_or_head_400_then_closed(
    request_bytes: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    async with MockServer() as server:
        host, port = server.address
        reader, writer = await asyncio.open_connection(host, port)
        # a valid request queued behind the bad one must not be served: the connection is closed
        writer.write(request_bytes + b"GET /api/v1/schemas/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 5)  # returns only once the server closed
        writer.close()
        assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n"), data[:80]
        head, _, rest = data.partition(b"\r\n\r\n")
        assert b"Connection: close" in head
        length = next(int(line[15:]) for line in head.split(b"\r\n") if line.startswith(b"Content-Length: "))
        assert len(rest) == length  # one response, nothing after it
        assert server.requests == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # no traceback logged


async def test_max_body_bounds_content_length_and_chunked_bodies() -> None:
    async with MockServer(max_body=100) as server:
        data = await raw(server, post("/api/v1/sessions", b"x" * 101, extra=""))
        assert data.startswith(b"HTTP/1.1 413 Payload Too Large") and b"Connection: close" in data
        chunked = (
            b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"40\r\n" + b"x" * 64 + b"\r\n" + b"40\r\n" + b"x" * 64 + b"\r\n0\r\n\r\n"
        )
        data = await raw(server, chunked)
        assert data.startswith(b"HTTP/1.1 413") and b"body larger than 100 bytes" in data
        assert server.requests == 0
        # 100 bytes exactly is fine (the collector answers 400: not JSON)
        assert (await raw(server, post("/api/v1/sessions", b"x" * 100))).startswith(b"HTTP/1.1 400")


async def test_expect_100_continue_not_sent_when_body_refused() -> None:
    async with MockServer(max_body=10) as server:
        data = await raw(
            server,
            b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n"
            b"Expect: 100-continue\r\n\r\n",
        )
        assert data.startswith(b"HTTP/1.1 413") and b"100 Continue" not in data


async def test_close_ends_idle_keep_alive_connections_promptly() -> None:
    server = MockServer()
    host, port = await server.start()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"GET /api/v1/schemas/ping HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    await read_responses(reader, 1)  # the connection is now idle, kept alive
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(server.close(), 3)
    assert asyncio.get_running_loop().time() - started < 2
    assert await asyncio.wait_for(reader.read(), 3) == b""
    writer.close()


# ---------------------------------------------------------------------------------------------- Media Edge API
def test_edge_session_over_a_real_socket() -> None:
    """One Edge session on one keep-alive connection: streamed 200 + handle, 204s, 207, 400, 404, 415, preflight."""
    cap = EdgeCapture()
    query = "?configId=cfg&requestId=r1"
    with ServerThread() as server:
        host, port = server.address
        conn = http.client.HTTPConnection(host, port, timeout=5)

        def send(method: str, path: str, body: object = None, ctype: str = "application/json",
                 extra: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
            data = json.dumps(body).encode() if body is not None else b""
            conn.request(method, path, data, {"Content-Type": ctype, **(extra or {})})
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()

        status, headers, body = send("POST", "/ee/va/v1/sessionStart" + query,
                                     cap.envelope(cap.xdm("sessionStart", 0, {"sessionDetails": session_details()})))
        assert status == 200 and headers["Content-Type"] == "application/json" and body.startswith(b"\x00{")
        (doc,) = response_records(body)
        new = [h for h in doc["handle"] if h["type"] == "media-analytics:new-session"]
        hint = [h for h in doc["handle"] if h["type"] == "locationHint:result"][0]["payload"][0]["hint"]
        cap.sid = new[0]["payload"][0]["sessionId"]
        for event_type in ("play", "ping", "sessionComplete"):
            status, _, body = send("POST", f"/ee/{hint}/va/v1/{event_type}" + query,
                                   cap.envelope(cap.xdm(event_type)))
            assert (status, body) == (204, b"")
        bad = cap.envelope(cap.xdm("sessionStart", 0, {"sessionDetails": session_details(name=None)}))
        status, _, body = send("POST", "/ee/va/v1/sessionStart" + query, bad)
        assert status == 207 and response_records(body)[0]["errors"][0]["report"]["details"][0]["name"] == \
            "$.xdm.mediaCollection.sessionDetails.name"
        no_details = cap.envelope(cap.xdm("chapterStart"))
        status, headers, _ = send("POST", f"/ee/{hint}/va/v1/chapterStart" + query, no_details)
        assert status == 400 and headers["Content-Type"] == "application/problem+json"
        cap.sid = "f" * 64
        status, _, body = send("POST", f"/ee/{hint}/va/v1/ping" + query, cap.envelope(cap.xdm("ping")))
        assert status == 404 and b"va-edge-0404-404" in body
        status, _, _ = send("POST", "/ee/va/v1/ping" + query, cap.envelope(cap.xdm("ping")), ctype="application/xml")
        assert status == 415
        status, headers, _ = send("OPTIONS", f"/ee/{hint}/va/v1/play" + query, extra={
            "Origin": "https://player.test", "Access-Control-Request-Method": "POST"})
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://player.test"
        conn.close()
        assert server.collector.session_count == 1
