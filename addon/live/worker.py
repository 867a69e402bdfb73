"""The mcscope addon's analysis process: journal, analysis, viewer stream and reports off the proxy's loop.

mitmproxy runs every hook of every addon on one event loop in one thread (engineering-notes §1.8), so the
~100-200 µs that journalling, analysing and streaming one exchange costs would be taken from the proxy
itself. With ``mcscope_worker`` on (the default), the addon's hooks only copy a flow's raw fields
(``capture.flow_parts``, about 1 µs) and hand them to :class:`WorkerLink`, which batches them (every
:data:`SEND_INTERVAL`) into a pipe to a child process (``python -m mcscope.live.worker``) without ever blocking:
writes are non-blocking and what the pipe does not take waits in memory for the loop to see the pipe
writable again. The child runs the very same processing as the in-process addon (a
:class:`~mcscope.live.addon.McScope` whose settings come from the parent instead of ``ctx.options``): journal,
snapshot ring, Analyzer, stream server (on the listening socket the parent bound, so the parent knows
its port for the ``server_connect`` guard), stats, discovery file, and at the end the reports, whose
exit code and summary it sends back.

Frames, both ways: a 4-byte big-endian length and a pickle of ``(kind, payload)``. Parent -> child:
``start`` (settings), ``x`` (flows, as ``capture.flow_parts``; the child rebuilds exactly the Exchange
``flow_to_exchange`` gives), ``e`` (exchange tuples), ``config`` (rule options), ``backlog``, ``mock``,
``finish`` (report options). Child -> parent: ``ready``, ``done`` (exit code, report).

If the proxy dies (even ``kill -9``), the child reads end-of-file, keeps what it already journalled (the
journal is flushed every 30 ms), closes the stream and exits. If the child cannot start, the addon works
in-process as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

from mcscope.core.model import Exchange

log = logging.getLogger(__name__)

#: The parent sends what accumulated at most this often (the journal guarantee is 100 ms end to end).
SEND_INTERVAL = 0.02
#: What the parent keeps in memory when the child does not read; beyond it, exchanges are dropped.
MAX_BUFFER = 256 * 1024 * 1024
READY_TIMEOUT = 15.0
FINISH_TIMEOUT = 300.0
_LENGTH = struct.Struct("!I")


def frame(kind: str, payload: Any) -> bytes:
    data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def exchange_tuple(ex: Exchange) -> tuple[Any, ...]:
    """An Exchange as a plain tuple (pickles several times faster than the dataclass)."""
    return (ex.flow_id, ex.method, ex.url, ex.request_headers, ex.request_body, ex.response_status,
            ex.response_headers, ex.response_body, ex.timestamp_start, ex.timestamp_end, ex.error, ex.live,
            ex.client)


# --------------------------------------------------------------------------------------------------
# The proxy side


class RemoteStream:
    """The proxy process's view of the viewer stream the worker serves (address, and port for the guard)."""

    def __init__(self, address: str, tcp: bool, port: int | None) -> None:
        self.address = address
        self.tcp = tcp
        self.port = port

    def has_clients(self) -> bool:
        return False  # viewers are the worker's business

    def publish(self, msg: Any) -> None:
        pass

    def close_nowait(self) -> None:
        pass


class WorkerError(Exception):
    pass


class WorkerLink:
    """Hands exchanges to the analysis process; every method but :meth:`finish` returns at once."""

    def __init__(self, proc: subprocess.Popen[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self.proc = proc
        self.loop = loop
        self.ready: dict[str, Any] = {}
        self.dropped = 0
        self.failed: str | None = None
        self._fd = proc.stdin.fileno() if proc.stdin is not None else -1
        self._buf = bytearray()
        self._outbox: list[tuple[Any, ...]] = []
        self._scheduled = False
        self._watching = False

    @classmethod
    def start(cls, settings: dict[str, Any], pass_fds: tuple[int, ...] = ()) -> WorkerLink:
        """Start ``python -m mcscope.live.worker`` and wait until it serves (startup only); WorkerError if it fails."""
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "mcscope.live.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                pass_fds=pass_fds, start_new_session=True,
            )
        except OSError as exc:
            raise WorkerError(f"cannot start the analysis process: {exc}") from None
        link = cls(proc, asyncio.get_running_loop())
        try:
            link._write_all(frame("start", settings))
            kind, payload = link._read_frame(READY_TIMEOUT)
        except (OSError, WorkerError, EOFError, pickle.UnpicklingError) as exc:
            link.kill()
            raise WorkerError(f"the analysis process did not start ({exc})") from None
        if kind != "ready":
            link.kill()
            raise WorkerError(f"the analysis process said {kind!r} instead of ready")
        link.ready = payload
        os.set_blocking(link._fd, False)
        return link

    # -- sending ------------------------------------------------------------------------------------
    def submit(self, parts: tuple[Any, ...]) -> None:
        """A flow as ``capture.flow_parts`` gives it."""
        self._outbox.append(parts)
        if not self._scheduled:
            self._scheduled = True
            self.loop.call_later(SEND_INTERVAL, self.flush)

    def send(self, kind: str, payload: Any) -> None:
        """A control message, after every exchange submitted so far."""
        self.flush()
        self._queue(frame(kind, payload))

    def flush(self) -> None:
        self._scheduled = False
        if self._outbox:
            batch, self._outbox = self._outbox, []
            self._queue(frame("x", batch))

    def _queue(self, data: bytes) -> None:
        if self.failed is not None:
            return
        if len(self._buf) + len(data) > MAX_BUFFER:
            self.dropped += 1
            return
        self._buf += data
        self._write()

    def _write(self) -> None:
        try:
            while self._buf:
                written = os.write(self._fd, self._buf)
                del self._buf[:written]
        except BlockingIOError:
            pass
        except OSError as exc:  # BrokenPipeError: the analysis process is gone
            self._fail(f"the analysis process stopped ({exc.strerror or exc})")
            return
        if self._buf and not self._watching:
            self._watching = True
            self.loop.add_writer(self._fd, self._write)
        elif not self._buf and self._watching:
            self._watching = False
            self.loop.remove_writer(self._fd)

    def _fail(self, message: str) -> None:
        if self.failed is None:
            self.failed = message
            log.warning("mcscope: %s; no more journal, analysis or viewer stream in this run", message)
        self._buf.clear()
        if self._watching:
            self._watching = False
            with contextlib.suppress(Exception):
                self.loop.remove_writer(self._fd)

    # -- end ----------------------------------------------------------------------------------------
    def finish(self, payload: dict[str, Any], timeout: float = FINISH_TIMEOUT) -> dict[str, Any]:
        """Send everything, ask for the reports and wait for them (a shutdown hook may block)."""
        self.flush()
        if self._watching:
            self._watching = False
            with contextlib.suppress(Exception):
                self.loop.remove_writer(self._fd)
        if self.failed is not None:
            raise WorkerError(self.failed)
        try:
            os.set_blocking(self._fd, True)
            self._buf += frame("finish", payload)
            self._write_all(bytes(self._buf))
            self._buf.clear()
            kind, reply = self._read_frame(timeout)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            raise WorkerError(f"the analysis process failed at the end ({exc})") from None
        finally:
            self.close()
        if kind != "done":
            raise WorkerError(f"the analysis process answered {kind!r}")
        return reply

    def close(self, timeout: float = 10.0) -> None:
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        if self.proc.stdout is not None:
            with contextlib.suppress(OSError):
                self.proc.stdout.close()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(Exception):
            self.proc.wait(5)

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def _read_frame(self, timeout: float) -> tuple[str, Any]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        head = self._read_exactly(fd, _LENGTH.size, timeout)
        (size,) = _LENGTH.unpack(head)
        return pickle.loads(self._read_exactly(fd, size, timeout))

    @staticmethod
    def _read_exactly(fd: int, size: int, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        out = bytearray()
        while len(out) < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise WorkerError("timed out")
            chunk = os.read(fd, size - len(out))
            if not chunk:
                raise EOFError("the analysis process exited")
            out += chunk
        return bytes(out)


# --------------------------------------------------------------------------------------------------
# The analysis process


def _scope_class() -> type:
    from mcscope.live import addon as mitm

    class WorkerScope(mitm.McScope):
        """The in-process addon's processing, with the parent's settings instead of ``ctx.options``."""

        def __init__(self, settings: dict[str, Any]) -> None:
            super().__init__()
            self.settings = settings
            self._config = mitm.build_config(settings["ignore"], settings["severity"], settings["set"])
            self._ring = deque(maxlen=settings["backlog"])
            self._finish: dict[str, Any] = {}
            self._new_analyzer()

        def _start(self) -> None:
            if self._started:
                return
            self._started = True
            path = self.settings["journal"]
            if path is None:
                return
            from mcscope.live import journalwriter as journal_mod

            try:
                self.journal = journal_mod.Journal(Path(path), header=self.settings["journal_header"],
                                                   on_error=self._journal_failed)
                self.journal_path = Path(path)
            except journal_mod.JournalError as exc:
                log.warning("mcscope: %s (capture continues without a journal)", exc)

        def _listen(self) -> str | None:
            return self.settings["listen"]

        def _mock(self) -> bool:
            return bool(self.settings["mock"])

        def _sources(self) -> list[str]:
            return list(self._finish.get("sources") or ["live capture"])

        def _report_options(self) -> tuple[dict[str, str], str]:
            return dict(self._finish.get("outputs") or {}), str(self._finish.get("fail_on") or "error")

    return WorkerScope


async def _serve(settings: dict[str, Any], out: Any) -> None:
    scope = _scope_class()(settings)
    scope._start()
    stream = settings.get("stream")
    if stream is not None:
        import socket

        sock = socket.socket(fileno=stream["fd"])
        await scope._start_stream(stream["value"], stream["tcp"], stream["queue"], sock=sock,
                                  bound=(stream["socket_path"], stream["port"], stream["own_dir"]),
                                  token=stream["token"], pid=settings["pid"])
    _send(out, "ready", {"journal": str(scope.journal_path) if scope.journal_path else None,
                         "stream": scope.stream.address if scope.stream is not None else None,
                         "discovery": str(scope.discovery_path) if scope.discovery_path else None})
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**30, loop=loop)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), sys.stdin.buffer)
    while True:
        try:
            head = await reader.readexactly(_LENGTH.size)
            kind, payload = pickle.loads(await reader.readexactly(_LENGTH.unpack(head)[0]))
        except (asyncio.IncompleteReadError, pickle.UnpicklingError, EOFError):
            kind, payload = "eof", None
        if kind == "x":
            scope._pending.extend(_exchanges(payload))
            scope._drain()
        elif kind == "e":
            scope._pending.extend(Exchange(*t) for t in payload)
            scope._drain()
        elif kind == "config":
            scope._config = _build(payload)
            scope._rebuild_analyzer()
        elif kind == "backlog":
            scope._ring = deque(scope._ring, maxlen=payload)
        elif kind == "mock":
            scope.settings["mock"] = payload
        elif kind == "finish":
            scope._finish = payload
            scope.done()
            _send(out, "done", {"exit_code": scope.exit_code, "report": scope.report})
            return
        elif kind == "eof":  # the proxy is gone: keep the journal, write no reports
            scope._finish = {"outputs": {}}
            scope.done()
            return


def _exchanges(batch: list[tuple[Any, ...]]) -> list[Exchange]:
    from mcscope.io.flows import exchange_from_parts

    out = []
    for parts in batch:
        try:
            out.append(exchange_from_parts(parts))
        except Exception as exc:  # bad input never breaks the capture
            log.warning("mcscope: cannot read flow %s: %s", parts[0] if parts else "?", exc)
    return out


def _build(options: tuple[Any, Any, Any]) -> Any:
    from mcscope.live import addon as mitm

    return mitm.build_config(*options)


def _send(out: Any, kind: str, payload: Any) -> None:
    out.write(frame(kind, payload))
    out.flush()


#: The analysis process yields the CPU to the proxy (and to the players on the same machine).
NICE = 10


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the proxy decides when to stop (finish frame or EOF)
    with contextlib.suppress(OSError, AttributeError):
        os.nice(NICE)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the pipe
    try:  # unbuffered: the rest of stdin belongs to the event loop's pipe reader
        size = _LENGTH.unpack(WorkerLink._read_exactly(0, _LENGTH.size, READY_TIMEOUT))[0]
        kind, settings = pickle.loads(WorkerLink._read_exactly(0, size, READY_TIMEOUT))
    except (WorkerError, EOFError, OSError, pickle.UnpicklingError, struct.error):
        return 2
    if kind != "start":
        return 2
    asyncio.run(_serve(settings, stdout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
