"""A small asyncio HTTP/1.1 server that serves :class:`mcscope.sim.collector.MockCollector`.

Stdlib only. Keep-alive, ``Content-Length`` and ``chunked`` request bodies, ``Expect: 100-continue``;
malformed requests get a 400 and the connection is closed, oversized ones a 413. Used by
``mcscope mock-collector`` and as the upstream of tests and benchmarks.

    async with MockServer(port=0) as server:      # port 0 = pick a free port
        print(server.url)                         # http://127.0.0.1:54321

    with ServerThread() as server:                # same, in a background thread (sync callers)
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import threading
from collections.abc import Callable
from types import TracebackType

from mcscope.sim.collector import MockCollector, MockResponse

log = logging.getLogger(__name__)

__all__ = ["MockServer", "ServerThread"]

MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 100
MAX_BODY_BYTES = 8 * 1024 * 1024
IDLE_TIMEOUT = 60.0

_REASONS = {
    100: "Continue",
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    404: "Not Found",
    408: "Request Timeout",
    410: "Gone",
    411: "Length Required",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    505: "HTTP Version Not Supported",
}

RequestLogger = Callable[[str, str, int], None]


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class MockServer:
    def __init__(
        self,
        collector: MockCollector | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        on_request: RequestLogger | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
        max_body: int = MAX_BODY_BYTES,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.ssl_context = ssl_context
        self.collector = collector if collector is not None else MockCollector()
        self.host = host
        self.port = port
        self.on_request = on_request
        self.idle_timeout = idle_timeout
        self.max_body = max_body
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.requests = 0

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None or not self._server.sockets:
            return self.host, self.port
        sockname = self._server.sockets[0].getsockname()
        return str(sockname[0]), int(sockname[1])

    @property
    def url(self) -> str:
        host, port = self.address
        if ":" in host:
            host = f"[{host}]"
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{host}:{port}"

    async def start(self) -> tuple[str, int]:
        self._server = await asyncio.start_server(
            self._handle_client, self.host, self.port, limit=MAX_HEADER_BYTES, ssl=self.ssl_context
        )
        return self.address

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2.0)
        self._server = None

    async def __aenter__(self) -> MockServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------ connection handling
    async def _handle_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError, ssl.SSLError):
            pass
        except Exception:  # noqa: BLE001 - one bad connection must never stop the server
            log.warning("mock collector: connection failed", exc_info=True)
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; return True to keep the connection open."""
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle_timeout)
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                await self._send(writer, MockResponse(400, [], b"incomplete request head\n"), False)
            return False
        except asyncio.LimitOverrunError:
            await self._send(writer, MockResponse(431, [], b"request head too large\n"), False)
            return False
        try:
            method, target, version, headers = _parse_head(head)
        except _BadRequest as exc:
            await self._send(writer, _plain(exc.status, str(exc)), False)
            return False
        keep_alive = _keep_alive(version, headers)
        try:
            body = await self._read_body(reader, writer, headers)
        except _BadRequest as exc:
            await self._send(writer, _plain(exc.status, str(exc)), False)
            return False
        self.requests += 1
        response = self.collector.handle(method, target, headers, body)
        if self.on_request is not None:
            try:
                self.on_request(method, target, response.status)
            except Exception:  # noqa: BLE001 - a logging callback must not break serving
                log.debug("on_request callback failed", exc_info=True)
        await self._send(writer, response, keep_alive, head_only=method == "HEAD")
        return keep_alive

    async def _read_body(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, headers: list[tuple[str, str]]
    ) -> bytes:
        encoding = _get(headers, "transfer-encoding")
        length_text = _get(headers, "content-length")
        if encoding is not None and encoding.strip().lower() != "chunked":
            raise _BadRequest(501, f"unsupported Transfer-Encoding {encoding!r}")
        if (_get(headers, "expect") or "").lower() == "100-continue" and (encoding or length_text):
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await writer.drain()
        if encoding is not None:
            return await self._read_chunked(reader)
        if length_text is None:
            return b""
        try:
            length = int(length_text.strip())
        except ValueError:
            raise _BadRequest(400, f"bad Content-Length {length_text!r}") from None
        if length < 0:
            raise _BadRequest(400, f"bad Content-Length {length_text!r}")
        if length > self.max_body:
            raise _BadRequest(413, f"body larger than {self.max_body} bytes")
        return await asyncio.wait_for(reader.readexactly(length), self.idle_timeout)

    async def _read_chunked(self, reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = await asyncio.wait_for(reader.readline(), self.idle_timeout)
            if not line.endswith(b"\n"):
                raise _BadRequest(400, "truncated chunked body")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest(400, "bad chunk size") from None
            if size < 0:
                raise _BadRequest(400, "bad chunk size")
            if size == 0:
                while True:  # trailers
                    trailer = await asyncio.wait_for(reader.readline(), self.idle_timeout)
                    if trailer in (b"\r\n", b"\n", b""):
                        return b"".join(parts)
            total += size
            if total > self.max_body:
                raise _BadRequest(413, f"body larger than {self.max_body} bytes")
            parts.append(await asyncio.wait_for(reader.readexactly(size), self.idle_timeout))
            await asyncio.wait_for(reader.readline(), self.idle_timeout)

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        response: MockResponse,
        keep_alive: bool,
        *,
        head_only: bool = False,
    ) -> None:
        status = response.status
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}"]
        for name, value in response.headers:
            if name.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            lines.append(f"{_clean(name)}: {_clean(value)}")
        if status not in (204, 304) and not 100 <= status < 200:
            lines.append(f"Content-Length: {len(response.body)}")
        lines.append(f"Connection: {'keep-alive' if keep_alive else 'close'}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        if status not in (204, 304) and not head_only:
            data += response.body
        writer.write(data)
        await writer.drain()


def _clean(text: str) -> str:
    return str(text).replace("\r", " ").replace("\n", " ")


def _plain(status: int, message: str) -> MockResponse:
    return MockResponse(status, [("Content-Type", "text/plain; charset=utf-8")], (message + "\n").encode())


def _get(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _parse_head(head: bytes) -> tuple[str, str, str, list[tuple[str, str]]]:
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
        raise _BadRequest(400, "undecodable request head") from None
    lines = text.split("\r\n")
    while lines and not lines[0]:  # tolerate stray CRLF between requests (RFC 9112 §2.2)
        lines.pop(0)
    if not lines:
        raise _BadRequest(400, "empty request")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise _BadRequest(400, "malformed request line")
    method, target, version = parts
    if not version.startswith("HTTP/1."):
        raise _BadRequest(505, f"unsupported HTTP version {version!r}")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        if len(headers) >= MAX_HEADERS:
            raise _BadRequest(431, "too many headers")
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise _BadRequest(400, "malformed header line")
        headers.append((name, value.strip()))
    if _get(headers, "transfer-encoding") is not None and _get(headers, "content-length") is not None:
        raise _BadRequest(400, "both Transfer-Encoding and Content-Length")
    return method, target, version, headers


def _keep_alive(version: str, headers: list[tuple[str, str]]) -> bool:
    connection = (_get(headers, "connection") or "").lower()
    if "close" in connection:
        return False
    if version == "HTTP/1.0":
        return "keep-alive" in connection
    return True


class ServerThread:
    """Run a :class:`MockServer` on its own event loop in a daemon thread (for synchronous callers)."""

    def __init__(
        self, collector: MockCollector | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.server = MockServer(collector, host, port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="mcscope-mock-collector", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    @property
    def collector(self) -> MockCollector:
        return self.server.collector

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.server.start())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self.server.close())
        self._loop.close()

    def start(self) -> ServerThread:
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
