"""The analysis process: the capture's :class:`~mcscope.live.pipeline.Pipeline` off the proxy's loop.

mitmproxy runs every hook of every addon on one event loop in one thread (engineering-notes §1.8). The
journal is written first, in the proxy process, by the writer thread of :mod:`mcscope.live.journalwriter`
(the record of truth, whatever happens to the analysis); with ``mcscope_worker`` on (the default) a child
process (``python -m mcscope.live.worker``) reads behind it: it follows the journal file (or the private
spool when the journal is off) and runs the backlog, the viewer stream and, when wanted, the analysis. So
nothing but a few control frames goes from the proxy to the child, and a slow child costs the proxy no
memory and no delay. The child serves the viewer-stream socket the proxy process bound (the proxy keeps
its copy: it knows the port for the ``server_connect`` guard, and a restarted child serves it again).

:class:`WorkerLink` (the proxy side) watches the child: if it dies (``kill -9``, a crash), the death is
logged and a new child is started (at most :data:`MAX_RESTARTS` times per :data:`RESTART_WINDOW`); it reads
the capture from its first record again, so its analysis, backlog and snapshot are whole, and tells the
viewers that attach (hello ``restarts``, a ``log`` message). At the end the proxy finishes the journal,
tells the child up to which offset to read, and gets the reports; if the child is dead then, a new one is
started to produce them. The proxy removes whatever the child could not (discovery file, socket, spool).

Frames, both ways: a 4-byte big-endian length and a pickle of ``(kind, payload)``. Parent -> child:
``start`` (settings, stream spec and socket fd), ``rules`` (a Config), ``analyse``, ``backlog``, ``mock``,
``finish`` (a ReportRequest and the journal's final size). Child -> parent: ``ready`` (discovery path),
``done`` (an Outcome).

If the proxy dies (even ``kill -9``), the child reads end-of-file, closes the stream and exits; the journal
holds everything the writer had written.
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
from mcscope.live import stream as stream_mod
from mcscope.live import viewers
from mcscope.live.journalwriter import Journal, Limits
from mcscope.live.link import remove_spool
from mcscope.live.options import Settings
from mcscope.live.pipeline import Pipeline
from mcscope.live.reports import Outcome, ReportRequest
from mcscope.live.viewers import StreamSpec

log = logging.getLogger(__name__)

#: Restarts of a dying analysis process allowed within RESTART_WINDOW seconds.
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0
READY_TIMEOUT = 15.0
FINISH_TIMEOUT = 300.0
#: The analysis process reads what the writer wrote this often.
POLL_INTERVAL = 0.02
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
    """The journal writer in the proxy process plus the analysis process reading behind it, restarted when
    it dies; every method but :meth:`finish` returns at once."""

    def __init__(self, settings: Settings, stream: tuple[socket.socket, StreamSpec] | None, journal: Journal,
                 spool: Path | None, loop: asyncio.AbstractEventLoop) -> None:
        self.settings = settings
        self.stream = stream
        self.journal = journal
        self._spool = spool
        self.loop = loop
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready: dict[str, Any] = {}
        self.restarts = 0
        self._deaths: list[float] = []
        self.failed: str | None = None
        self._fd = -1
        self._out = bytearray()  # to the child (control frames only)
        self._in = bytearray()  # from the child
        self._watching = False
        self._reading = False
        self._finishing = False

    @classmethod
    def start(cls, settings: Settings, stream: tuple[socket.socket, StreamSpec] | None, journal: Journal,
              spool: Path | None = None) -> WorkerLink:
        """Start ``python -m mcscope.live.worker`` and wait until it serves (startup only); WorkerError if
        not. ``stream``: the bound viewer socket; the link keeps it (a restarted child serves it again)."""
        link = cls(settings, stream, journal, spool, asyncio.get_running_loop())
        link._spawn()
        assert link.proc is not None
        try:
            kind, payload = link._read_frame(READY_TIMEOUT)
        except (OSError, WorkerError, EOFError, pickle.UnpicklingError) as exc:
            link._kill()
            raise WorkerError(f"the analysis process did not start ({exc})") from None
        if kind != "ready":
            link._kill()
            raise WorkerError(f"the analysis process said {kind!r} instead of ready")
        link.ready = payload
        link._watch()
        return link

    @property
    def exchanges(self) -> int:
        return self.journal.appended

    @property
    def journal_path(self) -> Path | None:
        return self.settings.journal

    @property
    def discovery_path(self) -> Path | None:
        value = self.ready.get("discovery")
        return Path(value) if value else None

    # -- the child ----------------------------------------------------------------------------------
    def _spawn(self) -> None:
        fds = (self.stream[0].fileno(),) if self.stream is not None else ()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "mcscope.live.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                pass_fds=fds, start_new_session=True,
            )
        except OSError as exc:
            raise WorkerError(f"cannot start the analysis process: {exc}") from None
        self.proc = proc
        assert proc.stdin is not None
        self._fd = proc.stdin.fileno()
        self._out.clear()
        self._in.clear()
        self.settings.restarts = self.restarts
        spec = (self.stream[1], fds[0]) if self.stream is not None else None
        try:
            _write_all(self._fd, frame("start", (self.settings, spec)))
        except OSError as exc:
            self._kill()
            raise WorkerError(f"cannot start the analysis process: {exc}") from None
        os.set_blocking(self._fd, False)

    def _watch(self) -> None:
        """Notice the child's end (its stdout reaches end of file) and its ready frame after a restart."""
        if self.proc is not None and self.proc.stdout is not None and not self._reading:
            self._reading = True
            self.loop.add_reader(self.proc.stdout.fileno(), self._readable)

    def _unwatch(self) -> None:
        with contextlib.suppress(OSError, ValueError, RuntimeError):  # fd or loop already closed
            if self._reading and self.proc is not None and self.proc.stdout is not None:
                self.loop.remove_reader(self.proc.stdout.fileno())
            if self._watching:
                self.loop.remove_writer(self._fd)
        self._reading = self._watching = False

    def _readable(self) -> None:
        proc = self.proc
        if proc is None or proc.stdout is None:
            return
        try:
            data = os.read(proc.stdout.fileno(), 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._died()
            return
        self._in += data
        while len(self._in) >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(self._in)
            if len(self._in) < _LENGTH.size + size:
                break
            body = bytes(self._in[_LENGTH.size:_LENGTH.size + size])
            del self._in[:_LENGTH.size + size]
            with contextlib.suppress(Exception):
                kind, payload = pickle.loads(body)
                if kind == "ready":
                    self.ready = payload

    def _died(self) -> None:
        """The child is gone: reap it, say so, start another (the journal never stopped)."""
        proc = self.proc
        self._unwatch()
        self.proc = None
        code = _reap(proc)
        if self._finishing:
            return
        now = time.monotonic()
        self._deaths = [t for t in self._deaths if now - t < RESTART_WINDOW] + [now]
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        if len(self._deaths) > MAX_RESTARTS:
            self.failed = (f"the analysis process stopped ({how}) {len(self._deaths)} times within "
                           f"{RESTART_WINDOW:.0f} s; not restarted until the end of the capture")
            log.warning("mcscope: %s (the journal goes on; the reports are made at the end)", self.failed)
            return
        self.restarts += 1
        log.warning("mcscope: the analysis process stopped (%s); restarting it (restart %d): the journal is "
                    "complete, the new process reads it again from the start", how, self.restarts)
        try:
            self._spawn()
        except WorkerError as exc:
            self.failed = str(exc)
            log.warning("mcscope: %s (the journal goes on)", exc)
            return
        self._watch()

    # -- sending ------------------------------------------------------------------------------------
    def submit(self, parts: tuple[Any, ...]) -> None:
        """A flow as ``mcscope.io.flows.flow_parts`` gives it: to the journal writer (never blocks)."""
        self.journal.append_parts(parts)

    def flush(self) -> None:
        """Write everything queued (tests)."""
        self.journal.drain()

    def set_rules(self, config: Config) -> None:
        self.settings.config = config
        self.send("rules", config)

    def set_analyse(self, on: bool) -> None:
        self.settings.analyse = on
        self.send("analyse", on)

    def set_backlog(self, size: int) -> None:
        self.settings.backlog = size
        self.send("backlog", size)

    def set_mock(self, on: bool) -> None:
        self.settings.mock = on
        self.send("mock", on)

    def set_limits(self, limits: Limits) -> None:
        self.journal.limits = limits

    def send(self, kind: str, payload: Any) -> None:
        """A control message (a restarted child gets the current settings in its start frame instead)."""
        if self.proc is None:
            return
        self._out += frame(kind, payload)
        self._write()

    def _write(self) -> None:
        try:
            while self._out:
                written = os.write(self._fd, self._out)
                del self._out[:written]
        except BlockingIOError:
            pass
        except OSError:  # BrokenPipeError: the child is gone; _readable notices and restarts it
            self._out.clear()
        if self._out and not self._watching:
            self._watching = True
            self.loop.add_writer(self._fd, self._write)
        elif not self._out and self._watching:
            self._watching = False
            self.loop.remove_writer(self._fd)

    # -- end ----------------------------------------------------------------------------------------
    def finish(self, request: ReportRequest, timeout: float = FINISH_TIMEOUT) -> Outcome:
        """Finish the journal, have the child read all of it and write the reports (a shutdown hook may
        block); a dead child is replaced first, once more if it dies meanwhile."""
        self._finishing = True
        self._unwatch()
        self.journal.close()
        end = self.journal.size
        problem = "no analysis process"
        try:
            for _attempt in range(3):
                try:
                    if self.proc is None or self.proc.poll() is not None:
                        _reap(self.proc)
                        self.restarts += 1
                        log.warning("mcscope: the analysis process is not running; starting one for the "
                                    "reports (it reads the whole journal)")
                        self._spawn()
                        kind, payload = self._read_frame(READY_TIMEOUT)
                        if kind == "ready":
                            self.ready = payload
                    assert self.proc is not None
                    os.set_blocking(self._fd, True)
                    _write_all(self._fd, bytes(self._out) + frame("finish", (request, end)))
                    self._out.clear()
                    while True:
                        kind, reply = self._read_frame(timeout)
                        if kind != "ready":
                            break
                    if kind == "done" and isinstance(reply, Outcome):
                        return reply
                    problem = f"the analysis process answered {kind!r}"
                except (OSError, EOFError, WorkerError, pickle.UnpicklingError) as exc:
                    problem = f"the analysis process failed at the end ({exc})"
                log.warning("mcscope: %s; trying again with a new one", problem)
                self._kill()
                self.proc = None
            raise WorkerError(problem)
        finally:
            self.close()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the child and remove what it leaves (socket, its directory, discovery file, spool)."""
        self._unwatch()
        proc = self.proc
        if proc is not None:
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill()
            if proc.stdout is not None:
                with contextlib.suppress(OSError):
                    proc.stdout.close()
        if self.stream is not None:
            viewers.release(*self.stream)
            self.stream = None
        with contextlib.suppress(OSError):
            (stream_mod.streams_dir() / f"{self.settings.pid}.json").unlink()
        remove_spool(self._spool)

    def _kill(self) -> None:
        proc = self.proc
        if proc is None:
            return
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    def _read_frame(self, timeout: float) -> tuple[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        head = read_exactly(fd, _LENGTH.size, timeout)
        (size,) = _LENGTH.unpack(head)
        return pickle.loads(read_exactly(fd, size, timeout))


def _reap(proc: subprocess.Popen[bytes] | None) -> int | None:
    """Wait for a child that has closed its end (no zombie); its return code."""
    if proc is None:
        return None
    try:
        code = proc.wait(2)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            proc.kill()
        code = proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
    return code


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [], 1.0)
            continue
        view = view[written:]


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
    "rules": Pipeline.set_rules,
    "analyse": Pipeline.set_analyse,
    "backlog": Pipeline.set_backlog,
    "mock": Pipeline.set_mock,
}


async def serve(settings: Settings, stream: tuple[StreamSpec, int] | None, out: BinaryIO) -> None:
    """Run the pipeline behind the journal until ``finish`` or end of file from the proxy."""
    pipeline = Pipeline(settings)
    pipeline.open()
    if stream is not None:
        spec, fd = stream
        await pipeline.serve(socket.socket(fileno=fd), spec)
    discovery = pipeline.viewers.discovery_path if pipeline.viewers is not None else None
    _send(out, "ready", {"discovery": str(discovery) if discovery else None})
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**30, loop=loop)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), sys.stdin.buffer)
    follower = loop.create_task(_follow(pipeline))
    try:
        while True:
            try:
                head = await reader.readexactly(_LENGTH.size)
                kind, payload = pickle.loads(await reader.readexactly(_LENGTH.unpack(head)[0]))
            except (asyncio.IncompleteReadError, pickle.UnpicklingError, EOFError):
                return  # the proxy is gone: write no reports
            if kind == "finish":
                follower.cancel()
                request, end = payload
                outcome = _finish(pipeline, request, end)
                pipeline.close()  # the stream gone before the proxy hears "done"
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
        follower.cancel()
        pipeline.close()


async def _follow(pipeline: Pipeline) -> None:
    """Read behind the writer: every POLL_INTERVAL, or at once while there is more to read."""
    while True:
        try:
            n = pipeline.poll()
        except Exception as exc:  # noqa: BLE001 - keep following
            log.warning("mcscope: cannot read the journal: %s", exc)
            n = 0
        await asyncio.sleep(0 if n else POLL_INTERVAL)


def _finish(pipeline: Pipeline, request: ReportRequest, end: int) -> Outcome:
    try:
        pipeline.catch_up(end)
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
