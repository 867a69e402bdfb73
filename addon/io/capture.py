"""Capture readers: mitmproxy flow files (``.mitm``), HAR 1.2 and mcscope NDJSON journals -> Exchanges.

The format is sniffed from the content, never from the file name. ``.mitm`` files and journals are
streamed (flow by flow, line by line); a HAR file is loaded whole (it is one JSON document).

Readers never crash on bad input: they yield every exchange they could read and then raise
:class:`CaptureError` saying what went wrong and where reading stopped. A torn last line of a journal
(a proxy killed mid-write) is tolerated silently.

Only the ``.mitm`` reader imports mitmproxy, lazily, so the rest of the core stays mitmproxy-free.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import urlencode

from mcscope import __version__
from mcscope.core.fastjson import loads_line
from mcscope.core.model import Exchange, Headers

log = logging.getLogger(__name__)

Format = Literal["mitm", "har", "journal"]

JOURNAL_VERSION = 1
_SNIFF_BYTES = 64 * 1024
_BOM = b"\xef\xbb\xbf"
_TNETSTRING_START = re.compile(rb"^\d{1,12}:")
_NUMBER = int | float


class CaptureError(Exception):
    """A capture could not be read (fully). ``read_count`` exchanges were yielded before the error."""

    def __init__(self, message: str, read_count: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.read_count = read_count

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------------------------------
# Format sniffing


def sniff_format(head: bytes) -> Format | None:
    """The capture format of a file starting with ``head`` (its first few KB), or None if unknown."""
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    stripped = head.lstrip(b" \t\r\n")
    if not stripped:
        return None
    if stripped.startswith(b"{"):
        first_line = stripped.split(b"\n", 1)[0]
        try:
            obj = json.loads(first_line)
        except (ValueError, RecursionError):
            obj = None
        if isinstance(obj, dict) and obj.get("type") in ("journal", "exchange"):
            return "journal"
        if isinstance(obj, dict) and "log" in obj:
            return "har"
        if obj is None and (b'"log"' in stripped or stripped.rstrip() == b"{"):
            return "har"
        return None
    if _TNETSTRING_START.match(head):
        return "mitm"
    return None


def detect_format(path: str | Path) -> Format:
    """Sniff a file's capture format; CaptureError for missing, unreadable, empty or unknown files."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise CaptureError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise CaptureError(f"{p}: is a directory, not a capture file") from None
    except OSError as exc:
        raise CaptureError(f"{p}: cannot read ({exc.strerror or exc})") from None
    if not head:
        raise CaptureError(f"{p}: empty file, not a capture")
    fmt = sniff_format(head)
    if fmt is None:
        raise CaptureError(
            f"{p}: unknown format (expected a mitmproxy flow file, a HAR 1.2 export or an mcscope journal)"
        )
    return fmt


# --------------------------------------------------------------------------------------------------
# Public entry points


class Capture:
    """An open capture file: iterate it for Exchanges; ``position``/``size`` give reading progress."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.format: Format = detect_format(self.path)
        try:
            self.size = self.path.stat().st_size
        except OSError:
            self.size = 0
        self.position = 0
        self.read_count = 0

    def __iter__(self) -> Iterator[Exchange]:
        reader = {"mitm": self._read_mitm, "har": self._read_har, "journal": self._read_journal}[self.format]
        try:
            with self.path.open("rb") as fh:
                for ex in reader(fh):
                    self.read_count += 1
                    yield ex
        except CaptureError as exc:
            exc.read_count = self.read_count
            raise
        except OSError as exc:
            raise CaptureError(
                f"{self.path}: read error after {self.read_count} exchanges ({exc.strerror or exc})",
                self.read_count,
            ) from None
        self.position = self.size

    # .mitm ----------------------------------------------------------------------------------------
    def _read_mitm(self, fh: IO[bytes]) -> Iterator[Exchange]:
        from mitmproxy import http, io  # the only mitmproxy import of the core

        reader = io.FlowReader(fh)
        stream = iter(reader.stream())
        flows = 0
        while True:
            try:
                flow = next(stream)
            except StopIteration:
                return
            except Exception as exc:  # FlowReadException, or anything flow migration raises on garbage
                detail = str(exc) or type(exc).__name__
                raise CaptureError(
                    f"{self.path}: truncated or corrupt flow file: stopped after {flows} flows "
                    f"({self.read_count} HTTP exchanges) near byte {self._tell(fh)} ({detail})",
                    self.read_count,
                ) from None
            flows += 1
            self.position = self._tell(fh)
            if not isinstance(flow, http.HTTPFlow):
                continue
            try:
                yield flow_to_exchange(flow)
            except Exception as exc:  # a flow we cannot convert: skip it, keep reading
                log.warning("%s: flow %d skipped (%s)", self.path, flows, exc)

    @staticmethod
    def _tell(fh: IO[bytes]) -> int:
        try:
            return fh.tell()
        except (OSError, ValueError):
            return 0

    # HAR ------------------------------------------------------------------------------------------
    def _read_har(self, fh: IO[bytes]) -> Iterator[Exchange]:
        raw = fh.read()
        self.position = len(raw)
        if raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CaptureError(f"{self.path}: HAR file is not UTF-8 (byte {exc.start})") from None
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            yield from self._read_truncated_har(text, exc)
            return
        entries = doc.get("log", {}).get("entries") if isinstance(doc, dict) else None
        if not isinstance(doc, dict) or not isinstance(doc.get("log"), dict) or not isinstance(entries, list):
            raise CaptureError(f"{self.path}: not a HAR file (no log.entries list)")
        for index, entry in enumerate(entries):
            ex = har_entry_to_exchange(entry, f"{self.path.name}#{index + 1}")
            if ex is not None:
                yield ex

    def _read_truncated_har(self, text: str, err: ValueError) -> Iterator[Exchange]:
        """Recover the complete entries of a HAR file cut short, then raise saying where it stopped."""
        match = re.search(r'"entries"\s*:\s*\[', text)
        if match is None:
            raise CaptureError(f"{self.path}: invalid HAR/JSON ({err})")
        decoder = json.JSONDecoder()
        pos = match.end()
        count = 0
        while True:
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1
            if pos < len(text) and text[pos] == "]":
                break  # the entries list is complete; the damage is after it
            try:
                entry, pos = decoder.raw_decode(text, pos)
            except (ValueError, RecursionError):
                break
            count += 1
            ex = har_entry_to_exchange(entry, f"{self.path.name}#{count}")
            if ex is not None:
                yield ex
        line = text.count("\n", 0, pos) + 1
        raise CaptureError(
            f"{self.path}: truncated HAR file: stopped after {count} complete entries at line {line} ({err})"
        )

    # journal --------------------------------------------------------------------------------------
    def _read_journal(self, fh: IO[bytes]) -> Iterator[Exchange]:
        lineno = 0
        bad: list[int] = []
        pending_bad: int | None = None  # a bad line is only an error if another line follows it
        for line in fh:
            lineno += 1
            self.position += len(line)
            if pending_bad is not None:
                bad.append(pending_bad)
                pending_bad = None
            if not line.strip():
                continue
            try:
                obj = loads_line(line)
            except (ValueError, RecursionError):
                pending_bad = lineno
                continue
            if not isinstance(obj, dict):
                pending_bad = lineno
                continue
            if obj.get("type") != "exchange":
                continue  # header lines (possibly repeated after a restart) and future record kinds
            try:
                ex = record_to_exchange(obj)
            except (ValueError, TypeError, KeyError) as exc:
                log.debug("%s:%d: bad exchange record (%s)", self.path, lineno, exc)
                pending_bad = lineno
                continue
            yield ex
        if pending_bad is not None:
            log.info("%s: ignoring torn last line %d", self.path, pending_bad)
        if bad:
            raise CaptureError(
                f"{self.path}: {len(bad)} corrupt journal line(s) skipped (first at line {bad[0]}); "
                f"read {lineno} lines"
            )


def open_capture(path: str | Path) -> Capture:
    """Open a capture (sniffs the format now: raises CaptureError for missing/unknown files)."""
    return Capture(path)


def read_exchanges(path: str | Path) -> Iterator[Exchange]:
    """Yield the Exchanges of a capture file; CaptureError (after yielding what was read) on bad input."""
    yield from Capture(path)


# --------------------------------------------------------------------------------------------------
# mitmproxy flows


def flow_to_exchange(flow: Any) -> Exchange:
    """An ``mitmproxy.http.HTTPFlow`` as an Exchange (bodies decoded from Content-Encoding)."""
    error = flow.error.msg if flow.error is not None else None
    return _exchange(str(flow.id), flow.request, flow.response, error, bool(getattr(flow, "live", False)),
                     _peer(flow))


def flow_parts(flow: Any) -> tuple[Any, ...]:
    """What flow_to_exchange needs of a live flow, as plain picklable data, cheaply (attribute reads only).

    ``exchange_from_parts`` turns it into exactly ``flow_to_exchange(flow)``, in another process.
    """
    req = flow.request.data
    resp = flow.response.data if flow.response is not None else None
    return (
        str(flow.id),
        (req.http_version, req.headers.fields, req.content, req.timestamp_start, req.timestamp_end, req.host,
         req.port, req.method, req.scheme, req.authority, req.path),
        None if resp is None else (resp.http_version, resp.headers.fields, resp.content, resp.timestamp_start,
                                   resp.timestamp_end, resp.status_code, resp.reason),
        flow.error.msg if flow.error is not None else None,
        bool(getattr(flow, "live", False)),
        _peer(flow),
    )


def exchange_from_parts(parts: tuple[Any, ...]) -> Exchange:
    """The Exchange of ``flow_parts(flow)``: mitmproxy's own URL and body decoding on the same data."""
    from mitmproxy import http

    flow_id, rq, rs, error, live, client = parts
    # The fields as they were, without the constructors' conversions and type checks (~70 µs): they are
    # exactly what a live flow held.
    req = _bare(http.Request, data=_bare(
        http.RequestData, http_version=rq[0], headers=_bare(http.Headers, fields=rq[1]), content=rq[2],
        trailers=None, timestamp_start=rq[3], timestamp_end=rq[4], host=rq[5], port=rq[6], method=rq[7],
        scheme=rq[8], authority=rq[9], path=rq[10],
    ))
    resp = None
    if rs is not None:
        resp = _bare(http.Response, data=_bare(
            http.ResponseData, http_version=rs[0], headers=_bare(http.Headers, fields=rs[1]), content=rs[2],
            trailers=None, timestamp_start=rs[3], timestamp_end=rs[4], status_code=rs[5], reason=rs[6],
        ))
    # pretty_url reads only these; every event of a session has the same ones
    key = (rq[0], rq[5], rq[6], rq[7], rq[8], rq[9], rq[10], tuple(v for k, v in rq[1] if k.lower() == b"host"))
    url = _PRETTY_URLS.get(key)
    if url is None:
        if len(_PRETTY_URLS) >= 4096:
            _PRETTY_URLS.clear()
        url = _PRETTY_URLS[key] = _url(req)
    return _exchange(flow_id, req, resp, error, live, client, url)


_PRETTY_URLS: dict[tuple[Any, ...], str] = {}


def _bare(cls: type, **attrs: Any) -> Any:
    obj = object.__new__(cls)
    obj.__dict__.update(attrs)
    return obj


def _url(req: Any) -> str:
    try:
        return req.pretty_url
    except Exception:
        return req.url


def _exchange(
    flow_id: str, req: Any, resp: Any, error: str | None, live: bool, client: str | None, url: str | None = None
) -> Exchange:
    return Exchange(
        flow_id=flow_id,
        method=req.method,
        url=_url(req) if url is None else url,
        request_headers=list(req.headers.items(multi=True)),
        request_body=_message_body(req),
        response_status=resp.status_code if resp is not None else None,
        response_headers=list(resp.headers.items(multi=True)) if resp is not None else [],
        response_body=_message_body(resp) if resp is not None else None,
        timestamp_start=float(req.timestamp_start or 0.0),
        timestamp_end=float(resp.timestamp_end) if resp is not None and resp.timestamp_end else None,
        error=error,
        live=live,
        client=client,
    )


def _peer(flow: Any) -> str | None:
    try:
        peer = flow.client_conn.peername
    except AttributeError:
        return None
    if isinstance(peer, tuple | list) and peer:
        return str(peer[0])
    return None


def _message_body(message: Any) -> bytes | None:
    if message.raw_content is None:
        return None  # streamed or not stored
    try:
        return message.get_content(strict=False)
    except Exception:
        return message.raw_content


# --------------------------------------------------------------------------------------------------
# HAR


def har_entry_to_exchange(entry: Any, flow_id: str) -> Exchange | None:
    """One HAR 1.2 entry as an Exchange, or None when the entry is not usable (logged)."""
    if not isinstance(entry, dict):
        log.warning("HAR entry %s is not an object; skipped", flow_id)
        return None
    req = entry.get("request")
    if not isinstance(req, dict) or not isinstance(req.get("url"), str):
        log.warning("HAR entry %s has no request/url; skipped", flow_id)
        return None
    resp = entry.get("response") if isinstance(entry.get("response"), dict) else None
    start = _iso_to_epoch(entry.get("startedDateTime"))
    elapsed = entry.get("time")
    end: float | None = None
    if isinstance(elapsed, int | float) and not isinstance(elapsed, bool) and elapsed >= 0 and start:
        end = start + float(elapsed) / 1000.0

    status = resp.get("status") if resp is not None else None
    error: str | None = None
    if not isinstance(status, int) or isinstance(status, bool) or status <= 0:
        status = None
        error = (resp or {}).get("_error") or entry.get("_error") or "no response"
        if not isinstance(error, str):
            error = "no response"
    entry_id = entry.get("_id") or entry.get("_flowId")
    return Exchange(
        flow_id=str(entry_id) if isinstance(entry_id, str | int) and entry_id != "" else flow_id,
        method=str(req.get("method") or "GET"),
        url=req["url"],
        request_headers=_har_headers(req.get("headers")),
        request_body=_har_request_body(req),
        response_status=status,
        response_headers=_har_headers(resp.get("headers")) if resp is not None and status else [],
        response_body=_har_response_body(resp) if resp is not None and status else None,
        timestamp_start=start,
        timestamp_end=end if status else None,
        error=error,
    )


def _har_headers(headers: Any) -> Headers:
    out: Headers = []
    if isinstance(headers, list):
        for h in headers:
            if isinstance(h, dict) and isinstance(h.get("name"), str):
                value = h.get("value")
                text = value if isinstance(value, str) else "" if value is None else str(value)
                out.append((h["name"], text))
    return out


def _har_text(text: Any, encoding: Any) -> bytes | None:
    if not isinstance(text, str):
        return None
    if isinstance(encoding, str) and encoding.lower() == "base64":
        try:
            return base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            return text.encode("utf-8", "surrogatepass")
    return text.encode("utf-8", "surrogatepass")


def _har_request_body(req: dict[str, Any]) -> bytes | None:
    post = req.get("postData")
    if isinstance(post, dict):
        body = _har_text(post.get("text"), post.get("encoding"))
        if body:
            return body
        params = post.get("params")
        if isinstance(params, list) and params:
            pairs = [
                (str(p.get("name", "")), str(p.get("value", "")))
                for p in params
                if isinstance(p, dict) and "name" in p
            ]
            return urlencode(pairs).encode()
        return body if body is not None else b""
    size = req.get("bodySize")
    if isinstance(size, int) and size > 0:
        return None  # the tool saw a body but did not store it
    return b""


def _har_response_body(resp: dict[str, Any]) -> bytes | None:
    content = resp.get("content")
    if not isinstance(content, dict):
        return b""
    body = _har_text(content.get("text"), content.get("encoding"))
    if body is not None:
        return body
    size = content.get("size")
    if isinstance(size, int) and size > 0:
        return None
    return b""


def _iso_to_epoch(value: Any) -> float:
    if not isinstance(value, str) or not value:
        return 0.0
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text).timestamp()  # no offset: local time, as the tool wrote it
    except (ValueError, OverflowError, OSError):
        return 0.0


# --------------------------------------------------------------------------------------------------
# mcscope journal records


def journal_header(**extra: Any) -> dict[str, Any]:
    """The first line of a journal: ``{"type": "journal", "v": 1, "created": epoch, ...}``."""
    head: dict[str, Any] = {
        "type": "journal",
        "v": JOURNAL_VERSION,
        "mcscope": __version__,
        "created": time.time(),
    }
    head.update(extra)
    return head


def _encode_body(body: bytes | None) -> dict[str, Any]:
    if body is None:
        return {"body": None}
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body": base64.b64encode(body).decode("ascii"), "body_encoding": "base64"}


def _decode_body(part: dict[str, Any]) -> bytes | None:
    body = part.get("body")
    if body is None:
        return None
    if not isinstance(body, str):
        raise TypeError("body must be a string or null")
    if part.get("body_encoding") == "base64":
        return base64.b64decode(body, validate=True)
    return body.encode("utf-8", "surrogatepass")


def _decode_headers(value: Any) -> Headers:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError("headers must be a list of [name, value] pairs")
    try:
        out: Headers = [(k, v) for k, v in value]
    except (TypeError, ValueError):
        raise TypeError("headers must be a list of [name, value] pairs") from None
    for k, v in out:
        if type(k) is not str or type(v) is not str:
            return [(str(k), str(v)) for k, v in out]
    return out


def exchange_to_record(ex: Exchange) -> dict[str, Any]:
    """An Exchange as a JSON-safe journal record (``{"type": "exchange", ...}``).

    Record format (v1)::

        {"type": "exchange", "flow": id, "method": "POST", "url": "https://...",
         "t_start": epoch_s, "t_end": epoch_s | null, "error": str | null, "live": bool,
         "request": {"headers": [[name, value], ...], "body": str | null, ["body_encoding": "base64"]},
         "response": {"status": int, "headers": [...], "body": ..., ["body_encoding": "base64"]} | null}

    Bodies are UTF-8 text, or base64 with ``body_encoding`` when not UTF-8, or null when not captured.
    ``response`` is null when there was no response. Unknown keys (e.g. "result") are ignored by readers.
    """
    request: dict[str, Any] = {"headers": [[k, v] for k, v in ex.request_headers]}
    request.update(_encode_body(ex.request_body))
    response: dict[str, Any] | None = None
    if ex.response_status is not None:
        response = {"status": ex.response_status, "headers": [[k, v] for k, v in ex.response_headers]}
        response.update(_encode_body(ex.response_body))
    return {
        "type": "exchange",
        "flow": ex.flow_id,
        "method": ex.method,
        "url": ex.url,
        "t_start": ex.timestamp_start,
        "t_end": ex.timestamp_end,
        "error": ex.error,
        "live": ex.live,
        "client": ex.client,
        "request": request,
        "response": response,
    }


def record_to_exchange(d: dict[str, Any]) -> Exchange:
    """A journal record back to an Exchange; ValueError/TypeError/KeyError on a malformed record."""
    if not isinstance(d, dict):
        raise TypeError("record must be an object")
    flow_id, method, url = d["flow"], d["method"], d["url"]
    if not (isinstance(flow_id, str) and isinstance(method, str) and isinstance(url, str)):
        raise TypeError("flow, method and url must be strings")
    request = d.get("request") or {}
    response = d.get("response")
    if not isinstance(request, dict) or not (response is None or isinstance(response, dict)):
        raise TypeError("request/response must be objects")
    status = response.get("status") if response is not None else None
    if status is not None and type(status) is not int and (not isinstance(status, int) or isinstance(status, bool)):
        raise TypeError("response status must be an integer")
    t_start = d.get("t_start") or 0.0
    t_end = d.get("t_end")
    if not isinstance(t_start, _NUMBER) or not (t_end is None or isinstance(t_end, _NUMBER)):
        raise TypeError("t_start/t_end must be numbers")
    request_headers = _decode_headers(request.get("headers"))
    request_body = _decode_body(request)
    if response is not None:
        response_headers, response_body = _decode_headers(response.get("headers")), _decode_body(response)
    else:
        response_headers, response_body = [], None
    error = d.get("error")
    client = d.get("client")
    # Positional: this runs once per journal line, and keywords cost twice as much here.
    return Exchange(
        flow_id, method, url, request_headers, request_body, status, response_headers, response_body,
        float(t_start), float(t_end) if t_end is not None else None, error if isinstance(error, str) else None,
        bool(d.get("live", False)), client if isinstance(client, str) else None,
    )
