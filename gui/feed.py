"""Where the window's exchanges come from: the live stream (QLocalSocket) or capture files (a QThread).

Both hand out the same thing — exchange records / :class:`mcscope.core.model.Exchange` objects — judged by
the core's :class:`mcscope.core.session.Analyzer`: the stream's by the window's own, each file by one of
its own (as ``mcscope check`` judges it).

Stream protocol (NDJSON over a Unix socket, see addon/stream.py): the client writes
``{"v": 1, "token": ...}``; the server answers ``hello``, ``snapshot`` and then deltas, of which the GUI
uses ``exchange`` (every exchange), ``gap``, ``stats`` and ``log``.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal
from PySide6.QtNetwork import QLocalSocket

from mcscope.core.config import Config
from mcscope.core.session import Analyzer
from mcscope.gui.dataset import FileEnd, FilesJudging, HeaderPool, LoadResult, ReadItem, read_files

__all__ = ["FileLoader", "LoadResult", "StreamClient"]

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
RETRY_INTERVAL_MS = 100
MAX_LINE = 64 * 1024 * 1024


class StreamClient(QObject):
    """Client of the addon's live stream. Emits batches, never one signal per message."""

    hello = Signal(dict)
    #: the records of a (re)connection snapshot: the receiver rebuilds its state from them
    snapshot = Signal(list, int)
    #: exchange records that arrived since the last batch
    records = Signal(list)
    gap = Signal(int)
    stats = Signal(dict)
    log_message = Signal(str, str)
    connected = Signal()
    #: the connection ended (reason); not emitted by an explicit close()
    disconnected = Signal(str)
    #: could not connect / authentication refused (reason)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sock = QLocalSocket(self)
        self._sock.connected.connect(self._on_connected)
        self._sock.readyRead.connect(self._on_ready_read)
        self._sock.disconnected.connect(self._on_disconnected)
        self._sock.errorOccurred.connect(self._on_error)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._attempt)
        self.path = ""
        self.token = ""
        self.server_info: dict[str, Any] = {}
        self.messages = 0
        self._deadline = 0.0
        self._closing = False
        self._is_up = False

    # -- public API -------------------------------------------------------------------------------------
    def connect_to(self, path: str, token: str, wait_s: float = 10.0) -> None:
        """Connect, retrying for up to ``wait_s`` seconds while the socket does not exist yet."""
        self.close()
        self.path = path
        self.token = token
        self._closing = False
        self._deadline = time.monotonic() + wait_s
        self._attempt()

    def reconnect(self) -> None:
        """Resync: drop the connection and connect again (the server sends a fresh snapshot)."""
        if self.path:
            self.connect_to(self.path, self.token, wait_s=5.0)

    def close(self) -> None:
        self._closing = True
        self._retry.stop()
        self._is_up = False
        if self._sock.state() != QLocalSocket.LocalSocketState.UnconnectedState:
            self._sock.abort()

    def is_connected(self) -> bool:
        return self._is_up

    # -- internals --------------------------------------------------------------------------------------
    def _attempt(self) -> None:
        if self._closing and not self.path:
            return
        self._closing = False
        self._sock.abort()
        self._sock.connectToServer(self.path)

    def _on_connected(self) -> None:
        hello = json.dumps({"v": PROTOCOL_VERSION, "token": self.token}) + "\n"
        self._sock.write(hello.encode())
        self._sock.flush()

    def _on_error(self, error: QLocalSocket.LocalSocketError) -> None:
        if self._closing:
            return
        retryable = error in (
            QLocalSocket.LocalSocketError.ServerNotFoundError,
            QLocalSocket.LocalSocketError.ConnectionRefusedError,
        )
        if not self._is_up and retryable and time.monotonic() < self._deadline:
            self._retry.start(RETRY_INTERVAL_MS)
            return
        if not self._is_up and error != QLocalSocket.LocalSocketError.PeerClosedError:
            self._closing = True
            self.failed.emit(f"cannot connect to the capture stream {self.path}: {self._sock.errorString()}")

    def _on_disconnected(self) -> None:
        if self._closing:
            return
        self._on_ready_read()
        was_up = self._is_up
        self._is_up = False
        if was_up:
            self.disconnected.emit("the capture stream closed")

    def _on_ready_read(self) -> None:
        batch: list[dict[str, Any]] = []
        sock = self._sock
        while sock.canReadLine():
            raw = bytes(sock.readLine().data())
            try:
                msg = json.loads(raw)
            except ValueError:
                log.warning("ignoring a malformed stream line (%d bytes)", len(raw))
                continue
            if not isinstance(msg, dict):
                continue
            self.messages += 1
            kind = msg.get("type")
            if kind == "exchange":
                rec = msg.get("record")
                if isinstance(rec, dict):
                    batch.append(rec)
                continue
            # keep the order: deliver what came before a control message first
            if batch:
                self.records.emit(batch)
                batch = []
            self._dispatch(kind, msg)
        if batch:
            self.records.emit(batch)

    def _dispatch(self, kind: object, msg: dict[str, Any]) -> None:
        if kind == "hello":
            self.server_info = msg
            self._is_up = True
            self.hello.emit(msg)
            self.connected.emit()
        elif kind == "snapshot":
            recs = [r for r in msg.get("records") or [] if isinstance(r, dict)]
            self.snapshot.emit(recs, int(msg.get("dropped") or 0))
        elif kind == "gap":
            self.gap.emit(int(msg.get("missed") or 0))
        elif kind == "stats":
            self.stats.emit(msg)
        elif kind == "log":
            self.log_message.emit(str(msg.get("level", "info")), str(msg.get("message", "")))
        elif kind == "error":
            reason = str(msg.get("reason") or msg.get("message") or "refused")
            self._closing = True
            self._is_up = False
            self._sock.abort()
            self.failed.emit(f"the capture stream refused the connection ({reason})")


# -- files ----------------------------------------------------------------------------------------------
class FileLoader(QThread):
    """Opens capture files progressively: the thread reads (:func:`dataset.read_files`), the GUI thread judges
    what was read in short slices (:class:`dataset.FilesJudging`, each file as ``mcscope check`` judges it), so
    the sessions appear while the files load and the window's event loop never waits long.

    Sessions are only ever changed by the thread that shows them: nothing is shared while it changes. The
    reader reads on only while a slice runs (``_gate``): between slices the GUI thread paints, calling into
    Python for every cell, and a reader holding the GIL would make each of those calls wait for it (seen:
    1.7 s paints while a 200,000-event journal loaded).

    ``partial`` (every ``PARTIAL_MS`` or so) gives the :class:`dataset.FilesJudging` to show; ``loaded`` the
    final :class:`dataset.LoadResult` (the same sessions and findings as one uninterrupted load).
    After :meth:`cancel` the loader emits nothing more.
    """

    #: exchanges judged so far, progress in permille over all files
    progress = Signal(int, int)
    #: FilesJudging: more sessions or events to show (batched)
    partial = Signal(object)
    loaded = Signal(object)  # LoadResult

    PROGRESS_EVERY = 2000
    #: GUI-thread time spent judging (or waiting for the reader) before the event loop runs again
    SLICE_MS = 12
    #: how often what was judged is shown while loading, at least
    PARTIAL_MS = 250
    #: showing may take at most 1/SHOW_SHARE of the load: when the window takes longer to show a batch (big
    #: session lists and overviews paint slowly), the next one waits longer
    SHOW_SHARE = 8
    BATCH = 32

    def __init__(self, paths: list[str], config: Config | Callable[[], Analyzer],
                 parent: QObject | None = None) -> None:
        """``config``: the analysis configuration, or (older callers) a factory of Analyzers using it."""
        super().__init__(parent)
        self.paths = [str(p) for p in paths]
        self._config = config
        self._cancel = False
        self._queue: deque[ReadItem] = deque()
        self._cond = threading.Condition()
        self._gate = threading.Event()
        self._read_done = False
        self._finished = False
        self._judging: FilesJudging | None = None
        self._last_partial = 0.0
        self._partial_wait = self.PARTIAL_MS / 1000
        self._shown_at: float | None = None  # a partial was emitted: measure what showing it cost
        self._show_cost = 0.0
        self._reported = 0
        self._gc_was_enabled = False
        self._pump = QTimer(self)
        self._pump.setInterval(0)
        self._pump.timeout.connect(self._judge_some)

    @property
    def judging(self) -> FilesJudging | None:
        """What was judged so far (GUI thread only)."""
        return self._judging

    def start(self, priority: QThread.Priority = QThread.Priority.InheritPriority) -> None:
        try:
            config = self._config if isinstance(self._config, Config) else self._config().config
            self._judging = FilesJudging(self.paths, config)
        except Exception as exc:  # Boundary: a bad configuration factory must reach the window as an error
            log.exception("cannot load %s", self.paths)
            self.loaded.emit(LoadResult(paths=[], requested=self.paths, error=f"{type(exc).__name__}: {exc}"))
            return
        # Millions of long-lived objects: full cyclic-GC passes during the load would stall the window for
        # seconds. Collect nothing while loading, then freeze what was loaded. What an earlier load froze is
        # never collected while frozen (sessions hold cycles): the caller dropped it, so collect it first
        # (seen: a 1M-event journal opened before a HAR kept 700 MB).
        if gc.get_freeze_count():
            gc.unfreeze()
            gc.collect()
        self._gc_was_enabled = gc.isenabled()
        gc.disable()
        self._last_partial = time.perf_counter()
        super().start(priority)
        self._pump.start()

    def cancel(self) -> None:
        """Stop reading and judging; nothing more is emitted. Call ``wait()`` to join the thread."""
        self._cancel = True
        self._pump.stop()
        self._judging = None
        with self._cond:
            self._queue.clear()
        self._gate.set()  # a reader waiting for the next slice wakes up and stops
        self._restore_gc()

    def run(self) -> None:  # reader thread: reads, never judges
        try:
            self._gate.wait()
            for item in read_files(self.paths, lambda: self._cancel, batch=self.BATCH, pool=HeaderPool()):
                if self._cancel:
                    return
                with self._cond:
                    self._queue.append(item)
                    self._cond.notify()
                self._gate.wait()
        except Exception as exc:  # Boundary: the reader thread's top; the window gets what was read and why
            log.exception("reading %s failed", self.paths)
            with self._cond:
                self._queue.append(FileEnd(f"{type(exc).__name__}: {exc}"))
        finally:
            with self._cond:
                self._read_done = True
                self._cond.notify()

    # -- GUI thread -------------------------------------------------------------------------------------
    def _judge_some(self) -> None:
        judging = self._judging
        if self._cancel or judging is None or self._finished:
            self._pump.stop()
            return
        now = time.perf_counter()
        if self._shown_at is not None:  # the handlers ran, and the paints they asked for since
            cost = self._show_cost + now - self._shown_at
            self._shown_at = None
            self._partial_wait = max(self.PARTIAL_MS / 1000, self.SHOW_SHARE * cost)
        deadline = now + self.SLICE_MS / 1000
        done = False
        self._gate.set()
        try:
            while True:
                with self._cond:
                    if not self._queue:
                        if self._read_done:
                            done = True
                            break
                        left = deadline - time.perf_counter()
                        if left <= 0:
                            break
                        self._cond.wait(left)  # the reader has the CPU meanwhile
                        continue
                    item = self._queue.popleft()
                judging.apply(item)
                if time.perf_counter() >= deadline:
                    break
        except Exception as exc:  # Boundary: an unexpected failure must end the load with a message
            log.exception("judging %s failed", self.paths)
            self.cancel()
            self.loaded.emit(LoadResult(paths=[], requested=self.paths, error=f"{type(exc).__name__}: {exc}"))
            return
        finally:
            if not self._cancel:
                self._gate.clear()
        if done:
            self._finish()
        else:
            self._show(judging)

    def _show(self, judging: FilesJudging) -> None:
        if judging.read_count - self._reported >= self.PROGRESS_EVERY:
            self._reported = judging.read_count
            self.progress.emit(judging.read_count, judging.permille)
        start = time.perf_counter()
        if start - self._last_partial >= self._partial_wait:
            judging.show()
            self.partial.emit(judging)
            end = time.perf_counter()
            self._show_cost, self._shown_at = end - start, end
            # what showing cost is not judging time: count the next interval from here
            self._last_partial = end

    def _finish(self) -> None:
        judging = self._judging
        if judging is None or self._finished:
            return
        self._finished = True
        self._pump.stop()
        self._gate.set()
        result = judging.result()
        self._judging = None  # the window holds the result; a loader not yet deleted must not keep it alive
        self._restore_gc(freeze=True)
        self.progress.emit(result.read_count, 1000)
        self.loaded.emit(result)

    def _restore_gc(self, freeze: bool = False) -> None:
        if self._gc_was_enabled:
            self._gc_was_enabled = False
            if freeze:
                gc.freeze()
            gc.enable()
