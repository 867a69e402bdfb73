"""The simulator's HTTP client against scripted loopback servers (127.0.0.1 only, bounded in time)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from mcscope.sim import httpclient
from mcscope.sim.httpclient import Endpoint, HttpClient, HttpError
from mcscope.sim.mockserver import MockServer

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Scripted:
    """A loopback TCP server running ``handler`` per connection; counts connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.endpoint = Endpoint("http", "127.0.0.1", 0, "")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def scripted(handler: Handler) -> AsyncIterator[Scripted]:
    state = Scripted(handler)
    server = await asyncio.start_server(state._serve, "127.0.0.1", 0)
    state.endpoint = Endpoint("http", "127.0.0.1", server.sockets[0].getsockname()[1], "")
    try:
        yield state
    finally:
        server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 2)


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One request's head and Content-Length body."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head, await reader.readexactly(length)


def answer(data: bytes, *, then_close: bool = False) -> Handler:
    """A handler answering every request with ``data`` (closing after the first when ``then_close``)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                await read_request(reader)
            except asyncio.IncompleteReadError:
                return
            writer.write(data)
            await writer.drain()
            if then_close:
                return

    return handler


async def test_response_split_across_many_tcp_segments() -> None:
    body = b'{"message": "split"}' * 5
    data = b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )

    async def dribble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            try:
                await read_request(reader)
            except asyncio.IncompleteReadError:
                return
            for i in range(0, len(data), 3):  # 3-byte segments, head and body alike
                writer.write(data[i : i + 3])
                await writer.drain()
                await asyncio.sleep(0.001)

    async with scripted(dribble) as server:
        client = HttpClient(server.endpoint, timeout=10)
        try:
            for _ in range(2):
                response = await client.request("POST", "/api/v1/sessions", b"{}")
                assert response.status == 400 and response.body == body
                assert response.header("content-type") == "application/json"
        finally:
            await client.close()
        assert server.connections == 1  # kept alive between the two


async def test_chunked_response_with_trailers_and_100_continue() -> None:
    data = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    async with scripted(answer(data)) as server:
        client = HttpClient(server.endpoint, timeout=5)
        try:
            first = await client.request("POST", "/a", b"x")
            second = await client.request("POST", "/b", b"y")
        finally:
            await client.close()
    assert first.status == second.status == 200 and first.body == second.body == b"hello world"
    assert server.connections == 1


async def test_body_to_end_of_connection_then_a_fresh_connection() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"
    async with scripted(answer(data, then_close=True)) as server:
        client = HttpClient(server.endpoint, timeout=5)
        try:
            for _ in range(3):
                response = await client.request("POST", "/x", b"{}")
                assert response.status == 200 and response.body == b"all of it"
        finally:
            await client.close()
    assert server.connections == 3


async def test_reused_connection_closed_quietly_is_retried_once() -> None:
    """204 without Connection: close, then the server hangs up: the next request reconnects."""
    async with scripted(answer(b"HTTP/1.1 204 No Content\r\n\r\n", then_close=True)) as server:
        client = HttpClient(server.endpoint, timeout=5)
        try:
            for _ in range(3):
                assert (await client.request("POST", "/x", b"{}")).status == 204
        finally:
            await client.close()
    assert server.connections == 3


async def test_truncated_response_is_an_error_not_a_retry() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
        await writer.drain()

    async with scripted(handler) as server:
        client = HttpClient(server.endpoint, timeout=5)
        assert (await client.request("POST", "/x", b"{}")).status == 204
        with pytest.raises(HttpError, match="without sending complete message body"):
            await client.request("POST", "/x", b"{}")  # on the reused connection
        await client.close()
    assert server.connections == 1  # no silent resend of a request the server may have processed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"HTTP/1.1 abc OK\r\n\r\n", "bad HTTP exchange"),
        (b"SMTP ready\r\n\r\n", "bad HTTP exchange"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: zz\r\n\r\n", "bad HTTP exchange"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nqq\r\n", "bad HTTP exchange"),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", "response head too large"),
    ],
)
async def test_malformed_responses_are_one_line_errors(data: bytes, message: str) -> None:
    async with scripted(answer(data)) as server:
        client = HttpClient(server.endpoint, timeout=5)
        with pytest.raises(HttpError, match=message) as info:
            await client.request("POST", "/x", b"{}")
        await client.close()
    assert "\n" not in str(info.value)


async def test_response_body_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(httpclient, "MAX_BODY", 10)
    async with scripted(answer(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n" + b"x" * 11)) as server:
        client = HttpClient(server.endpoint, timeout=5)
        with pytest.raises(HttpError, match="larger than 10 bytes"):
            await client.request("POST", "/x", b"{}")
        await client.close()


async def test_timeout_when_the_server_never_answers() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async with scripted(silent) as server:
        client = HttpClient(server.endpoint, timeout=0.2)
        with pytest.raises(HttpError, match=r"timeout after 0\.2 s"):
            await client.request("POST", "/x", b"{}")
        await client.close()


async def test_head_response_has_no_body_and_keeps_the_connection() -> None:
    async with MockServer() as server:
        client = HttpClient(httpclient.parse_url(server.url), timeout=5)
        try:
            head = await client.request("HEAD", "/api/v1/schemas/ping")
            get = await client.request("GET", "/api/v1/schemas/ping")
        finally:
            await client.close()
    assert head.status == get.status == 200 and head.body == b"" and get.body
    assert head.header("content-length") == str(len(get.body))
    assert server.requests == 2


async def test_proxy_refusing_connect() -> None:
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head, _ = await read_request(reader)
        seen.append(head.split(b"\r\n", 1)[0])
        writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\nnope")
        await writer.drain()

    async with scripted(proxy) as server:
        client = HttpClient(Endpoint("https", "collector.invalid", 443, ""), proxy=server.endpoint, timeout=5)
        with pytest.raises(HttpError, match="refused CONNECT: 407"):
            await client.request("POST", "/api/v1/sessions", b"{}")
        await client.close()
    assert seen == [b"CONNECT collector.invalid:443 HTTP/1.1"]


async def test_proxy_accepting_connect_then_no_tls_is_a_tls_error() -> None:
    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await reader.read(65536)  # the ClientHello
        writer.write(b"HTTP/1.1 400 not TLS\r\n\r\n")
        await writer.drain()

    async with scripted(proxy) as server:
        client = HttpClient(Endpoint("https", "collector.invalid", 443, ""), proxy=server.endpoint, timeout=5)
        with pytest.raises(HttpError, match="TLS handshake with collector.invalid failed"):
            await client.request("POST", "/api/v1/sessions", b"{}")
        await client.close()
