"""The viewer side of a capture: the bound stream socket, the :class:`~mcscope.live.stream.StreamServer`
serving hello + snapshot + deltas on it, and the discovery file that lets a window find it.

The proxy process always binds the socket (:func:`bind`), so it knows the TCP port for its
``server_connect`` guard; the pipeline serving it may run in the proxy process or in the analysis process
(the socket is then inherited as a file descriptor).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcscope.live import stream as stream_mod

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamSpec:
    """A bound viewer-stream socket, described as plain data (the socket itself travels as an fd)."""

    tcp: bool
    socket_path: str | None
    port: int | None
    own_dir: str | None
    token: str
    token_generated: bool

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}" if self.tcp else str(self.socket_path)


def bind(value: str, tcp: bool) -> tuple[socket.socket, StreamSpec]:
    """Bind the stream socket of ``mcscope_stream`` (OSError/PermissionError/ValueError when it cannot)."""
    token, generated = stream_mod.token_from_env()
    server = stream_mod.StreamServer(token, dict, bytes, tcp=tcp,
                                     socket_path=None if value == "auto" else Path(value).expanduser())
    sock = server.bind()
    return sock, StreamSpec(
        tcp=server.tcp, socket_path=str(server.socket_path) if server.socket_path else None, port=server.port,
        own_dir=str(server.own_dir) if server.own_dir else None, token=token, token_generated=generated,
    )


def release(sock: socket.socket, spec: StreamSpec) -> None:
    """Close a bound socket nobody will serve (and remove its file and private directory)."""
    sock.close()
    server = stream_mod.StreamServer(spec.token, dict, bytes, tcp=spec.tcp,
                                     socket_path=Path(spec.socket_path) if spec.socket_path else None)
    server.adopt(spec.port, Path(spec.own_dir) if spec.own_dir else None)
    server.close_nowait()


class Viewers:
    """Serve the viewers of one capture on a bound socket; advertise it in the discovery file."""

    def __init__(self, spec: StreamSpec, client_queue: int, hello: Callable[[], dict[str, Any]],
                 snapshot: Callable[[], bytes]) -> None:
        self.spec = spec
        self.server = stream_mod.StreamServer(
            spec.token, hello, snapshot, socket_path=Path(spec.socket_path) if spec.socket_path else None,
            tcp=spec.tcp, client_queue=client_queue,
        )
        self.server.adopt(spec.port, Path(spec.own_dir) if spec.own_dir else None)
        self.discovery_path: Path | None = None

    async def serve(self, sock: socket.socket) -> None:
        await self.server.start(sock)
        log.info("mcscope viewer stream: %s", self.spec.address)

    def advertise(self, pid: int, **extra: Any) -> None:
        """Write ``<streams dir>/<pid>.json`` (0600) with the address and the token."""
        spec = self.spec
        info: dict[str, Any] = {
            "v": stream_mod.PROTOCOL_VERSION, "pid": pid, "started": time.time(),
            "transport": "tcp" if spec.tcp else "unix", "address": spec.address, **extra,
            "token": spec.token, "token_generated": spec.token_generated,
        }
        if spec.tcp:
            info.update(host="127.0.0.1", port=spec.port)
        else:
            info["socket"] = spec.address
        try:
            self.discovery_path = stream_mod.write_discovery(info, pid=pid)
        except OSError as exc:  # PermissionError included
            log.warning("mcscope: cannot write the stream discovery file: %s", exc)

    def has_clients(self) -> bool:
        return self.server.has_clients()

    @property
    def clients(self) -> int:
        return self.server.clients

    def publish(self, msg: dict[str, Any] | bytes) -> None:
        self.server.publish(msg)

    def close(self) -> None:
        self.server.close_nowait()
        if self.discovery_path is not None:
            with contextlib.suppress(OSError):
                self.discovery_path.unlink()
