"""``--listen`` addresses of the commands that serve (``proxy``, ``mock-collector``)."""

from __future__ import annotations

import errno
import socket


def parse_listen(text: str, empty_host: str = "127.0.0.1") -> tuple[str, int]:
    """``HOST:PORT``, ``[v6]:PORT``, ``:PORT`` or ``PORT`` -> (host, port); ValueError with a clear message.

    A bare ``PORT`` listens on loopback; ``:PORT`` (an empty host) on ``empty_host``.
    """
    text = (text or "").strip()
    if not text:
        raise ValueError("empty listen address (use HOST:PORT)")
    host, port_text = "127.0.0.1", text
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or text[end + 1 : end + 2] != ":":
            raise ValueError(f"bad listen address {text!r} (use [IPv6]:PORT)")
        host, port_text = text[1:end], text[end + 2 :]
    elif ":" in text:
        host, port_text = text.rsplit(":", 1)
        host = host or empty_host
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"bad port in listen address {text!r} (use HOST:PORT)") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"bad port {port} in {text!r} (0-65535)")
    return host, port


def bind_problem(host: str, port: int) -> str | None:
    """Why the proxy could not listen on ``host:port`` (a busy port, an address not on this machine), or None.

    Binds and closes a socket the way mitmproxy will (SO_REUSEADDR: a port in TIME_WAIT is free, one another
    program listens on is not), so the problem is told before anything starts. Port 0 is always free.
    """
    if port == 0:
        return None
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        return f"cannot listen on {where}: unknown address ({getattr(exc, 'strerror', None) or exc})"
    family, kind, proto, _, address = infos[0]
    try:
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return f"{where} is in use; choose another with --listen HOST:PORT"
        return f"cannot listen on {where}: {exc.strerror or exc}"
    return None
