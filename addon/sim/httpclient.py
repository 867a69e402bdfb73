"""A minimal asyncio HTTP/1.1 client for the scripted players (HTTP parsing and framing by h11).

One keep-alive connection per player, directly or through an HTTP proxy (absolute-form requests for
``http://`` targets, a ``CONNECT`` tunnel + TLS for ``https://`` targets, e.g. mitmproxy with its CA
passed as ``cafile``). Responses may be framed by ``Content-Length``, ``chunked`` or the end of the
connection; heads over ``MAX_HEAD`` and bodies over ``MAX_BODY`` are refused with an HttpError.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

from mcscope.core.model import HttpResponse

__all__ = ["Endpoint", "HttpClient", "HttpResponse", "HttpError", "parse_url", "probe"]

MAX_HEAD = 64 * 1024
MAX_BODY = 8 * 1024 * 1024
READ_SIZE = 16 * 1024
# h11 refuses an incomplete head once its buffer holds more than this, so no head over MAX_HEAD gets through
_MAX_INCOMPLETE = MAX_HEAD - READ_SIZE


class HttpError(Exception):
    """Transport failure (connect, TLS, timeout, malformed response): one readable line."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    scheme: str  # "http" | "https"
    host: str
    port: int
    prefix: str  # path before /api/v1 (no trailing slash)

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.netloc}"


def parse_url(url: str, *, what: str = "URL", allow_https: bool = True) -> Endpoint:
    """Parse ``http(s)://host[:port][/prefix]``; raise ValueError with a one-line message."""
    text = (url or "").strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"bad {what} {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or (scheme == "https" and not allow_https):
        raise ValueError(f"bad {what} {url!r}: scheme must be http{'' if not allow_https else ' or https'}")
    if not parts.hostname:
        raise ValueError(f"bad {what} {url!r}: no host")
    prefix = parts.path.rstrip("/")
    if "/api/v1" in prefix:
        prefix = prefix[: prefix.index("/api/v1")]
    return Endpoint(scheme, parts.hostname, port or (443 if scheme == "https" else 80), prefix)


class HttpClient:
    """Sequential requests over one reusable connection (reconnects when the server closes it)."""

    def __init__(
        self,
        target: Endpoint,
        *,
        proxy: Endpoint | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 10.0,
        user_agent: str = "mcscope-simulate/1",
    ) -> None:
        self.target = target
        self.proxy = proxy
        self.timeout = timeout
        self.user_agent = user_agent
        self._ssl = ssl_context
        if target.scheme == "https" and self._ssl is None:
            self._ssl = ssl.create_default_context()
        self._wire: _Wire | None = None

    def url(self, path: str) -> str:
        return f"{self.target.origin}{path}"

    async def close(self) -> None:
        wire, self._wire = self._wire, None
        if wire is not None:
            await wire.close()

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: list[tuple[str, str]] | None = None
    ) -> HttpResponse:
        """Send one request; retry once on a fresh connection if a reused one was closed by the peer
        before it answered anything."""
        retry = self._wire is not None  # a reused connection the peer may have closed
        while True:
            try:
                return await asyncio.wait_for(self._exchange(method, path, body, headers or []), self.timeout)
            except TimeoutError:
                await self.close()
                raise HttpError(f"timeout after {self.timeout:g} s waiting for {self._where()}") from None
            except h11.ProtocolError as exc:  # Remote: a malformed response; Local: a request h11 refuses
                await self.close()
                raise HttpError(f"bad HTTP exchange with {self._where()}: {exc}") from None
            except ConnectionError as exc:
                await self.close()
                if not retry:
                    raise HttpError(f"connection to {self._where()} failed: {_reason(exc)}") from None
                retry = False
            except OSError as exc:  # e.g. a TLS record error once connected
                await self.close()
                raise HttpError(f"connection to {self._where()} failed: {_reason(exc)}") from None
            except HttpError:
                await self.close()
                raise

    # ------------------------------------------------------------------ internals
    def _where(self) -> str:
        if self.proxy is not None:
            return f"proxy {self.proxy.netloc} (target {self.target.origin})"
        return self.target.origin

    async def _connect(self) -> _Wire:
        if self._wire is not None and not self._wire.writer.is_closing():
            return self._wire
        hop = self.proxy or self.target
        try:
            if self.proxy is None:
                tls = self._ssl if self.target.scheme == "https" else None
                reader, writer = await asyncio.open_connection(
                    hop.host, hop.port, ssl=tls, server_hostname=hop.host if tls else None
                )
            else:
                reader, writer = await asyncio.open_connection(hop.host, hop.port)
                if self.target.scheme == "https":
                    try:
                        await self._tunnel(reader, writer)
                        assert self._ssl is not None
                        await writer.start_tls(self._ssl, server_hostname=self.target.host)
                    except BaseException:  # cleanup only, re-raised: also on timeout (cancellation)
                        writer.close()
                        raise
        except ssl.SSLError as exc:
            hint = ""
            if isinstance(exc, ssl.SSLCertVerificationError) and self.proxy is not None:
                hint = " (trust the proxy's CA with --cafile, e.g. ~/.mitmproxy/mitmproxy-ca-cert.pem)"
            raise HttpError(
                f"TLS handshake with {self.target.netloc} failed: {exc.reason or exc}{hint}"
            ) from None
        except OSError as exc:
            raise HttpError(f"cannot connect to {hop.netloc}: {_reason(exc)}") from None
        self._wire = _Wire(reader, writer)
        return self._wire

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """``CONNECT`` through the proxy; on a 2xx the stream is the tunnel, ready for TLS."""
        authority = f"{self.target.netloc}" if ":" in self.target.netloc else f"{self.target.netloc}:443"
        wire = _Wire(reader, writer)
        connect = h11.Request(method="CONNECT", target=authority, headers=[("Host", authority)])
        await wire.send(connect, h11.EndOfMessage())
        response = await wire.read_response()
        if not 200 <= response.status < 300:
            raise HttpError(
                f"proxy {self.proxy.netloc if self.proxy else ''} refused CONNECT: {response.status}"
            )
        if wire.conn.trailing_data[0]:
            raise HttpError(f"proxy {self.proxy.netloc if self.proxy else ''} sent data before TLS")

    async def _exchange(
        self, method: str, path: str, body: bytes, extra: list[tuple[str, str]]
    ) -> HttpResponse:
        wire = await self._connect()
        absolute = self.proxy is not None and self.target.scheme == "http"
        headers = [
            ("Host", self.target.netloc),
            ("User-Agent", self.user_agent),
            ("Connection", "keep-alive"),
            *extra,
        ]
        if body or method in ("POST", "PUT"):
            headers.append(("Content-Length", str(len(body))))
        request = h11.Request(
            method=method,
            target=self.url(path) if absolute else path,
            headers=[(k.encode("latin-1", "replace"), v.encode("latin-1", "replace")) for k, v in headers],
        )
        await wire.send(request, *([h11.Data(data=body)] if body else []), h11.EndOfMessage())
        response = await wire.read_response()
        if wire.conn.our_state is h11.DONE and wire.conn.their_state is h11.DONE and not wire.eof:
            wire.conn.start_next_cycle()  # keep-alive
        else:  # Connection: close, or a body that ran to the end of the connection
            await self.close()
        return response


class _Wire:
    """One client connection: asyncio streams below, an h11 state machine above."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_INCOMPLETE)
        self.eof = False  # the peer closed its side

    async def send(self, *events: h11.Event) -> None:
        self.writer.write(b"".join(self.conn.send(event) or b"" for event in events))
        await self.writer.drain()

    async def _event(self, answered: bool) -> h11.Event | type[h11.PAUSED]:
        while True:
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError as exc:
                if exc.error_status_hint == 431:
                    raise HttpError("response head too large") from None
                raise
            if event is not h11.NEED_DATA:
                return event
            data = await self.reader.read(READ_SIZE)
            if not data and not answered:
                raise ConnectionResetError("connection closed by peer")  # nothing came back: retryable
            self.eof = not data
            self.conn.receive_data(data)

    async def read_response(self) -> HttpResponse:
        response: HttpResponse | None = None
        parts: list[bytes] = []
        total = 0
        while True:
            event = await self._event(answered=response is not None)
            if event is h11.PAUSED and response is not None:
                return response  # a 2xx to CONNECT: what follows belongs to the tunnel
            if isinstance(event, h11.InformationalResponse):
                continue  # 100 Continue and friends
            if isinstance(event, h11.Response):
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers.raw_items()]
                response = HttpResponse(event.status_code, headers)
            elif isinstance(event, h11.Data):
                total += len(event.data)
                if total > MAX_BODY:
                    raise HttpError(f"response body larger than {MAX_BODY} bytes")
                parts.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                assert response is not None
                response.body = b"".join(parts)
                return response
            else:  # ConnectionClosed (h11 raises before a complete response, so defensive) or PAUSED
                raise ConnectionResetError("connection closed by peer")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):  # includes TimeoutError; the peer may already be gone
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):  # its errno is OpenSSL's, not the OS's
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


async def probe(endpoint: Endpoint, timeout: float = 5.0) -> None:
    """Open and close a TCP connection to ``endpoint``; raise HttpError with one line if impossible."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(endpoint.host, endpoint.port), timeout)
    except TimeoutError:
        raise HttpError(f"cannot connect to {endpoint.netloc}: timed out after {timeout:g} s") from None
    except OSError as exc:
        raise HttpError(f"cannot connect to {endpoint.netloc}: {_reason(exc)}") from None
    writer.close()
    with contextlib.suppress(OSError):  # includes TimeoutError
        await asyncio.wait_for(writer.wait_closed(), 1.0)
