"""The mcscope journal: its NDJSON record codec, its header line and its reader.

A journal is what the live proxy writes (:mod:`mcscope.live.journalwriter`) and what ``mcscope check`` and
the window read back: a header line ``{"type": "journal", ...}`` (repeated after a restart), then one
``{"type": "exchange", ...}`` record per collection exchange (format in :func:`exchange_to_record`).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import msgspec

from mcscope import __version__
from mcscope.core.fastjson import loads_line
from mcscope.core.model import Exchange, Headers
from mcscope.io.common import CaptureError, ReadProgress

log = logging.getLogger(__name__)

JOURNAL_VERSION = 1
#: Timestamps beyond this many seconds from the epoch (year 5138) are not times: the record is malformed.
MAX_EPOCH = 1e11
_NUMBER = int | float


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
    r"""An Exchange as a JSON-safe journal record (``{"type": "exchange", ...}``).

    Record format (v1)::

        {"type": "exchange", "flow": id, "method": "POST", "url": "https://...",
         "t_start": epoch_s, "t_end": epoch_s | null, "error": str | null, "live": bool,
         "request": {"headers": [[name, value], ...], "body": str | null, ["body_encoding": "base64"]},
         "response": {"status": int, "headers": [...], "body": ..., ["body_encoding": "base64"]} | null}

    Bodies are UTF-8 text, or base64 with ``body_encoding`` when not UTF-8, or null when not captured.
    ``response`` is null when there was no response. Unknown keys (e.g. "result") are ignored by readers.

    Headers and the URL are bytes on the wire; mitmproxy gives them as str decoded from UTF-8 with
    ``surrogateescape`` (a byte that is no UTF-8, e.g. Latin-1 ``\xe9``, becomes ``\udce9``). Such a str
    cannot be written as UTF-8: :func:`encode_record` then writes the line with JSON ``\uXXXX`` escapes
    (``"caf\udce9"``), which any JSON reader parses back to exactly that str, so
    ``value.encode("utf-8", "surrogateescape")`` restores the very bytes.

    A body the live proxy did not keep whole (bigger than ``mcscope_max_body``, decoding beyond
    ``mcscope_max_decoded``, or shed when the writer's queue was full) is null, as not captured, with
    ``"body_omitted": {"reason": ..., "size": wire bytes, "sha256": hex | null, "head": base64 of the
    first bytes, ...}``; readers judge it as ``body-not-captured``.
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
    # NaN, infinities and absurd magnitudes (JSON's 1e400 is inf) fail these comparisons
    if not -MAX_EPOCH < t_start < MAX_EPOCH or (t_end is not None and not -MAX_EPOCH < t_end < MAX_EPOCH):
        raise ValueError("t_start/t_end must be epoch seconds")
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


class _Part(msgspec.Struct):
    """A record's request or response in the shape the proxy writes (``status`` is read on a response only)."""

    headers: list[tuple[str, str]] | None = None
    body: str | None = None
    body_encoding: Any = None
    status: int | None = None


class _Record(msgspec.Struct):
    """An exchange record in the shape the proxy writes, the types :func:`record_to_exchange` accepts
    as they are; anything else (or a header line) does not decode as one."""

    type: str
    flow: str
    method: str
    url: str
    t_start: float | None = None  # msgspec takes an int as a float too, never a bool
    t_end: float | None = None
    error: Any = None
    live: Any = False
    client: Any = None
    request: _Part | None = None
    response: _Part | None = None


_decode_record = msgspec.json.Decoder(_Record).decode
_NO_PART = _Part()


def line_to_exchange(line: bytes) -> Exchange | None:
    """The exchange of a journal line, decoded by msgspec straight into the fields the Exchange needs (about
    half the cost of a dict and :func:`record_to_exchange`); None when the line is not an exchange record in
    the common shape (a header line, a value of another type, anything msgspec refuses, a bad base64 body):
    then ``record_to_exchange(loads_line(line))`` reads it, or says why it cannot. For every line it accepts,
    it gives what that would give."""
    try:
        rec = _decode_record(line)
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None
    t_start, t_end = rec.t_start or 0.0, rec.t_end
    if rec.type != "exchange" or not -MAX_EPOCH < t_start < MAX_EPOCH or (
            t_end is not None and not -MAX_EPOCH < t_end < MAX_EPOCH):
        return None
    request = rec.request or _NO_PART
    response = rec.response
    try:
        request_body = _part_body(request)
        response_body = _part_body(response) if response is not None else None
    except ValueError:  # bad base64: record_to_exchange says so
        return None
    error, client = rec.error, rec.client
    return Exchange(
        rec.flow, rec.method, rec.url, request.headers or [], request_body,
        response.status if response is not None else None, (response.headers or []) if response is not None else [],
        response_body, float(t_start), t_end, error if isinstance(error, str) else None, bool(rec.live),
        client if isinstance(client, str) else None,
    )


def _part_body(part: _Part) -> bytes | None:
    """:func:`_decode_body` of a typed part."""
    body = part.body
    if body is None:
        return None
    if part.body_encoding == "base64":
        return base64.b64decode(body, validate=True)
    return body.encode("utf-8", "surrogatepass")


def encode_record(record: dict[str, Any]) -> bytes:
    r"""One journal line (without the newline): compact UTF-8 JSON; lossless for surrogate-escaped bytes
    in headers or the URL (written as ``\uXXXX`` escapes, see :func:`exchange_to_record`)."""
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: a non-UTF-8 byte of a header or the URL
        return json.dumps(record, separators=(",", ":"), ensure_ascii=True).encode("ascii")


#: How every journal line starts (records and headers put "type" first), with or without spaces.
RECORD_START = re.compile(rb'\s*\{\s*"type"\s*:')
_HEADER = re.compile(rb'\{\s*"type"\s*:\s*"journal"')


def tolerated_bad_line(line: bytes) -> str | None:
    """Why a line that is not a valid record is nevertheless no corruption, or None when it is corrupt.

    * the file's last line, unterminated, that starts like a record: a writer killed mid-write;
    * a cut-off record with a restarted writer's header glued to it (writers before 0.1.1 did not end the
      torn line first): the record was cut by the kill, the header is whole.
    """
    if RECORD_START.match(line) is None:
        return None
    if not line.endswith(b"\n"):
        return "torn last record"
    glued = _HEADER.search(line, 1)
    if glued is not None:
        try:
            header = loads_line(line[glued.start():])
        except (ValueError, RecursionError):
            return None
        if isinstance(header, dict) and header.get("type") == "journal":
            return "torn record before a restarted writer's header"
    return None


def read_journal(fh: IO[bytes], path: Path, progress: ReadProgress) -> Iterator[Exchange]:
    """The exchange records of an mcscope journal. A record torn by a killed writer is tolerated (see
    :func:`tolerated_bad_line`, and a cut-off record on a line of its own followed by a restarted writer's
    header: what writers since 0.1.1 leave, as they end a torn line first); any other bad line is counted
    and reported after the rest was read."""
    lineno = 0
    bad: list[int] = []
    torn = 0  # the previous line, when it was a bad line that starts like a record
    for line in fh:
        lineno += 1
        progress.position += len(line)
        ex = line_to_exchange(line)
        if ex is not None:
            yield ex
            torn = 0
            continue
        if not line.strip():
            continue
        try:
            obj = loads_line(line)
        except (ValueError, RecursionError):
            obj = None
        if isinstance(obj, dict):
            if obj.get("type") != "exchange":
                if torn and obj.get("type") == "journal" and bad and bad[-1] == torn:
                    bad.pop()
                    log.info("%s: line %d: torn record before a restarted writer's header, ignored", path, torn)
                torn = 0
                continue  # header lines (repeated after a restart) and future record kinds
            try:
                yield record_to_exchange(obj)
                torn = 0
                continue
            except (ValueError, TypeError, KeyError) as exc:
                log.debug("%s:%d: bad exchange record (%s)", path, lineno, exc)
        reason = tolerated_bad_line(line)
        torn = 0
        if reason is not None:
            log.info("%s: line %d: %s, ignored", path, lineno, reason)
        else:
            bad.append(lineno)
            if obj is None and RECORD_START.match(line) is not None:
                torn = lineno
    if bad:
        raise CaptureError(
            f"{path}: {len(bad)} corrupt journal line(s) skipped (first at line {bad[0]}); "
            f"read {lineno} lines"
        )
