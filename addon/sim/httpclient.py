"""A minimal asyncio HTTP/1.1 client for the scripted players (stdlib only).

One keep-alive connection per player, directly or through an HTTP proxy (absolute-form requests for
``http://`` targets, a ``CONNECT`` tunnel + TLS for ``https://`` targets, e.g. mitmproxy with its CA
passed as ``cafile``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from mcscope.core.model import HttpResponse

__all__ = ["Endpoint", "HttpClient", "HttpResponse", "HttpError", "parse_url", "probe"]

MAX_HEAD = 64 * 1024
MAX_BODY = 8 * 1024 * 1024


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
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    def url(self, path: str) -> str:
        return f"{self.target.origin}{path}"

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: list[tuple[str, str]] | None = None
    ) -> HttpResponse:
        """Send one request; retry once on a fresh connection if a reused one was closed by the peer."""
        retry = self._writer is not None  # a reused connection the peer may have closed
        while True:
            try:
                return await asyncio.wait_for(self._exchange(method, path, body, headers or []), self.timeout)
            except TimeoutError:
                await self.close()
                raise HttpError(f"timeout after {self.timeout:g} s waiting for {self._where()}") from None
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                await self.close()
                if not retry:
                    raise HttpError(f"connection to {self._where()} failed: {_reason(exc)}") from None
                retry = False

    # ------------------------------------------------------------------ internals
    def _where(self) -> str:
        if self.proxy is not None:
            return f"proxy {self.proxy.netloc} (target {self.target.origin})"
        return self.target.origin

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is not None and self._writer is not None and not self._writer.is_closing():
            return self._reader, self._writer
        hop = self.proxy or self.target
        try:
            if self.proxy is None:
                tls = self._ssl if self.target.scheme == "https" else None
                reader, writer = await asyncio.open_connection(
                    hop.host, hop.port, ssl=tls, server_hostname=hop.host if tls else None, limit=MAX_HEAD
                )
            else:
                reader, writer = await asyncio.open_connection(hop.host, hop.port, limit=MAX_HEAD)
                if self.target.scheme == "https":
                    await self._tunnel(reader, writer)
                    assert self._ssl is not None
                    await writer.start_tls(self._ssl, server_hostname=self.target.host)
        except ssl.SSLError as exc:
            hint = ""
            if isinstance(exc, ssl.SSLCertVerificationError) and self.proxy is not None:
                hint = " (trust the proxy's CA with --cafile, e.g. ~/.mitmproxy/mitmproxy-ca-cert.pem)"
            raise HttpError(
                f"TLS handshake with {self.target.netloc} failed: {exc.reason or exc}{hint}"
            ) from None
        except OSError as exc:
            raise HttpError(f"cannot connect to {hop.netloc}: {_reason(exc)}") from None
        self._reader, self._writer = reader, writer
        return reader, writer

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        authority = f"{self.target.netloc}" if ":" in self.target.netloc else f"{self.target.netloc}:443"
        writer.write(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
        await writer.drain()
        response = await _read_response(reader, "CONNECT")
        if response.status != 200:
            writer.close()
            raise HttpError(
                f"proxy {self.proxy.netloc if self.proxy else ''} refused CONNECT: {response.status}"
            )

    async def _exchange(
        self, method: str, path: str, body: bytes, extra: list[tuple[str, str]]
    ) -> HttpResponse:
        reader, writer = await self._connect()
        absolute = self.proxy is not None and self.target.scheme == "http"
        target = self.url(path) if absolute else path
        lines = [
            f"{method} {target} HTTP/1.1",
            f"Host: {self.target.netloc}",
            f"User-Agent: {self.user_agent}",
            "Connection: keep-alive",
            *(f"{k}: {v}" for k, v in extra),
        ]
        if body or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body)
        await writer.drain()
        response = await _read_response(reader, method)
        if (response.header("connection") or "").lower() == "close":
            await self.close()
        return response


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.IncompleteReadError):
        return "connection closed by peer"
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
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.wait_closed(), 1.0)


async def _read_response(reader: asyncio.StreamReader, method: str) -> HttpResponse:
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            raise HttpError("response head too large") from None
        lines = head.decode("latin-1").split("\r\n")
        status_line = lines[0].split(" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith("HTTP/"):
            raise HttpError(f"malformed response status line {lines[0][:80]!r}")
        try:
            status = int(status_line[1])
        except ValueError:
            raise HttpError(f"malformed response status line {lines[0][:80]!r}") from None
        headers = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.append((name.strip(), value.strip()))
        response = HttpResponse(status, headers)
        if 100 <= status < 200 and method != "CONNECT":
            continue  # 100 Continue and friends
        break
    if method in ("HEAD", "CONNECT") or status in (204, 304) or 100 <= status < 200:
        return response
    encoding = (response.header("transfer-encoding") or "").lower()
    length = response.header("content-length")
    if "chunked" in encoding:
        response.body = await _read_chunked(reader)
    elif length is not None:
        try:
            size = int(length)
        except ValueError:
            raise HttpError(f"bad Content-Length {length!r} in response") from None
        if not 0 <= size <= MAX_BODY:
            raise HttpError(f"response Content-Length {size} out of range")
        response.body = await reader.readexactly(size)
    else:  # no length: the body runs to the end of the connection
        chunks: list[bytes] = []
        size = 0
        while chunk := await reader.read(65536):
            size += len(chunk)
            if size > MAX_BODY:
                raise HttpError("response body too large")
            chunks.append(chunk)
        response.body = b"".join(chunks)
        response.headers.append(("Connection", "close"))
    return response


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        line = await reader.readline()
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise HttpError("malformed chunked response") from None
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(parts)
        total += size
        if total > MAX_BODY:
            raise HttpError("response body too large")
        parts.append(await reader.readexactly(size))
        await reader.readline()
