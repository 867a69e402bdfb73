"""``--listen`` addresses of the commands that serve (``proxy``, ``mock-collector``)."""

from __future__ import annotations


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
