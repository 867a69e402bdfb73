"""HAR 1.2 captures (Chrome, Firefox, Charles, Proxyman, mitmproxy exports) -> Exchanges."""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

import msgspec

from mcscope.core.model import Exchange, Headers
from mcscope.io.common import BOM, CaptureError, ReadProgress

log = logging.getLogger(__name__)


#: Characters of the file decoded per read; a HAR file is never held whole (see :class:`_Text`).
CHUNK_CHARS = 1 << 20
_UTF8_CHECK_BYTES = 1 << 20
_WS = " \t\n\r"
_ENTRIES_RE = re.compile(r'"entries"\s*:\s*\[')
_scanner = json.JSONDecoder().scan_once
_scanstring = json.decoder.scanstring
_msgspec_decode = msgspec.json.Decoder().decode


class _Incomplete(Exception):
    """The text read so far ends inside the value being parsed: read more and parse it again."""


class _Text:
    """A HAR file's text, decoded chunk by chunk, addressed by absolute character positions.

    Only the part from ``base`` on is held; :meth:`release` lets go of what the parse is past. The line
    and column of an error anywhere in the file are those ``json.loads`` of the whole text would give.
    """

    def __init__(self, fh: IO[bytes], progress: ReadProgress, chunk: int) -> None:
        self.fh, self.progress, self.chunk = fh, progress, chunk
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""
        self.base = 0  # absolute position of buf[0]
        self.lines = 0  # newlines before base
        self.last_nl = -1  # absolute position of the last newline before base
        self.eof = False
        self.first = True

    def more(self) -> bool:
        """Read one more chunk; False at the end of the file."""
        if self.eof:
            return False
        raw = self.fh.read(max(self.chunk, len(BOM)) if self.first else self.chunk)
        self.progress.position += len(raw)
        data = raw
        if self.first:
            self.first = False
            if data.startswith(BOM):
                data = data[len(BOM):]
        text = self.decoder.decode(data, final=not raw)
        if not raw:
            self.eof = True
        self.buf += text
        return bool(raw) or bool(text)

    def at(self, pos: int) -> str:
        """The character at ``pos``, or "" at the end of the file."""
        rel = pos - self.base
        while rel >= len(self.buf):
            if not self.more():
                return ""
        return self.buf[rel]

    def skip_ws(self, pos: int) -> int:
        while self.at(pos) in _WS and self.at(pos) != "":
            pos += 1
        return pos

    def parse(self, fn: Any, pos: int) -> tuple[Any, int]:
        """``fn(buf, rel)`` (scan_once or scanstring) at ``pos``, reading on while the value may be cut off."""
        while True:
            rel = pos - self.base
            try:
                value, end = fn(self.buf, rel)
            except StopIteration as exc:
                if self._cut(exc.value):
                    continue
                raise _Error("Expecting value", self.base + exc.value) from None
            except json.JSONDecodeError as exc:
                if self._cut(exc.pos, exc.msg):
                    continue
                raise _Error(exc.msg, self.base + exc.pos) from None
            except RecursionError as exc:
                raise _Error(str(exc), None) from None
            if end >= len(self.buf) - 16 and self.more():
                continue  # a number may go on in the next chunk ("1e" is read as 1 followed by "e")
            return value, self.base + end

    def _cut(self, rel: int, msg: str = "") -> bool:
        """Could the error at ``rel`` be the end of what was read? Then read more (True)."""
        if self.eof or (rel < len(self.buf) - 16 and not msg.startswith("Unterminated string")):
            return False
        return self.more()

    def release(self, pos: int) -> None:
        """Forget the text before ``pos`` (keeping the line count for error messages)."""
        rel = pos - self.base
        if rel < self.chunk:
            return
        gone = self.buf[:rel]
        nl = gone.rfind("\n")
        if nl >= 0:
            self.lines += gone.count("\n")
            self.last_nl = self.base + nl
        self.buf = self.buf[rel:]
        self.base = pos

    def where(self, pos: int) -> tuple[int, int]:
        """(line, column) of ``pos`` as json's error messages count them."""
        rel = pos - self.base
        nl = self.buf.rfind("\n", 0, rel)
        last = self.base + nl if nl >= 0 else self.last_nl
        return self.lines + self.buf.count("\n", 0, rel) + 1, pos - last


class _Error(Exception):
    """A JSON syntax error at an absolute position (None: RecursionError, no position)."""

    def __init__(self, msg: str, pos: int | None) -> None:
        super().__init__(msg)
        self.msg, self.pos = msg, pos


def read_har(fh: IO[bytes], path: Path, progress: ReadProgress, chunk: int = CHUNK_CHARS) -> Iterator[Exchange]:
    """The exchanges of a HAR file, in file order (:mod:`mcscope.io.capture` sorts them); CaptureError (after
    what could be read) on bad input.

    Streamed: ``log.entries`` is decoded entry by entry, so memory does not grow with the file. The result
    is that of decoding the whole file with ``json.loads``: the same exchanges, and for a file that is not
    valid JSON the complete entries of its ``"entries": [`` list and then the same error (same message,
    same position). Only a file with two ``log`` or ``entries`` keys (JSON keeps the last) is refused.
    """
    _check_utf8(fh, path)
    text = _Text(fh, progress, chunk)
    har = _Exchanges(text, path)
    try:
        yield from har.document()
    except _Error as exc:
        err = _message(text, exc)
        yield from har.recover(err)
        return
    if not har.found:
        raise CaptureError(f"{path}: not a HAR file (no log.entries list)")


def _check_utf8(fh: IO[bytes], path: Path) -> None:
    """CaptureError for a file that is not UTF-8, before any entry is read (the whole file is checked)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0  # bytes given to the decoder so far
    first = True
    while True:
        data = fh.read(_UTF8_CHECK_BYTES)
        if first:
            first = False
            if data.startswith(BOM):
                data = data[len(BOM):]
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the previous read
        try:
            decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise CaptureError(f"{path}: HAR file is not UTF-8 (byte {offset - pending + exc.start})") from None
        if not data:
            break
        offset += len(data)
    fh.seek(0)


def _message(text: _Text, exc: _Error) -> str:
    if exc.pos is None:
        return exc.msg
    line, col = text.where(exc.pos)
    return f"{exc.msg}: line {line} column {col} (char {exc.pos})"


class _Har[T]:
    """Walks the JSON document as ``json.loads`` does, streaming the entries of ``log.entries`` (each turned
    into a ``T`` by :meth:`_item`)."""


    def __init__(self, text: _Text, path: Path) -> None:
        self.text, self.path = text, path
        self.found = False  # log.entries was a list
        self.count = 0  # entries decoded
        self.entries_at: int | None = None  # position after the "[" of log.entries
        self.pos = 0  # where the entries list goes on: after the last entry decoded
        self.closed_at: int | None = None  # position of the "]" that closed log.entries
        self.separator: str | None = None  # "}" + the text between two entries + "{", once seen
        self.misses = 0  # batches that were no valid JSON list

    def document(self) -> Iterator[T]:
        t = self.text
        if t.at(0) == "\ufeff":
            raise _Error("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0)
        pos = t.skip_ws(0)
        if t.at(pos) == "{":
            end = yield from self._object(pos, self._top)
        else:
            _, end = t.parse(_scanner, pos)
        end = t.skip_ws(end)
        if t.at(end) != "":
            raise _Error("Extra data", end)

    def _top(self, key: str, pos: int) -> Iterator[T] | None:
        if key == "log":
            if self.entries_at is not None or self.found:
                raise CaptureError(f"{self.path}: HAR file with two log objects: not supported")
            if self.text.at(pos) == "{":
                return self._object(pos, self._log)
        return None

    def _log(self, key: str, pos: int) -> Iterator[T] | None:
        if key == "entries":
            if self.entries_at is not None:
                raise CaptureError(f"{self.path}: HAR file with two log.entries lists: not supported")
            if self.text.at(pos) == "[":
                return self._entries(pos)
        return None

    def _object(self, pos: int, member: Any) -> Iterator[T]:
        """An object at ``pos`` (its "{"), as json.decoder.JSONObject parses it; returns the end. ``member(key,
        pos)`` gives a generator for the values it streams, or None to parse the value whole."""
        t = self.text
        end = pos + 1
        nextchar = t.at(end)
        if nextchar != '"':
            if nextchar in _WS and nextchar:
                end = t.skip_ws(end)
                nextchar = t.at(end)
            if nextchar == "}":
                return end + 1
            if nextchar != '"':
                raise _Error("Expecting property name enclosed in double quotes", end)
        end += 1
        while True:
            key, end = t.parse(_scanstring, end)
            if t.at(end) != ":":
                end = t.skip_ws(end)
                if t.at(end) != ":":
                    raise _Error("Expecting ':' delimiter", end)
            end = t.skip_ws(end + 1)
            stream = member(key, end)
            if stream is not None:
                end = yield from stream
            else:
                _, end = t.parse(_scanner, end)
            end = t.skip_ws(end)
            nextchar = t.at(end)
            end += 1
            if nextchar == "}":
                return end
            if nextchar != ",":
                raise _Error("Expecting ',' delimiter", end - 1)
            comma = end - 1
            end = t.skip_ws(end)
            nextchar = t.at(end)
            end += 1
            if nextchar != '"':
                if nextchar == "}":
                    raise _Error("Illegal trailing comma before end of object", comma)
                raise _Error("Expecting property name enclosed in double quotes", end - 1)

    def _entries(self, pos: int) -> Iterator[T]:
        """The entries list at ``pos`` (its "["), as json.decoder.JSONArray parses it; returns the end."""
        t = self.text
        self.entries_at = self.pos = pos + 1
        end = t.skip_ws(pos + 1)
        if t.at(end) == "]":
            self.found, self.closed_at = True, end
            return end + 1
        while True:
            batch = self._batch(end) if self.separator is not None else None
            if batch is not None:
                entries, end = batch
            else:
                entry, end = t.parse(_scanner, end)
                entries = (entry,)
            self.pos = end
            for entry in entries:
                self.count += 1
                item = self._item(entry)
                if item is not None:
                    yield item
            t.release(end)
            after = end
            end = t.skip_ws(end)
            nextchar = t.at(end)
            if self.count == 1 and nextchar == ",":  # learn how this file separates its entries
                rel = after - t.base
                gap = t.buf[rel : t.skip_ws(end + 1) - t.base]
                if t.at(after + len(gap)) == "{":
                    self.separator = "}" + gap + "{"
            end += 1
            if nextchar == "]":
                self.found, self.closed_at = True, end - 1
                return end
            if nextchar != ",":
                raise _Error("Expecting ',' delimiter", end - 1)
            comma = end - 1
            end = t.skip_ws(end)
            if t.at(end) == "]":
                raise _Error("Illegal trailing comma before end of array", comma)

    def _batch(self, start: int) -> tuple[list[Any], int] | None:
        """The entries from ``start`` up to the last separator held, decoded at once by msgspec, and where they
        end; None to decode one entry with the standard library.

        The cut is found by text (the separator seen after the first entry, e.g. ``},\n{``), so it may fall
        inside an entry; then, or when the entries hold anything msgspec refuses, ``[`` + text + ``]`` is no
        valid JSON list and nothing is taken from it. A valid list is exactly the entries JSONArray would read
        up to there: msgspec builds what json builds for every document it accepts (core/fastjson.py).
        """
        t = self.text
        rel = start - t.base
        buf = t.buf
        if buf[rel : rel + 1] != "{":
            return None
        cut = buf.rfind(self.separator, rel, len(buf) - 1)  # type: ignore[arg-type]
        if cut < 0:
            return None
        try:
            entries = self._decode_batch("[" + buf[rel : cut + 1] + "]")
        except (msgspec.DecodeError, RecursionError):
            self.misses += 1
            if self.misses >= 3:  # the separator also occurs inside entries: one entry at a time
                self.separator = None
            return None
        return entries, t.base + cut + 1

    def _decode_batch(self, text: str) -> Any:
        """A JSON list of entries decoded as json.loads would, or as far as :meth:`_item` reads them."""
        return _msgspec_decode(text)

    def _item(self, entry: Any) -> T | None:
        """The ``self.count``-th entry as what this walk yields; None to skip it."""
        raise NotImplementedError

    def recover(self, err: str) -> Iterator[T]:
        """After a syntax error: what the reader of a truncated file gives (the complete entries of the first
        ``"entries": [`` of the file, read on past any stray commas), then the CaptureError saying where."""
        t = self.text
        if self.entries_at is None:  # the error came before log.entries: find the first "entries": [
            pos = self._find_entries()
            if pos is None:
                raise CaptureError(f"{self.path}: invalid HAR/JSON ({err})")
        else:
            pos = self.pos
        while True:
            while t.at(pos) in " \t\r\n," and t.at(pos) != "":
                pos += 1
            if t.at(pos) == "]":
                break  # the entries list is complete; the damage is after it
            try:
                entry, pos = t.parse(_scanner, pos)
            except _Error:
                break
            self.count += 1
            item = self._item(entry)
            if item is not None:
                yield item
            t.release(pos)
        line, _ = t.where(pos)
        raise CaptureError(
            f"{self.path}: truncated HAR file: stopped after {self.count} complete entries at line {line} ({err})"
        )

    def _find_entries(self) -> int | None:
        """The position after the first ``"entries": [`` of the file. Only called before log.entries began,
        so the text is still held from its start."""
        t = self.text
        start = 0
        while True:
            match = _ENTRIES_RE.search(t.buf, start)
            if match is not None:
                return t.base + match.end()
            start = max(0, len(t.buf) - 4096)  # a match may straddle what was read
            if not t.more():
                return None


class _Exchanges(_Har[Exchange]):
    """The entries as Exchanges (:func:`read_har`)."""

    def _decode_batch(self, text: str) -> Any:
        try:
            return _decode_entries(text)  # the common shape, typed (about half the cost of plain objects)
        except msgspec.ValidationError:  # valid JSON of another shape
            return _msgspec_decode(text)

    def _item(self, entry: Any) -> Exchange | None:
        if isinstance(entry, _Entry):
            return _typed_entry_to_exchange(entry, f"{self.path.name}#{self.count}")
        return har_entry_to_exchange(entry, f"{self.path.name}#{self.count}")


class _EntryStart(msgspec.Struct):
    """All the order check reads of an entry: msgspec skips the rest without building it."""

    startedDateTime: Any = None


class _Starts(_Har[float]):
    """Every entry's request start as :func:`har_entry_to_exchange` reads it (0.0: none), entries that give
    no exchange included."""

    def _decode_batch(self, text: str) -> Any:
        return _decode_starts(text)

    def _item(self, entry: Any) -> float:
        if isinstance(entry, _EntryStart):
            return _iso_to_epoch(entry.startedDateTime)
        return _iso_to_epoch(entry.get("startedDateTime") if isinstance(entry, dict) else None)


_decode_starts = msgspec.json.Decoder(list[_EntryStart]).decode


def entries_in_start_order(fh: IO[bytes], path: Path) -> bool:
    """Are the entries of a HAR file already in request-start order, so that sorting them
    (:func:`mcscope.io.ordering.in_start_order`) would change nothing? False when unsure (a file that does not
    read whole, as any error); ``fh`` is left at its start.

    A quick walk of the file that builds only each entry's ``startedDateTime`` (~1.5 µs an entry where holding
    the exchanges of a sort cost ~20 µs). The sort's keys are the starts, an entry without one taking its
    predecessor's: here entries that give no exchange count too, which can only make the answer False.
    """
    starts = _Starts(_Text(fh, ReadProgress(), CHUNK_CHARS), path)
    key = 0.0
    try:
        for start in starts.document():
            if start:
                if start < key:
                    return False
                key = start
    except (_Error, CaptureError, ValueError, OSError):  # the reader proper says what is wrong
        return False
    finally:
        fh.seek(0)
    return starts.found


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
    end = _end(start, entry.get("time"))

    status = resp.get("status") if resp is not None else None
    error: str | None = None
    if not isinstance(status, int) or isinstance(status, bool) or status <= 0:
        status = None
        error = (resp or {}).get("_error") or entry.get("_error") or "no response"
        if not isinstance(error, str):
            error = "no response"
    entry_id = entry.get("_id") or entry.get("_flowId")
    # Positional (flow_id, method, url, request headers and body, status, response headers and body, start,
    # end, error): this runs once per entry, and keywords cost twice as much here.
    return Exchange(
        str(entry_id) if isinstance(entry_id, str | int) and entry_id != "" else flow_id,
        str(req.get("method") or "GET"),
        req["url"],
        _har_headers(req.get("headers")),
        _har_request_body(req),
        status,
        _har_headers(resp.get("headers")) if resp is not None and status else [],
        _har_response_body(resp) if resp is not None and status else None,
        start,
        end if status else None,
        error,
    )


def _har_headers(headers: Any) -> Headers:
    if type(headers) is list:  # the common shape first: every header an object with a string name and value
        try:
            out: Headers = [(h["name"], h["value"]) for h in headers]
        except (TypeError, KeyError):
            pass
        else:
            for name, value in out:
                if type(name) is not str or type(value) is not str:
                    break
            else:
                return out
    out = []
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
        return _post_body(post.get("text"), post.get("encoding"), post.get("params"))
    return _unstored(req.get("bodySize"))


def _post_body(text: Any, encoding: Any, params: Any) -> bytes:
    """A request's ``postData``: its text, else its form ``params``."""
    body = _har_text(text, encoding)
    if body:
        return body
    if isinstance(params, list) and params:
        pairs = [
            (str(p.get("name", "")), str(p.get("value", "")))
            for p in params
            if isinstance(p, dict) and "name" in p
        ]
        return urlencode(pairs).encode()
    return body if body is not None else b""


def _unstored(size: Any) -> bytes | None:
    """No body text: None when the tool saw a body (``size`` > 0) but did not store it, else empty."""
    if isinstance(size, int) and size > 0:
        return None
    return b""


def _har_response_body(resp: dict[str, Any]) -> bytes | None:
    content = resp.get("content")
    if not isinstance(content, dict):
        return b""
    return _content_body(content.get("text"), content.get("encoding"), content.get("size"))


def _content_body(text: Any, encoding: Any, size: Any) -> bytes | None:
    body = _har_text(text, encoding)
    return body if body is not None else _unstored(size)


# --- the typed reading of an entry -----------------------------------------------------------------------------
# The shape browsers and proxies write, as msgspec Structs of only what har_entry_to_exchange reads: msgspec skips
# the rest (cookies, timings, cache ...) without building it. An entry of any other shape fails to decode as
# one, and its batch is decoded as plain objects and read by har_entry_to_exchange.


class _Header(msgspec.Struct):
    name: str
    value: str


class _PostData(msgspec.Struct):
    text: Any = None
    encoding: Any = None
    params: Any = None


class _Request(msgspec.Struct):
    url: str
    method: Any = None
    headers: list[_Header] = []
    postData: _PostData | None = None
    bodySize: Any = None


class _Content(msgspec.Struct):
    text: Any = None
    encoding: Any = None
    size: Any = None


class _Response(msgspec.Struct):
    status: Any = None
    headers: list[_Header] = []
    content: _Content | None = None
    error: Any = msgspec.field(default=None, name="_error")


class _Entry(msgspec.Struct):
    request: _Request
    response: _Response | None = None
    startedDateTime: Any = None
    time: Any = None
    error: Any = msgspec.field(default=None, name="_error")
    id: Any = msgspec.field(default=None, name="_id")
    flow_id: Any = msgspec.field(default=None, name="_flowId")


_decode_entries = msgspec.json.Decoder(list[_Entry]).decode


def _typed_entry_to_exchange(entry: _Entry, flow_id: str) -> Exchange:
    """:func:`har_entry_to_exchange` of an entry decoded as an :class:`_Entry`."""
    req, resp = entry.request, entry.response
    start = _iso_to_epoch(entry.startedDateTime)
    status = resp.status if resp is not None else None
    error: str | None = None
    if not isinstance(status, int) or isinstance(status, bool) or status <= 0:
        status = None
        error = (resp.error if resp is not None else None) or entry.error or "no response"
        if not isinstance(error, str):
            error = "no response"
    post = req.postData
    entry_id = entry.id or entry.flow_id
    answered = resp is not None and status
    content = resp.content if resp is not None else None
    return Exchange(
        str(entry_id) if isinstance(entry_id, str | int) and entry_id != "" else flow_id,
        str(req.method or "GET"),
        req.url,
        [(h.name, h.value) for h in req.headers],
        _post_body(post.text, post.encoding, post.params) if post is not None else _unstored(req.bodySize),
        status,
        [(h.name, h.value) for h in resp.headers] if answered else [],  # type: ignore[union-attr]
        (b"" if content is None else _content_body(content.text, content.encoding, content.size)) if answered else None,
        start,
        _end(start, entry.time) if status else None,
        error,
    )


def _end(start: float, elapsed: Any) -> float | None:
    """When the exchange ended: its start plus the entry's ``time`` (ms), when both are plausible."""
    if isinstance(elapsed, int | float) and not isinstance(elapsed, bool) and 0 <= elapsed < 1e12 and start:
        return start + float(elapsed) / 1000.0
    return None


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
