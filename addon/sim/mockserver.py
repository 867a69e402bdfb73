"""A small asyncio HTTP/1.1 server that serves :class:`mcscope.sim.collector.MockCollector`: the REST Media
Collection API and the Media Edge API (``/ee[/{hint}]/va/v1/…``, ``/ee/v1/interact``) on one port.

HTTP/1.1 parsing and framing is h11's: keep-alive and pipelining, ``Content-Length`` and ``chunked``
request bodies, ``Expect: 100-continue``. Malformed requests (h11's RemoteProtocolError) get a 400 (or
h11's hint: 431, 501), bodies larger than ``max_body`` a 413, and the connection is then closed; an idle
connection is closed after ``idle_timeout``. Used by ``mcscope mock-collector`` and as the upstream of
tests and benchmarks.

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

import h11

from mcscope.sim.collector import MockCollector, MockResponse

log = logging.getLogger(__name__)

__all__ = ["MockServer", "ServerThread"]

MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 100
MAX_BODY_BYTES = 8 * 1024 * 1024
IDLE_TIMEOUT = 60.0
READ_SIZE = 16 * 1024
# h11 refuses (431) an incomplete head once its buffer holds more than this; one read later the head would
# be complete, so heads up to 48 KiB are always accepted and heads over MAX_HEADER_BYTES always refused.
_MAX_INCOMPLETE = MAX_HEADER_BYTES - READ_SIZE

_REASONS = {
    100: "Continue",
    200: "OK",
    201: "Created",
    204: "No Content",
    207: "Multi-Status",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    410: "Gone",
    411: "Length Required",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    505: "HTTP Version Not Supported",
}
_NO_BODY = (204, 304)
_FRAMING = (b"content-length", b"connection", b"transfer-encoding")

RequestLogger = Callable[[str, str, int], None]


class _Refused(Exception):
    """A request answered with an error status, after which the connection is closed."""

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
            self._handle_client, self.host, self.port, ssl=self.ssl_context
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
        with contextlib.suppress(TimeoutError):
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
        wire = _Wire(reader, writer, self.idle_timeout)
        try:
            while await self._one_request(wire):
                wire.next_cycle()
        except (OSError, TimeoutError):  # peer gone, TLS failure, idle or stalled client
            pass
        except Exception:  # noqa: BLE001 - connection boundary: one bad connection must never stop the server
            log.warning("mock collector: connection failed", exc_info=True)
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _one_request(self, wire: _Wire) -> bool:
        """Serve one request; return True to keep the connection open."""
        try:
            request = await wire.next_request()
            if request is None:
                return False
            self._check(request)
            if wire.conn.they_are_waiting_for_100_continue and wire.conn.their_state is h11.SEND_BODY:
                await wire.send(h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue"))
            body = await wire.read_body(self.max_body)
        except h11.RemoteProtocolError as exc:
            await wire.refuse(exc.error_status_hint, str(exc))
            return False
        except _Refused as exc:
            await wire.refuse(exc.status, str(exc))
            return False
        method = request.method.decode("ascii")
        target = request.target.decode("latin-1")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw_items()]
        self.requests += 1
        response = self.collector.handle(method, target, headers, body)
        if self.on_request is not None:
            try:
                self.on_request(method, target, response.status)
            except Exception:  # noqa: BLE001 - boundary: a caller's logging callback must not break serving
                log.debug("on_request callback failed", exc_info=True)
        await wire.respond(response, keep_alive=True)
        return wire.conn.our_state is h11.DONE and wire.conn.their_state is h11.DONE

    def _check(self, request: h11.Request) -> None:
        """What h11 accepts but this server does not: raise _Refused."""
        if request.http_version not in (b"1.0", b"1.1"):
            raise _Refused(505, f"unsupported HTTP version {request.http_version.decode('ascii')!r}")
        if len(request.headers) > MAX_HEADERS:
            raise _Refused(431, "too many headers")
        names = {name for name, _ in request.headers}
        if b"transfer-encoding" in names and b"content-length" in names:
            raise _Refused(400, "both Transfer-Encoding and Content-Length")  # no request smuggling
        length = next((value for name, value in request.headers if name == b"content-length"), None)
        if length is not None and int(length) > self.max_body:  # h11 checked it is 1-20 digits
            raise _Refused(413, f"body larger than {self.max_body} bytes")


class _Wire:
    """One server-side connection: asyncio streams below, an h11 state machine above."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> None:
        self.reader = reader
        self.writer = writer
        self.timeout = timeout
        self.conn = _connection()
        self.method: bytes | None = None  # of the request being answered

    def next_cycle(self) -> None:
        self.conn.start_next_cycle()
        pending, closed = self.conn.trailing_data
        if pending[:1] in (b"\r", b"\n") and not closed:
            # RFC 9112 section 2.2: ignore empty lines before a request line (h11 rejects them).
            self.conn = _connection()
            self.conn.receive_data(pending.lstrip(b"\r\n"))

    async def _event(self) -> h11.Event:
        while True:
            event = self.conn.next_event()
            if event is h11.PAUSED:  # pragma: no cover - only after CONNECT/Upgrade, which we never accept
                raise h11.RemoteProtocolError("protocol switch not supported")
            if event is not h11.NEED_DATA:
                assert isinstance(event, h11.Event)
                return event
            data = await asyncio.wait_for(self.reader.read(READ_SIZE), self.timeout)
            if self.conn.their_state is h11.IDLE and data and not self.conn.trailing_data[0]:
                data = data.lstrip(b"\r\n")  # stray empty lines between requests (RFC 9112 section 2.2)
                if not data:
                    continue
            self.conn.receive_data(data)

    async def next_request(self) -> h11.Request | None:
        """The next request head, or None when the client closed the connection between requests."""
        event = await self._event()
        if isinstance(event, h11.ConnectionClosed):
            return None
        assert isinstance(event, h11.Request)
        self.method = event.method
        return event

    async def read_body(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            event = await self._event()
            if isinstance(event, h11.EndOfMessage):
                return b"".join(parts)
            assert isinstance(event, h11.Data)
            total += len(event.data)
            if total > limit:
                raise _Refused(413, f"body larger than {limit} bytes")
            parts.append(bytes(event.data))

    async def send(self, *events: h11.Event) -> None:
        data = b"".join(self.conn.send(event) or b"" for event in events)
        self.writer.write(data)
        await self.writer.drain()

    async def respond(self, response: MockResponse, *, keep_alive: bool) -> None:
        status = response.status
        headers = [
            (_clean(name).encode("latin-1", "replace"), _clean(value).encode("latin-1", "replace"))
            for name, value in response.headers
            if name.lower().encode("latin-1", "replace") not in _FRAMING
        ]
        if status not in _NO_BODY:
            headers.append((b"Content-Length", str(len(response.body)).encode()))
        # h11 turns keep-alive into close when the client asked for it (or speaks HTTP/1.0)
        headers.append((b"Connection", b"keep-alive" if keep_alive else b"close"))
        reason = _REASONS.get(status, "Unknown").encode()
        events: list[h11.Event] = [h11.Response(status_code=status, headers=headers, reason=reason)]
        if status not in _NO_BODY and response.body and self.method != b"HEAD":
            events.append(h11.Data(data=response.body))
        events.append(h11.EndOfMessage())
        await self.send(*events)

    async def refuse(self, status: int, message: str) -> None:
        """Answer an error and let the connection close (when a response can still be sent)."""
        if self.conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        await self.respond(_plain(status, message), keep_alive=False)


def _connection() -> h11.Connection:
    return h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_INCOMPLETE)


def _clean(text: str) -> str:
    """A header name or value h11 accepts: no control characters, no surrounding whitespace."""
    return "".join(" " if ord(ch) < 0x20 or ord(ch) == 0x7F else ch for ch in str(text)).strip()


def _plain(status: int, message: str) -> MockResponse:
    return MockResponse(status, [("Content-Type", "text/plain; charset=utf-8")], (message + "\n").encode())


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
        except BaseException as exc:  # noqa: BLE001 - boundary: whatever start() raises is re-raised by start
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
