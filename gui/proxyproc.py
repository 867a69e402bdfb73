"""Supervises the ``mitmdump`` child that runs the mcscope addon (QProcess).

The child gets a random token in the environment (``MCSCOPE_TOKEN``, never argv) and a Unix-socket path
inside a private 0700 directory; the addon serves the live stream there and :mod:`mcscope.gui.feed` connects.
The last lines of the child's output are kept so a crash can be shown with its cause.
"""

from __future__ import annotations

import collections
import errno
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

from mcscope.live import ADDON_SCRIPT

log = logging.getLogger(__name__)

TOKEN_ENV = "MCSCOPE_TOKEN"
#: addon option names (addon/mitm.py)
OPT_STREAM = "mcscope_stream"
OPT_JOURNAL = "mcscope_journal"
STOP_TIMEOUT_MS = 3000
OUTPUT_LINES = 40

#: The signal the child gets when the window dies without stopping it (a SIGKILL, a crash): mitmdump then shuts
#: down instead of living on with the proxy port. Linux only (prctl PR_SET_PDEATHSIG); elsewhere None and
#: the child is started directly.
DEATH_SIGNAL: int | None = signal.SIGTERM if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1

#: Run by a fresh interpreter (``python -I -c``) before the real child: ask the kernel for DEATH_SIGNAL when the
#: window (argv[2], its pid) dies, then become the child (exec keeps the request and the pid). QProcess has no
#: pre-exec hook in PySide6. The pid check closes the race of a window that died before the prctl.
_GUARD = """\
import ctypes, os, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(int(sys.argv[1]), int(sys.argv[2]), 0, 0, 0)
except (OSError, AttributeError, ValueError):
    pass
if os.getppid() != int(sys.argv[3]):
    sys.exit(0)
try:
    os.execvp(sys.argv[4], sys.argv[4:])
except OSError as e:
    print(f"could not start the proxy: {sys.argv[4]}: {e.strerror or e}", flush=True)
    sys.exit(127)
"""


def guarded(argv: list[str], parent_pid: int | None = None) -> list[str]:
    """``argv`` started so that it gets :data:`DEATH_SIGNAL` when this process dies (``argv`` itself where
    that is not supported)."""
    if DEATH_SIGNAL is None or not sys.executable or not argv:
        return list(argv)
    parent = os.getpid() if parent_pid is None else parent_pid
    return [sys.executable, "-I", "-c", _GUARD, str(_PR_SET_PDEATHSIG), str(int(DEATH_SIGNAL)), str(parent),
            *argv]


STOPPED = "stopped"
STARTING = "starting"
RUNNING = "running"
CRASHED = "crashed"


class PortBusyError(OSError):
    """The proxy's listen address is already taken by another program."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(errno.EADDRINUSE, f"{host}:{port} is already in use by another program")
        self.host = host
        self.port = port


def find_mitmdump() -> str | None:
    """``mitmdump`` beside the running interpreter (the venv's bin), else on PATH."""
    here = Path(sys.executable).parent / "mitmdump"
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which("mitmdump")


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class ProxyConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    journal: str | None = None
    #: extra ``--set name=value`` options and raw arguments for mitmdump
    sets: dict[str, str] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)
    #: the program to run instead of mitmdump (tests use a fake child speaking the stream protocol)
    program: list[str] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class ProxyProcess(QObject):
    """One mitmdump child at a time: start, stop, crash detection, last output."""

    state_changed = Signal(str)
    #: exit code (or -1), last output lines joined
    crashed = Signal(int, str)
    output = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config = ProxyConfig()
        self.state = STOPPED
        self.token = ""
        self.socket_path = ""
        self._dir: str | None = None
        self._lines: collections.deque[str] = collections.deque(maxlen=OUTPUT_LINES)
        self._partial = ""
        self._stopping = False
        self._proc: QProcess | None = None

    # -- public API -------------------------------------------------------------------------------------
    def command(self) -> list[str]:
        """argv of the child (without the environment)."""
        cfg = self.config
        if cfg.program:
            base = list(cfg.program)
        else:
            exe = find_mitmdump()
            if exe is None:
                raise FileNotFoundError("mitmdump not found next to the Python interpreter or on PATH")
            base = [exe, "-q", "-s", str(ADDON_SCRIPT)]
        args = [*base, "--listen-host", cfg.host, "--listen-port", str(cfg.port)]
        sets = {OPT_STREAM: self.socket_path, **cfg.sets}
        if cfg.journal:
            sets[OPT_JOURNAL] = cfg.journal
        for key, value in sets.items():
            args += ["--set", f"{key}={value}"]
        return args + list(cfg.extra_args)

    def last_output(self) -> str:
        lines = list(self._lines)
        if self._partial:
            lines.append(self._partial)
        return "\n".join(lines)

    def is_running(self) -> bool:
        return self.state in (STARTING, RUNNING)

    def start(self) -> None:
        """Start the child. Raises PortBusyError or FileNotFoundError before anything runs."""
        if self.is_running():
            return
        cfg = self.config
        if not port_is_free(cfg.host, cfg.port):
            raise PortBusyError(cfg.host, cfg.port)
        self._cleanup_dir()
        self._dir = tempfile.mkdtemp(prefix="mcscope-")  # 0700
        self.socket_path = os.path.join(self._dir, "stream.sock")
        self.token = secrets.token_hex(16)
        argv = self.command()
        self._lines.clear()
        self._partial = ""
        self._stopping = False
        proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert(TOKEN_ENV, self.token)
        env.insert("PYTHONUNBUFFERED", "1")
        proc.setProcessEnvironment(env)
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        proc.readyReadStandardOutput.connect(self._on_output)
        proc.finished.connect(self._on_finished)
        proc.errorOccurred.connect(self._on_error)
        proc.started.connect(lambda: self._set_state(RUNNING))
        self._proc = proc
        log.info("starting proxy child: %s", " ".join(argv))
        self._set_state(STARTING)
        launch = guarded(argv)
        proc.start(launch[0], launch[1:])

    def stop(self) -> None:
        proc = self._proc
        if proc is None or proc.state() == QProcess.ProcessState.NotRunning:
            self._set_state(STOPPED)
            return
        self._stopping = True
        proc.terminate()
        if not proc.waitForFinished(STOP_TIMEOUT_MS):
            proc.kill()
            proc.waitForFinished(STOP_TIMEOUT_MS)

    def pid(self) -> int:
        return int(self._proc.processId()) if self._proc is not None else 0

    def shutdown(self) -> None:
        """Stop and remove the private directory (window close)."""
        self.stop()
        self._cleanup_dir()

    # -- internals --------------------------------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def _on_output(self) -> None:
        if self._proc is None:
            return
        data = bytes(self._proc.readAllStandardOutput().data()).decode("utf-8", "replace")
        text = self._partial + data
        *lines, self._partial = text.split("\n")
        for line in lines:
            line = line.rstrip("\r")
            if line:
                self._lines.append(line)
                self.output.emit(line)

    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._on_output()
        if self._stopping:
            self._set_state(STOPPED)
            return
        if status == QProcess.ExitStatus.CrashExit and code == 0:
            code = -1
        self._set_state(CRASHED)
        self.crashed.emit(int(code), self.last_output())

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            why = self._proc.errorString() if self._proc else ""
            self._lines.append(f"could not start the proxy: {why}")
            self._set_state(CRASHED)
            self.crashed.emit(-1, self.last_output())

    def _cleanup_dir(self) -> None:
        if self._dir and os.path.isdir(self._dir):
            shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None


def describe_port_problem(output: str) -> str | None:
    """A friendly sentence when mitmdump's output says its port is taken."""
    low = output.lower()
    if "address already in use" in low or "errno 98" in low:
        return "the proxy port is already in use by another program; pick another port"
    return None
