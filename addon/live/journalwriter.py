"""The journal writer: the write-ahead log of a capture, in the proxy process, independent of the analysis.

The journal is the record of truth (architecture.md, "Process model"): the addon's hooks hand it each
collection flow's raw fields (``mcscope.io.flows.flow_parts``, attribute reads only) with
:meth:`Journal.append_parts`, which never blocks and wakes nobody. A background thread of the proxy process
wakes every :data:`FLUSH_INTERVAL` (10 ms), turns what accumulated into NDJSON records (bodies decoded from
Content-Encoding, bounded: :func:`encode_parts`) and writes and flushes them to the OS, so a ``kill -9``
of the proxy loses at most the records of the last ~10 ms plus the time to encode what was queued (the
file is fsync'ed about once a second: a process kill does not lose what is in the page cache; a power cut
might). The analysis and the viewers read *behind* it (:class:`Tail`), in the analysis process or on the
proxy's loop, so a slow, dying or restarted analysis never delays or loses a record.

Bounded work and memory, with an explicit, counted, logged policy when a limit is hit (never a silent
drop):

* a body bigger than ``max_body`` after decoding is journalled truncated (the first :data:`HEAD_BYTES`),
  with its full wire size and SHA-256, and judged ``body-not-captured`` (``"body_omitted"`` in the record,
  :mod:`mcscope.io.journal`);
* decoding (gzip, deflate, br, zstd) stops after ``min(max_decoded, max_body)`` bytes: a decompression bomb
  costs that much, in this thread (zlib, brotli and zstd release the GIL), never on the proxy's loop; a gzip
  stream whose trailer declares more than that (and no more than deflate can expand to) is not decoded at
  all (``"declared_size"`` in the record);
* when more than ``max_pending`` body bytes wait for the writer, the bodies of the next flows are shed
  (the record keeps the method, URL, headers, status and the body sizes; ``reason: "queue_full"``), counted
  in :attr:`Journal.shed` and logged.

Costly records (a body to base64, to decompress or to hash) are encoded in steps of a few milliseconds
(3 MiB base64 slices, 1 MiB of decompressed output, 4 MiB of hashing), so this thread never holds the GIL long (the
proxy's loop thread gets it back at the next switch interval), and between those steps it writes the cheap
records that arrived meanwhile: a gzip bomb or a 10 MB upload on one connection does not hold back the
journalling of the other connections' calls (they are written before it, not in arrival order).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import stat
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcscope.io.flows import exchange_from_parts
from mcscope.io.journal import encode_record, exchange_to_record

log = logging.getLogger(__name__)

#: The writer thread wakes this often; a record waits at most this long (plus the encoding) in memory.
FLUSH_INTERVAL = 0.01
#: fsync at most this often (protects against power loss without costing per record).
FSYNC_INTERVAL = 1.0
#: Environment variable overriding the data directory (tests, portable installs).
DATA_DIR_ENV = "MCSCOPE_DATA_DIR"
MIB = 1024 * 1024
#: Defaults of ``mcscope_max_body``, ``mcscope_max_decoded`` and ``mcscope_max_pending``.
DEFAULT_MAX_BODY = 16 * MIB
DEFAULT_MAX_DECODED = 64 * MIB
DEFAULT_MAX_PENDING = 512 * MIB
#: How much of an omitted body the journal keeps (its first bytes, as they came on the wire).
HEAD_BYTES = 64 * 1024
#: Bodies above this are base64-encoded in slices of this size (a multiple of 3).
_SLICE = 3 * 1024 * 1024
#: Records written at once (small ones; a big one is written on its own).
_BATCH_BYTES = 4 * MIB
#: A shed or truncated body is logged at most this often.
_LOG_EVERY = 5.0
_DECODERS = ("gzip", "deflate", "deflateraw", "br", "zstd")


def data_dir() -> Path:
    """mcscope's per-user data directory (``$MCSCOPE_DATA_DIR`` or platformdirs' user data dir)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("mcscope", appauthor=False))


def default_journal_path(now: float | None = None, pid: int | None = None) -> Path:
    """A fresh, timestamped journal file name in ``<data dir>/journals/`` (one file per run)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    return data_dir() / "journals" / f"mcscope-{stamp}-{os.getpid() if pid is None else pid}.ndjson"


class JournalError(Exception):
    pass


@dataclass
class Limits:
    """The writer's bounds (``mcscope_max_body``, ``mcscope_max_decoded``, ``mcscope_max_pending``)."""

    max_body: int = DEFAULT_MAX_BODY
    max_decoded: int = DEFAULT_MAX_DECODED
    max_pending: int = DEFAULT_MAX_PENDING


# -- bounded decoding and encoding -----------------------------------------------------------------------
class _TooBig(Exception):
    pass


Steps = Generator[None, None, Any]
"""A piece of the writer's work done in steps: it yields between steps of a few milliseconds (so the writer
can write the cheap records that arrived meanwhile) and returns its result."""

#: Output of one decompression step (a gzip bomb is decoded in steps of this size, never in one call).
_DECODE_STEP = 1 * MIB
#: Input of one hashing step.
_HASH_STEP = 4 * MIB


def run_steps(steps: Steps) -> Any:
    """Drive ``steps`` to the end at once; its result."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def bounded_decode(raw: bytes, content_encoding: str, limit: int) -> bytes:
    """``raw`` decoded from its Content-Encoding as mitmproxy's ``get_content(strict=False)`` does (the
    bytes as they came when they do not decode), but never more than ``limit`` bytes: ``_TooBig`` beyond.

    Only the codings browsers and SDKs send are decoded (gzip, deflate, br, zstd; identity); any other
    name keeps the bytes as they came (mitmproxy would try a Python codec of that name)."""
    return run_steps(_decode_steps(raw, content_encoding, limit))  # type: ignore[no-any-return]


def _zlib_steps(d: Any, raw: bytes, cap: int) -> Generator[None, None, tuple[bytes, bool]]:
    """Decompress ``raw`` with the zlib object ``d`` in steps of at most ``_DECODE_STEP`` output bytes, up to
    ``cap`` bytes: (output, whether the stream ended)."""
    out: list[bytes] = []
    size = 0
    data = raw
    while True:
        chunk = d.decompress(data, min(_DECODE_STEP, cap - size))
        out.append(chunk)
        size += len(chunk)
        data = d.unconsumed_tail
        if d.eof or size >= cap or (not data and not chunk):
            break
        if not data:  # all input consumed: what zlib still buffers comes out with a flush
            tail = d.flush(cap - size)
            out.append(tail)
            size += len(tail)
            break
        yield
    return b"".join(out), d.eof


def _decode_steps(raw: bytes, content_encoding: str, limit: int) -> Generator[None, None, bytes]:
    enc = content_encoding.strip().lower()
    if not raw or enc not in _DECODERS:
        return raw
    cap = limit + 1
    try:
        if enc == "gzip":
            out, _ = yield from _zlib_steps(zlib.decompressobj(47), raw, cap)
        elif enc in ("deflate", "deflateraw"):
            try:
                out, ended = yield from _zlib_steps(zlib.decompressobj(15), raw, cap)
            except zlib.error:
                out, ended = yield from _zlib_steps(zlib.decompressobj(-15), raw, cap)
            if len(out) < cap and not ended:
                return raw  # truncated stream: zlib.decompress (mitmproxy) refuses it
        elif enc == "br":
            import brotli

            b = brotli.Decompressor()
            out = b.process(raw, output_buffer_limit=cap)
            if len(out) < cap and not b.is_finished():
                return raw
            if len(out) >= cap or not b.can_accept_more_data():
                raise _TooBig
        else:
            from mitmproxy.net.encoding import zstd

            z = zstd.ZstdDecompressor()
            out = z.decompress(raw, max_length=cap)
            if len(out) < cap and not z.eof:
                return raw
    except _TooBig:
        raise
    except Exception:  # noqa: BLE001 - arbitrary bytes: a codec may raise anything; keep them as they came
        return raw
    if len(out) > limit:
        raise _TooBig
    return out


def _header(fields: Any, name: bytes) -> str:
    for k, v in fields:
        if k.lower() == name:
            return v.decode("latin-1")
    return ""


def is_costly(parts: tuple[Any, ...]) -> bool:
    """Whether journalling this flow takes more than about a millisecond: a body to base64 in slices, to
    decompress or to hash (the writer does those in steps, after the cheap records queued with them)."""
    for message in (parts[1], parts[2]):
        if message is None or message[2] is None:
            continue
        raw = message[2]
        if len(raw) > _SLICE or (raw and _header(message[1], b"content-encoding").strip().lower() in _DECODERS):
            return True
    return False


def _body_steps(raw: bytes | None, fields: Any,
                limits: Limits) -> Generator[None, None, tuple[bytes | None, dict[str, Any] | None]]:
    """(body to journal, ``body_omitted`` info or None)."""
    if raw is None:
        return None, None
    limit = min(limits.max_decoded, limits.max_body)
    ce = _header(fields, b"content-encoding")
    if len(raw) > limits.max_body:
        return None, (yield from _omitted_steps("max_body", raw, ce))
    declared = gzip_declared_size(raw) if ce.strip().lower() == "gzip" else None
    if declared is not None and declared > limit:
        # a gzip stream says how big it decodes to: a bomb is omitted without decoding its first 16 MiB
        reason = "max_body" if limits.max_body <= limits.max_decoded else "max_decoded"
        info = yield from _omitted_steps(reason, raw, ce, decoded_over=limit)
        info["declared_size"] = declared
        return None, info
    try:
        body = (yield from _decode_steps(raw, ce, limit)) if ce else raw
    except _TooBig:
        reason = "max_body" if limits.max_body <= limits.max_decoded else "max_decoded"
        return None, (yield from _omitted_steps(reason, raw, ce, decoded_over=limit))
    return body, None


#: deflate's largest possible expansion (a gzip trailer declaring more is not believed)
_DEFLATE_MAX_RATIO = 1032


def gzip_declared_size(raw: bytes) -> int | None:
    """The decoded size a one-member gzip stream declares in its trailer (ISIZE, RFC 1952), when it is
    possible for that many compressed bytes; None otherwise (decode to know)."""
    if len(raw) < 18 or raw[:2] != b"\x1f\x8b":
        return None
    size = int.from_bytes(raw[-4:], "little")
    return size if size <= _DEFLATE_MAX_RATIO * len(raw) else None


def _omitted_steps(reason: str, raw: bytes, ce: str,
                   decoded_over: int | None = None) -> Generator[None, None, dict[str, Any]]:
    digest = hashlib.sha256()
    view = memoryview(raw)
    for j in range(0, len(raw), _HASH_STEP):
        digest.update(view[j:j + _HASH_STEP])
        yield
    info: dict[str, Any] = {"reason": reason, "size": len(raw), "sha256": digest.hexdigest(),
                            "head": base64.b64encode(raw[:HEAD_BYTES]).decode("ascii")}
    if ce:
        info["content_encoding"] = ce
    if decoded_over is not None:
        info["decoded_over"] = decoded_over
    return info


_PLACEHOLDER = "\x00mcscope-body-" + secrets.token_hex(8)
_PLACEHOLDER_JSON = encode_record({"b": _PLACEHOLDER})[6:-2]  # how it appears in the line (escaped)


def encode_parts(parts: tuple[Any, ...], limits: Limits, shed: bool = False) -> list[bytes]:
    """The journal line of a flow (``flow_parts``) as a list of byte strings to write in a row (newline
    included). ``shed``: journal it without its bodies (the writer's queue was full)."""
    return run_steps(encode_steps(parts, limits, shed))  # type: ignore[no-any-return]


def encode_steps(parts: tuple[Any, ...], limits: Limits, shed: bool = False) -> Generator[None, None, list[bytes]]:
    """:func:`encode_parts` in steps of a few milliseconds each (decompression, hashing, base64 slices)."""
    flow_id, rq, rs, error, live, client = parts
    req_raw = rq[2]
    resp_raw = rs[2] if rs is not None else None
    if shed:
        req_body, req_omit = None, _shed(req_raw)
        resp_body, resp_omit = None, _shed(resp_raw)
    else:
        req_body, req_omit = yield from _body_steps(req_raw, rq[1], limits)
        resp_body, resp_omit = (yield from _body_steps(resp_raw, rs[1], limits)) if rs is not None else (None, None)
    # The Exchange of the flow (the adapter's URL and headers), bodies set after: already decoded here.
    bare = (flow_id, (*rq[:2], None, *rq[3:]), None if rs is None else (*rs[:2], None, *rs[3:]), error, live,
            client)
    ex = exchange_from_parts(bare)
    req_big = req_body is not None and len(req_body) > _SLICE
    resp_big = resp_body is not None and len(resp_body) > _SLICE
    ex.request_body = None if req_big else req_body
    if rs is not None:
        ex.response_body = None if resp_big else resp_body
    record = exchange_to_record(ex)
    big: list[bytes] = []
    for msg, body, is_big, omit in ((record["request"], req_body, req_big, req_omit),
                                    (record["response"], resp_body, resp_big, resp_omit)):
        if msg is None:
            continue
        if is_big:  # a placeholder in the record, base64-encoded in slices below
            msg["body"], msg["body_encoding"] = _PLACEHOLDER, "base64"
            big.append(body)  # type: ignore[arg-type]
        if omit is not None:
            msg["body_omitted"] = omit
    line = encode_record(record)
    if not big:
        return [line + b"\n"]
    out: list[bytes] = []
    pieces = line.split(_PLACEHOLDER_JSON)
    for i, piece in enumerate(pieces):
        out.append(piece)
        if i < len(big):
            body = big[i]
            for j in range(0, len(body), _SLICE):
                out.append(base64.b64encode(body[j:j + _SLICE]))
                yield
    out.append(b"\n")
    return out


def _shed(raw: bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    return {"reason": "queue_full", "size": len(raw), "sha256": None, "head": None}


def _body_size(parts: tuple[Any, ...]) -> int:
    rq, rs = parts[1], parts[2]
    return len(rq[2] or b"") + (len(rs[2] or b"") if rs is not None else 0)


# -- the writer ----------------------------------------------------------------------------------------
class Journal:
    """Background NDJSON writer. ``append``/``append_parts`` are cheap and thread-safe; ``close`` drains.

    ``on_error`` (optional) is called once, from the writer thread, with a message when writing fails;
    the journal then stops writing (the proxy keeps running). ``start`` is the offset of this run's first
    line (its header) in the file: a reader follows the capture from there.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        header: dict[str, Any] | None = None,
        on_error: Callable[[str], None] | None = None,
        limits: Limits | None = None,
        private_parent: bool = False,
    ) -> None:
        self.path = Path(path)
        self.limits = limits or Limits()
        # A plain deque: append/popleft are atomic and, unlike a queue, wake nobody. The writer polls
        # every FLUSH_INTERVAL instead of being woken per record.
        self._buf: deque[Any] = deque()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._on_error = on_error
        self.appended = 0  # flows handed in with append_parts
        self.written = 0  # exchange records written (not counting the header)
        self.shed = 0  # exchanges journalled without their bodies (queue full)
        self.truncated = 0  # bodies journalled truncated (max_body / max_decoded)
        self.failed: str | None = None
        self._queued_bytes = 0  # body bytes handed in (loop thread only)
        self._done_bytes = 0  # body bytes encoded (writer thread only)
        self._last_log = 0.0
        self._closed = False
        try:
            self._fh = _open_private(self.path, private_parent)
        except OSError as exc:
            raise JournalError(f"cannot open journal {self.path}: {exc.strerror or exc}") from exc
        self.start = self._fh.tell()
        self.size = self.start
        if header is not None:
            self._buf.append(header)
        self._thread = threading.Thread(target=self._run, name="mcscope-journal", daemon=True)
        self._thread.start()

    def append(self, record: dict[str, Any] | bytes) -> None:
        """Queue one record (a dict, or an already encoded NDJSON line) for writing. Never blocks."""
        if not self._closed:
            self._idle.clear()
            self._buf.append(record)

    def append_parts(self, parts: tuple[Any, ...]) -> None:
        """Queue a flow (``flow_parts``). Never blocks; beyond ``max_pending`` queued body bytes the flow
        is journalled without its bodies (counted in ``shed``, logged)."""
        if self._closed:
            return
        self.appended += 1
        size = _body_size(parts)
        if size and self._queued_bytes - self._done_bytes + size > self.limits.max_pending:
            self.shed += 1
            self._idle.clear()
            self._buf.append(("shed", parts, 0))
            self._note(f"mcscope: journal writer queue full (over mcscope_max_pending="
                       f"{self.limits.max_pending} bytes): {self.shed} exchange(s) journalled without "
                       "their bodies so far")
            return
        self._queued_bytes += size
        self._idle.clear()
        self._buf.append(("parts", parts, size))

    @property
    def pending_bytes(self) -> int:
        return self._queued_bytes - self._done_bytes

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written (tests, shutdown)."""
        if not self._thread.is_alive():
            return not self._buf
        self._idle.clear()
        return self._idle.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Write everything queued so far, then stop the writer thread."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._thread.join(timeout)

    def _note(self, message: str) -> None:
        now = time.monotonic()
        if now - self._last_log >= _LOG_EVERY:
            self._last_log = now
            log.warning("%s", message)

    # -- writer thread --------------------------------------------------------------------------
    def _run(self) -> None:
        last_sync = time.monotonic()
        try:
            while True:
                stopping = self._stop.wait(FLUSH_INTERVAL)
                self._write_pending()
                now = time.monotonic()
                if self.failed is None and now - last_sync >= FSYNC_INTERVAL:
                    last_sync = now
                    try:
                        os.fsync(self._fh.fileno())
                    except (OSError, ValueError):
                        pass
                if stopping:
                    self._write_pending()
                    return
        finally:
            try:
                self._fh.close()
            except (OSError, ValueError):
                pass
            self._idle.set()

    def _write_pending(self) -> None:
        """Write what is queued. Cheap records go first, in batches; a costly one (a big body to base64, a
        compressed one to decode, one to hash) is encoded in steps, and between its steps the cheap records
        that arrived meanwhile are written: a gzip bomb or a 10 MB upload on one connection never holds back
        the journalling of another connection's calls."""
        costly: deque[Any] = deque()
        while True:
            self._write_cheap(costly)
            if not costly:
                break
            item = costly.popleft()
            steps = self._encode_steps(item)
            while True:
                try:
                    next(steps)
                except StopIteration as done:
                    chunks = done.value
                    break
                if self._buf:
                    self._write_cheap(costly)
            if chunks is not None:
                self._write(chunks, 1)
        self._idle.set()

    def _write_cheap(self, costly: deque[Any]) -> None:
        """Write every cheap record queued now (in batches); move the costly ones to ``costly``."""
        buf = self._buf
        while buf:
            batch: list[bytes] = []
            size = 0
            count = 0
            for _ in range(min(len(buf), 2000)):
                item = buf.popleft()
                if isinstance(item, tuple) and item[0] == "parts" and is_costly(item[1]):
                    costly.append(item)
                    continue
                chunks = run_steps(self._encode_steps(item))
                if chunks is None:
                    continue
                batch.extend(chunks)
                size += sum(len(c) for c in chunks)
                if not (isinstance(item, dict) and item.get("type") == "journal"):
                    count += 1
                if size >= _BATCH_BYTES:
                    self._write(batch, count)
                    batch, size, count = [], 0, 0
            if batch:
                self._write(batch, count)

    def _encode_steps(self, item: Any) -> Generator[None, None, list[bytes] | None]:
        if isinstance(item, bytes):
            return [item if item.endswith(b"\n") else item + b"\n"]
        if isinstance(item, dict):
            try:
                return [encode_record(item) + b"\n"]
            except (TypeError, ValueError) as exc:
                log.warning("journal: record not JSON-serialisable, skipped: %s", exc)
                return None
        kind, parts, size = item
        try:
            chunks = yield from encode_steps(parts, self.limits, shed=kind == "shed")
        except Exception as exc:  # noqa: BLE001 - any flow mitmproxy accepted must be journalled somehow
            log.warning("mcscope: journal: cannot encode flow %s (%s); journalled without bodies",
                        parts[0] if parts else "?", exc)
            try:
                chunks = encode_parts(parts, self.limits, shed=True)
            except Exception:  # noqa: BLE001
                return None
        finally:
            self._done_bytes += size
        if b'"body_omitted":{"reason":"max_' in chunks[0]:
            self.truncated += 1
            self._note(f"mcscope: body over mcscope_max_body/mcscope_max_decoded journalled truncated "
                       f"(size and SHA-256 kept; {self.truncated} so far)")
        return chunks

    def _write(self, chunks: list[bytes], count: int) -> None:
        if self.failed is not None:
            return
        try:
            self._fh.writelines(chunks)
            self._fh.flush()
            self.size = self._fh.tell()
            self.written += count
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            self.failed = f"journal write failed ({self.path}): {reason}"
            log.warning("%s", self.failed)
            if self._on_error is not None:
                try:
                    self._on_error(self.failed)
                except Exception:  # pragma: no cover - callback bugs must not kill the writer
                    pass


def _open_private(path: Path, private_parent: bool) -> Any:
    """Open ``path`` for appending, 0600 (new directories 0700; ``private_parent``: make the existing
    parent 0700 too, for mcscope's own journals directory). A torn last line (a writer killed mid-write)
    is ended first, so the new header starts a line of its own."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if private_parent and os.name == "posix":
        st = path.parent.stat()
        if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        if os.name == "posix":
            st = os.fstat(fd)
            if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
                os.fchmod(fd, 0o600)
        fh = os.fdopen(fd, "a+b", buffering=1024 * 1024)
    except BaseException:
        os.close(fd)
        raise
    end = fh.seek(0, os.SEEK_END)
    if end:
        fh.seek(end - 1)
        last = fh.read(1)
        fh.seek(0, os.SEEK_END)
        if last != b"\n":
            fh.write(b"\n")
            fh.flush()
    return fh


# -- reading behind the writer ---------------------------------------------------------------------------
class Tail:
    """Follows a journal from an offset: :meth:`read` returns the complete lines written since."""

    def __init__(self, path: str | os.PathLike[str], offset: int = 0) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 - held for the capture
        self._fh.seek(offset)
        self._pieces: list[bytes] = []  # the start of a line still being written (never re-copied per read)
        self.offset = offset

    def read(self, max_bytes: int = 64 * MIB) -> list[bytes]:
        """Complete lines (without the newline) available now, from at most ``max_bytes`` read from the file
        (a line longer than that is assembled over several reads, each copying only what it read)."""
        data = self._fh.read(max_bytes)
        if not data:
            return []
        self.offset += len(data)
        if b"\n" not in data:
            self._pieces.append(data)
            return []
        lines = data.split(b"\n")  # each line copied once; the last item is what follows the last newline
        rest = lines.pop()
        if self._pieces:  # the first line began in earlier reads: one join, the only other copy
            self._pieces.append(lines[0])
            lines[0] = b"".join(self._pieces)
            self._pieces = []
        if rest:
            self._pieces.append(rest)
        return lines

    def read_until(self, end: int) -> list[bytes]:
        """Every complete line up to file offset ``end`` (the writer has finished)."""
        lines: list[bytes] = []
        while self.offset < end:
            before = self.offset
            lines.extend(self.read(min(64 * MIB, end - self.offset)))
            if self.offset == before:
                break
        return lines

    def close(self) -> None:
        self._fh.close()
