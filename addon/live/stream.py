"""Live viewer stream: NDJSON over a Unix-domain socket (or loopback TCP on Windows), token-protected.

Protocol (see .plan/contract.md): the client sends ``{"v": 1, "token": "..."}``; the server answers
``hello``, then ``snapshot`` (records retained so far), then deltas. Everything runs on the asyncio loop
of the caller (mitmproxy's): :meth:`StreamServer.publish` only appends to bounded per-client queues and
a sender task per client does the socket writes, so a slow viewer never stalls the proxy; it gets a
``gap`` message telling how many messages it missed.

Security: the socket lives in a private 0700 directory and is chmod 0600; the token comes from the
``MCSCOPE_TOKEN`` environment variable (never argv) and is compared with ``hmac.compare_digest``. The TCP
fallback binds 127.0.0.1 only; the mitmproxy addon additionally refuses proxied connections to its port.

Discovery: :func:`write_discovery` drops ``<streams dir>/<pid>.json`` (0600, inside a 0700 directory)
with the socket path *and the token*, so ``mcscope attach`` run by the same user can find and join a
running proxy. Only the owner can read it, which is the same trust boundary as the socket itself.

This is a core module: it never imports mitmproxy or Qt.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import secrets
import socket
import stat
import tempfile
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
TOKEN_ENV = "MCSCOPE_TOKEN"
STREAMS_DIR_ENV = "MCSCOPE_STREAMS_DIR"
HANDSHAKE_TIMEOUT = 5.0
MAX_LINE = 64 * 1024
DEFAULT_CLIENT_QUEUE = 10_000
MAX_CLIENTS = 32
_SEND_BATCH = 4096
#: Pause after each write so that messages published meanwhile go out together (viewers coalesce anyway).
SEND_INTERVAL = 0.02


def encode(msg: dict[str, Any]) -> bytes:
    """One NDJSON line (UTF-8, compact)."""
    return json.dumps(msg, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8") + b"\n"


def _line(msg: dict[str, Any] | bytes) -> bytes:
    return msg if isinstance(msg, bytes) else encode(msg)


def token_from_env() -> tuple[str, bool]:
    """(token, generated): ``$MCSCOPE_TOKEN`` or a fresh random token."""
    token = os.environ.get(TOKEN_ENV, "")
    if token:
        return token, False
    return secrets.token_urlsafe(24), True


# -- private directories and discovery ----------------------------------------------------------------
def private_dir(path: Path) -> Path:
    """Create ``path`` (0700) or check that an existing one is private to this user."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix":
        st = path.stat()
        if st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o077:
            raise PermissionError(f"{path} must be a directory private to the current user (chmod 700)")
    return path


def runtime_base() -> Path:
    """A short, per-user, private base directory for sockets."""
    if os.name == "posix":
        xdg = os.environ.get("XDG_RUNTIME_DIR")
        if xdg and os.path.isdir(xdg) and os.access(xdg, os.W_OK):
            return Path(xdg)
    return Path(tempfile.gettempdir())


def make_socket_dir() -> Path:
    """A fresh 0700 directory for the stream socket."""
    return Path(tempfile.mkdtemp(prefix="mcscope-", dir=runtime_base()))


def streams_dir() -> Path:
    """Where running proxies advertise their stream (``$MCSCOPE_STREAMS_DIR`` overrides)."""
    override = os.environ.get(STREAMS_DIR_ENV)
    if override:
        return Path(override)
    if os.name == "posix" and os.environ.get("XDG_RUNTIME_DIR"):
        from platformdirs import user_runtime_dir

        return Path(user_runtime_dir("mcscope", appauthor=False)) / "streams"
    from platformdirs import user_data_dir

    return Path(user_data_dir("mcscope", appauthor=False)) / "streams"


def write_discovery(info: dict[str, Any], pid: int | None = None) -> Path:
    """Write ``<streams dir>/<pid>.json`` (mode 0600, directory 0700) and return its path."""
    directory = private_dir(streams_dir())
    path = directory / f"{os.getpid() if pid is None else pid}.json"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(info, fh)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def list_streams() -> list[dict[str, Any]]:
    """Discovery records of running proxies (stale files of dead processes are skipped), newest first."""
    directory = streams_dir()
    out: list[dict[str, Any]] = []
    if not directory.is_dir():
        return out
    for path in directory.glob("*.json"):
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
            pid = int(info.get("pid", 0))
        except (OSError, ValueError, TypeError, AttributeError):
            continue
        if pid and not _pid_alive(pid):
            continue
        info["discovery_file"] = str(path)
        out.append(info)
    out.sort(key=lambda i: i.get("started", 0), reverse=True)
    return out


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _handshake(line: bytes) -> tuple[bytes | None, Any]:
    """(token as UTF-8 bytes or None, version) of a client's first line; anything malformed (not JSON,
    nested too deep, a token that is no encodable string) gives no token."""
    try:
        req = json.loads(line)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, None
    if not isinstance(req, dict):
        return None, None
    token, version = req.get("token"), req.get("v")
    if not isinstance(token, str):
        return None, version
    try:
        return token.encode("utf-8"), version
    except UnicodeEncodeError:  # a lone surrogate ("\ud800")
        return None, version


# -- server --------------------------------------------------------------------------------------------
class _Client:
    """One authenticated viewer: a bounded queue of encoded lines and a sender task."""

    def __init__(self, writer: asyncio.StreamWriter, limit: int) -> None:
        self.writer = writer
        self.limit = limit
        self.buf: deque[bytes] = deque()
        self.missed = 0
        self.total_missed = 0
        self.wake = asyncio.Event()
        self.closed = False

    def offer(self, line: bytes) -> None:
        if self.closed:
            return
        if len(self.buf) >= self.limit:
            self.missed += 1
            self.total_missed += 1
            return
        if self.missed:
            self.buf.append(encode({"type": "gap", "missed": self.missed}))
            self.missed = 0
        self.buf.append(line)
        self.wake.set()

    async def send_loop(self) -> None:
        try:
            while not self.closed:
                await self.wake.wait()
                self.wake.clear()
                while self.buf or self.missed:
                    if self.buf:
                        n = min(len(self.buf), _SEND_BATCH)
                        chunk = b"".join(self.buf.popleft() for _ in range(n))
                    else:
                        chunk = encode({"type": "gap", "missed": self.missed})
                        self.missed = 0
                    self.writer.write(chunk)
                    await self.writer.drain()
                    # Coalesce: one write per SEND_INTERVAL at most, instead of one syscall per message.
                    await asyncio.sleep(SEND_INTERVAL)
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            self.closed = True


class StreamServer:
    """Serve snapshot + deltas to authenticated viewers.

    ``snapshot()`` returns the snapshot message (a dict) and ``hello()`` the hello message; both are
    called on the loop at the moment a client is admitted, and the client is registered in the same
    step, so the snapshot and the deltas that follow never overlap or miss anything.
    """

    def __init__(
        self,
        token: str,
        hello: Callable[[], dict[str, Any] | bytes],
        snapshot: Callable[[], dict[str, Any] | bytes],
        socket_path: Path | None = None,
        tcp: bool = False,
        client_queue: int = DEFAULT_CLIENT_QUEUE,
    ) -> None:
        if not token:
            raise ValueError("the stream needs a non-empty token")
        self._token = token.encode("utf-8")
        self._hello = hello
        self._snapshot = snapshot
        self.tcp = tcp or not hasattr(socket, "AF_UNIX")
        self.socket_path = socket_path
        self.client_queue = max(1, client_queue)
        self._server: asyncio.base_events.Server | None = None
        self._clients: set[_Client] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._own_dir: Path | None = None
        self.port: int | None = None
        self.refused = 0

    # -- lifecycle ----------------------------------------------------------------------------------
    async def start(self, sock: socket.socket | None = None) -> None:
        """Serve on ``sock`` (from :meth:`bind`, possibly in another process) or on a new socket."""
        if sock is None:
            sock = self.bind()
        if self.tcp:
            self._server = await asyncio.start_server(self._handle, sock=sock, limit=MAX_LINE)
        else:
            self._server = await asyncio.start_unix_server(self._handle, sock=sock, limit=MAX_LINE)

    def bind(self) -> socket.socket:
        """The listening socket: 127.0.0.1 on a free port, or a 0600 Unix socket in a private directory."""
        if self.tcp:
            sock = socket.create_server(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
            return sock
        if self.socket_path is None:
            self._own_dir = make_socket_dir()
            self.socket_path = self._own_dir / "stream.sock"
        else:
            private_dir(self.socket_path.parent)
            with contextlib.suppress(FileNotFoundError):
                if self.socket_path.is_socket():
                    self.socket_path.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(str(self.socket_path))
            os.chmod(self.socket_path, 0o600)
            sock.listen(100)
        except OSError:
            sock.close()
            raise
        return sock

    @property
    def own_dir(self) -> Path | None:
        """The private directory made for the socket (removed on close), if any."""
        return self._own_dir

    def adopt(self, port: int | None, own_dir: Path | None) -> None:
        """Take over the socket another process bound (its port, or the private directory to remove)."""
        self.port = port
        self._own_dir = own_dir

    @property
    def address(self) -> str:
        if self.tcp:
            return f"127.0.0.1:{self.port}"
        return str(self.socket_path)

    @property
    def clients(self) -> int:
        return sum(1 for c in self._clients if not c.closed)

    async def close(self) -> None:
        self.close_nowait()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)

    def close_nowait(self) -> None:
        """Stop listening, drop clients and remove the socket (safe to call from a sync hook)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for client in list(self._clients):
            client.closed = True
            client.wake.set()
            with contextlib.suppress(Exception):
                client.writer.close()
        self._clients.clear()
        for task in list(self._tasks):
            task.cancel()
        if not self.tcp and self.socket_path is not None:
            with contextlib.suppress(OSError):
                self.socket_path.unlink()
            if self._own_dir is not None:
                with contextlib.suppress(OSError):
                    self._own_dir.rmdir()

    # -- publishing ---------------------------------------------------------------------------------
    def has_clients(self) -> bool:
        return bool(self._clients)

    def publish(self, msg: dict[str, Any] | bytes) -> None:
        """Queue one message for every viewer. Never blocks; must be called on the loop thread."""
        if not self._clients:
            return
        line = msg if isinstance(msg, bytes) else encode(msg)
        for client in tuple(self._clients):
            if client.closed:
                self._clients.discard(client)
            else:
                client.offer(line)

    # -- connections --------------------------------------------------------------------------------
    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _refuse(self, writer: asyncio.StreamWriter, reason: str) -> None:
        self.refused += 1
        with contextlib.suppress(Exception):
            writer.write(encode({"type": "error", "reason": reason}))
            await asyncio.wait_for(writer.drain(), 1)
        with contextlib.suppress(Exception):
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), HANDSHAKE_TIMEOUT)
        except (TimeoutError, ValueError, ConnectionError, OSError, asyncio.LimitOverrunError):
            await self._refuse(writer, "handshake")
            return
        token, version = _handshake(line)
        if token is None or not hmac.compare_digest(token, self._token):
            await self._refuse(writer, "auth")
            return
        if type(version) is not int or version != PROTOCOL_VERSION:  # True == 1, but is no version
            await self._refuse(writer, "version")
            return
        if len(self._clients) >= MAX_CLIENTS:
            await self._refuse(writer, "busy")
            return
        client = _Client(writer, self.client_queue)
        # hello + snapshot + registration in one synchronous step: no delta can slip in between.
        try:
            hello = _line(self._hello())
            snap = _line(self._snapshot())
        except Exception as exc:  # pragma: no cover - defensive: a bad record must not kill the server
            log.warning("stream: cannot build snapshot: %s", exc)
            await self._refuse(writer, "internal")
            return
        client.buf.append(hello)
        client.buf.append(snap)
        client.wake.set()
        self._clients.add(client)
        sender = self._spawn(client.send_loop())
        try:
            # Viewers send nothing after the handshake; reading only detects the detach.
            while not client.closed:
                try:
                    data = await reader.read(4096)
                except (ConnectionError, OSError):
                    break
                if not data:
                    break
        finally:
            client.closed = True
            client.wake.set()
            self._clients.discard(client)
            sender.cancel()
            with contextlib.suppress(Exception):
                writer.close()
