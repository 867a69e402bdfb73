"""The analysis process: the capture's :class:`~mcscope.live.pipeline.Pipeline` off the proxy's loop.

mitmproxy runs every hook of every addon on one event loop in one thread (engineering-notes §1.8), so the
~100-200 µs that journalling, analysing and streaming one exchange costs would be taken from the proxy
itself. With ``mcscope_worker`` on (the default), the addon's hooks only copy a flow's raw fields
(``mcscope.io.flows.flow_parts``, about 1 µs) and hand them to :class:`WorkerLink`, which batches them
(every :data:`SEND_INTERVAL`) into a pipe to a child process (``python -m mcscope.live.worker``) without
ever blocking: writes are non-blocking and what the pipe does not take waits in memory for the loop to see
the pipe writable again. The child runs the very pipeline the in-process mode runs
(:class:`~mcscope.live.link.LocalLink`), with the same :class:`~mcscope.live.options.Settings`, on the
viewer-stream socket the proxy process bound (so the proxy knows its port for the ``server_connect``
guard).

Frames, both ways: a 4-byte big-endian length and a pickle of ``(kind, payload)``. Parent -> child:
``start`` (settings, stream spec, socket fd), ``x`` (a batch of flow parts), ``rules`` (a Config),
``analyse``, ``backlog``, ``mock``, ``finish`` (a ReportRequest). Child -> parent: ``ready`` (journal and
discovery paths), ``done`` (an Outcome).

If the proxy dies (even ``kill -9``), the child reads end-of-file, keeps what it already journalled (the
journal is flushed every 30 ms), closes the stream and exits. If the child cannot start, the addon runs the
pipeline in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from mcscope.core.config import Config
from mcscope.core.verdict import EXIT_USAGE
from mcscope.live.options import Settings
from mcscope.live.pipeline import Pipeline
from mcscope.live.reports import Outcome, ReportRequest
from mcscope.live.viewers import StreamSpec

log = logging.getLogger(__name__)

#: The parent sends what accumulated at most this often (the journal guarantee is 100 ms end to end).
SEND_INTERVAL = 0.02
#: What the parent keeps in memory when the child does not read; beyond it, exchanges are dropped.
MAX_BUFFER = 256 * 1024 * 1024
READY_TIMEOUT = 15.0
FINISH_TIMEOUT = 300.0
#: The analysis process yields the CPU to the proxy (and to the players on the same machine).
NICE = 10
_LENGTH = struct.Struct("!I")


def frame(kind: str, payload: Any) -> bytes:
    data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


class WorkerError(Exception):
    pass


# --------------------------------------------------------------------------------------------------
# The proxy side


class WorkerLink:
    """Hands flows to the analysis process; every method but :meth:`finish` returns at once."""

    def __init__(self, proc: subprocess.Popen[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self.proc = proc
        self.loop = loop
        self.ready: dict[str, Any] = {}
        self.exchanges = 0  # flows handed over
        self.dropped = 0
        self.failed: str | None = None
        self._fd = proc.stdin.fileno() if proc.stdin is not None else -1
        self._buf = bytearray()
        self._outbox: list[tuple[Any, ...]] = []
        self._scheduled = False
        self._watching = False

    @classmethod
    def start(cls, settings: Settings, stream: tuple[socket.socket, StreamSpec] | None = None) -> WorkerLink:
        """Start ``python -m mcscope.live.worker``, wait until it serves (startup only); WorkerError if not.

        ``stream``: the bound viewer socket, inherited by the child (the caller still owns its copy)."""
        fds = (stream[0].fileno(),) if stream is not None else ()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "mcscope.live.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                pass_fds=fds, start_new_session=True,
            )
        except OSError as exc:
            raise WorkerError(f"cannot start the analysis process: {exc}") from None
        link = cls(proc, asyncio.get_running_loop())
        spec = (stream[1], fds[0]) if stream is not None else None
        try:
            link._write_all(frame("start", (settings, spec)))
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

    @property
    def journal_path(self) -> Path | None:
        value = self.ready.get("journal")
        return Path(value) if value else None

    @property
    def discovery_path(self) -> Path | None:
        value = self.ready.get("discovery")
        return Path(value) if value else None

    # -- sending ------------------------------------------------------------------------------------
    def submit(self, parts: tuple[Any, ...]) -> None:
        """A flow as ``mcscope.io.flows.flow_parts`` gives it."""
        self.exchanges += 1
        self._outbox.append(parts)
        if not self._scheduled:
            self._scheduled = True
            self.loop.call_later(SEND_INTERVAL, self.flush)

    def set_rules(self, config: Config) -> None:
        self.send("rules", config)

    def set_analyse(self, on: bool) -> None:
        self.send("analyse", on)

    def set_backlog(self, size: int) -> None:
        self.send("backlog", size)

    def set_mock(self, on: bool) -> None:
        self.send("mock", on)

    def send(self, kind: str, payload: Any) -> None:
        """A control message, after every flow submitted so far."""
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

    def _unwatch(self) -> None:
        if self._watching:
            self._watching = False
            with contextlib.suppress(OSError, ValueError, RuntimeError):  # fd or loop already closed
                self.loop.remove_writer(self._fd)

    def _fail(self, message: str) -> None:
        if self.failed is None:
            self.failed = message
            log.warning("mcscope: %s; no more journal, analysis or viewer stream in this run", message)
        self._buf.clear()
        self._unwatch()

    # -- end ----------------------------------------------------------------------------------------
    def finish(self, request: ReportRequest, timeout: float = FINISH_TIMEOUT) -> Outcome:
        """Send everything, ask for the reports and wait for them (a shutdown hook may block)."""
        self.flush()
        self._unwatch()
        if self.failed is not None:
            raise WorkerError(self.failed)
        try:
            os.set_blocking(self._fd, True)
            self._buf += frame("finish", request)
            self._write_all(bytes(self._buf))
            self._buf.clear()
            kind, reply = self._read_frame(timeout)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            raise WorkerError(f"the analysis process failed at the end ({exc})") from None
        finally:
            self.close()
        if kind != "done" or not isinstance(reply, Outcome):
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
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def _read_frame(self, timeout: float) -> tuple[str, Any]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        head = read_exactly(fd, _LENGTH.size, timeout)
        (size,) = _LENGTH.unpack(head)
        return pickle.loads(read_exactly(fd, size, timeout))


def read_exactly(fd: int, size: int, timeout: float) -> bytes:
    """``size`` bytes from a blocking fd within ``timeout`` (WorkerError), EOFError at end of file."""
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

#: The frames that change the running pipeline (``finish`` and end of file end it).
_HANDLERS: dict[str, Callable[[Pipeline, Any], None]] = {
    "x": Pipeline.feed_parts,
    "rules": Pipeline.set_rules,
    "analyse": Pipeline.set_analyse,
    "backlog": Pipeline.set_backlog,
    "mock": Pipeline.set_mock,
}


async def serve(settings: Settings, stream: tuple[StreamSpec, int] | None, out: BinaryIO) -> None:
    """Run the pipeline on what the proxy process sends until ``finish`` or end of file."""
    pipeline = Pipeline(settings)
    pipeline.open()
    if stream is not None:
        spec, fd = stream
        await pipeline.serve(socket.socket(fileno=fd), spec)
    journal = pipeline.journal_path
    discovery = pipeline.viewers.discovery_path if pipeline.viewers is not None else None
    _send(out, "ready", {"journal": str(journal) if journal else None,
                         "discovery": str(discovery) if discovery else None})
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**30, loop=loop)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), sys.stdin.buffer)
    try:
        while True:
            try:
                head = await reader.readexactly(_LENGTH.size)
                kind, payload = pickle.loads(await reader.readexactly(_LENGTH.unpack(head)[0]))
            except (asyncio.IncompleteReadError, pickle.UnpicklingError, EOFError):
                return  # the proxy is gone: keep the journal, write no reports
            if kind == "finish":
                outcome = _finish(pipeline, payload)
                pipeline.close()  # everything journalled and the stream gone before the proxy hears "done"
                _send(out, "done", outcome)
                return
            handler = _HANDLERS.get(kind)
            if handler is None:
                log.warning("mcscope: unknown frame %r from the proxy", kind)
                continue
            try:
                handler(pipeline, payload)
            except Exception as exc:  # noqa: BLE001 - the child's main loop: one bad frame must not end the capture
                log.warning("mcscope: the analysis process could not handle %r: %s", kind, exc)
    finally:
        pipeline.close()


def _finish(pipeline: Pipeline, request: ReportRequest) -> Outcome:
    try:
        return pipeline.finish(request)
    except Exception as exc:  # noqa: BLE001 - the child's main loop: the proxy must get an answer (exit code 2)
        log.warning("mcscope: cannot finish the analysis: %s", exc)
        return Outcome(None, EXIT_USAGE)


def _send(out: BinaryIO, kind: str, payload: Any) -> None:
    out.write(frame(kind, payload))
    out.flush()


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the proxy decides when to stop (finish frame or EOF)
    with contextlib.suppress(OSError, AttributeError):
        os.nice(NICE)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the pipe
    try:  # unbuffered: the rest of stdin belongs to the event loop's pipe reader
        size = _LENGTH.unpack(read_exactly(0, _LENGTH.size, READY_TIMEOUT))[0]
        kind, payload = pickle.loads(read_exactly(0, size, READY_TIMEOUT))
    except (WorkerError, EOFError, OSError, pickle.UnpicklingError, struct.error):
        return 2
    if kind != "start":
        return 2
    settings, stream = payload
    asyncio.run(serve(settings, stream, stdout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
