"""Test double of the addon's live stream (addon/stream.py), speaking the real NDJSON protocol.

Used two ways:

* in-process: :class:`FakeStreamServer` (a thread serving a Unix socket) for gui/feed.py and window tests;
* as a fake ``mitmdump`` child (``python tests/gui/fakestream.py --listen-port N --set mcscope_stream=PATH``),
  Dangerzone style, for gui/proxyproc.py tests: it binds the proxy port, serves the stream with the token
  from ``$MCSCOPE_TOKEN`` and prints like mitmdump. ``FAKE_RECORDS`` (a journal path) seeds the snapshot,
  ``FAKE_CRASH_AFTER`` (seconds) makes it die with exit code 3 after printing a traceback-like line.

The real server is tested in tests/addon/test_stream.py; the real child in the end-to-end test.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from typing import Any


def encode(msg: dict[str, Any]) -> bytes:
    return json.dumps(msg, separators=(",", ":")).encode() + b"\n"


class FakeStreamServer:
    def __init__(self, path: str, token: str, records: list[dict[str, Any]] | None = None,
                 journal: str = "/tmp/fake-journal.ndjson", listen: str = "127.0.0.1:8080") -> None:
        self.path = path
        self.token = token
        self.records = list(records or [])
        self.journal = journal
        self.listen = listen
        self.clients: list[socket.socket] = []
        self.connections = 0
        self.refused = 0
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> FakeStreamServer:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.path)
        os.chmod(self.path, 0o600)
        s.listen(8)
        s.settimeout(0.1)
        self._sock = s
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        buf = b""
        try:
            while b"\n" not in buf:
                chunk = conn.recv(4096)
                if not chunk:
                    conn.close()
                    return
                buf += chunk
            req = json.loads(buf.split(b"\n", 1)[0])
        except (OSError, ValueError):
            conn.close()
            return
        if not isinstance(req, dict) or req.get("token") != self.token:
            self.refused += 1
            conn.sendall(encode({"type": "error", "reason": "auth"}))
            conn.close()
            return
        with self._lock:
            self.connections += 1
            conn.sendall(encode({"type": "hello", "v": 1, "mcscope": "test", "mitmproxy": "fake",
                                 "journal": self.journal, "listen": self.listen}))
            conn.sendall(encode({"type": "snapshot", "records": list(self.records), "dropped": 0}))
            self.clients.append(conn)

    def send(self, msg: dict[str, Any]) -> None:
        """Broadcast one message; "exchange" records are also kept for later snapshots."""
        if msg.get("type") == "exchange":
            self.records.append(msg["record"])
        self.send_raw(encode(msg))

    def send_raw(self, data: bytes) -> None:
        with self._lock:
            for c in list(self.clients):
                try:
                    c.sendall(data)
                except OSError:
                    self.clients.remove(c)

    def drop_clients(self) -> None:
        with self._lock:
            for c in self.clients:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                    c.close()
                except OSError:
                    pass
            self.clients.clear()

    def stop(self) -> None:
        self._stop.set()
        self.drop_clients()
        if self._sock is not None:
            self._sock.close()
        if self._thread is not None:
            self._thread.join(2)
        try:
            os.unlink(self.path)
        except OSError:
            pass


def _child_main(argv: list[str]) -> int:
    """Fake mitmdump: parse the few options the GUI passes, bind the port, serve the stream."""
    host, port, sets = "127.0.0.1", 8080, {}
    it = iter(argv)
    for arg in it:
        if arg == "--listen-host":
            host = next(it)
        elif arg == "--listen-port":
            port = int(next(it))
        elif arg == "--set":
            k, _, v = next(it).partition("=")
            sets[k] = v
    records: list[dict[str, Any]] = []
    seed = os.environ.get("FAKE_RECORDS")
    if seed:
        with open(seed, encoding="utf-8") as fh:
            records = [r for r in map(json.loads, fh) if r.get("type") == "exchange"]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((host, port))
    except OSError as exc:
        print(f"Error starting proxy server: {exc!r}: address already in use", flush=True)
        return 1
    listener.listen(1)
    server = FakeStreamServer(sets["mcscope_stream"], os.environ.get("MCSCOPE_TOKEN", ""), records,
                              listen=f"{host}:{port}").start()
    print(f"HTTP(S) proxy listening at {host}:{port}.", flush=True)
    crash = os.environ.get("FAKE_CRASH_AFTER")
    deadline = time.monotonic() + float(crash) if crash else None
    try:
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.05)
    except KeyboardInterrupt:
        pass
    server.stop()
    if deadline is not None:
        print("Traceback (most recent call last):\nRuntimeError: fake proxy exploded", flush=True)
        return 3
    return 0


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    sys.exit(_child_main(sys.argv[1:]))
