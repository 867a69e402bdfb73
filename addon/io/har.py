"""HAR 1.2 captures (Chrome, Firefox, Charles, Proxyman, mitmproxy exports) -> Exchanges."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

from mcscope.core.model import Exchange, Headers
from mcscope.io.common import BOM, CaptureError, ReadProgress

log = logging.getLogger(__name__)


def read_har(fh: IO[bytes], path: Path, progress: ReadProgress) -> Iterator[Exchange]:
    """The exchanges of a HAR file, in file order (:mod:`mcscope.io.capture` sorts them); CaptureError (after
    what could be read) on bad input."""
    raw = fh.read()
    progress.position = len(raw)
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaptureError(f"{path}: HAR file is not UTF-8 (byte {exc.start})") from None
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        yield from _read_truncated_har(text, exc, path)
        return
    log_obj = doc.get("log") if isinstance(doc, dict) else None
    entries = log_obj.get("entries") if isinstance(log_obj, dict) else None
    if not isinstance(entries, list):
        raise CaptureError(f"{path}: not a HAR file (no log.entries list)")
    for index, entry in enumerate(entries):
        ex = har_entry_to_exchange(entry, f"{path.name}#{index + 1}")
        if ex is not None:
            yield ex

def _read_truncated_har(text: str, err: ValueError, path: Path) -> Iterator[Exchange]:
    """Recover the complete entries of a HAR file cut short, then raise saying where it stopped."""
    match = re.search(r'"entries"\s*:\s*\[', text)
    if match is None:
        raise CaptureError(f"{path}: invalid HAR/JSON ({err})")
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
        ex = har_entry_to_exchange(entry, f"{path.name}#{count}")
        if ex is not None:
            yield ex
    line = text.count("\n", 0, pos) + 1
    raise CaptureError(
        f"{path}: truncated HAR file: stopped after {count} complete entries at line {line} ({err})"
    )


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
    if isinstance(elapsed, int | float) and not isinstance(elapsed, bool) and 0 <= elapsed < 1e12 and start:
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
