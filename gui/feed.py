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
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal
from PySide6.QtNetwork import QLocalSocket

from mcscope.core.config import Config
from mcscope.core.session import Analyzer
from mcscope.gui.dataset import LoadResult, load_files

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
    """Judges capture files off the GUI thread, each on its own like ``mcscope check`` (dataset.load_files)."""

    #: exchanges read so far, progress in permille over all files (-1 = unknown)
    progress = Signal(int, int)
    loaded = Signal(object)  # LoadResult

    PROGRESS_EVERY = 2000

    def __init__(self, paths: list[str], config: Config | Callable[[], Analyzer],
                 parent: QObject | None = None) -> None:
        """``config``: the analysis configuration, or (older callers) a factory of Analyzers using it."""
        super().__init__(parent)
        self.paths = [str(p) for p in paths]
        self._config = config
        self._cancel = False

    def cancel(self) -> None:
        self._cancel = True

    def run(self) -> None:  # worker thread
        t0 = time.perf_counter()
        # Millions of long-lived objects: full cyclic-GC passes during the load would stall every thread
        # (the GUI included) for seconds. Collect nothing while loading, then freeze what was loaded.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._run(t0)
        finally:
            if gc_was_enabled:
                gc.freeze()
                gc.enable()

    def _run(self, t0: float) -> None:
        try:
            config = self._config if isinstance(self._config, Config) else self._config().config
            result = load_files(self.paths, config, progress=self.progress.emit, cancelled=lambda: self._cancel,
                                every=self.PROGRESS_EVERY)
        except Exception as exc:  # Boundary: the worker thread's top; an exception must reach the window
            log.exception("loading %s failed", self.paths)
            result = LoadResult(paths=[], requested=self.paths, error=f"{type(exc).__name__}: {exc}")
        result.seconds = time.perf_counter() - t0
        self.progress.emit(result.read_count, 1000)
        self.loaded.emit(result)
