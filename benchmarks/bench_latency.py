"""Cross-connection latency: does a hostile body on one connection delay another connection's calls?

Loopback only. The backend is bench_proxy's 204 server (a child process). One probe connection sends a small
Media Collection ``ping`` every 20 ms and records each round trip; a second process (the attacker) sends, on
its own connections, a rotation of hostile collection calls: a gzip bomb (50 MB of zeros in ~50 KB), a
10 MB body, a Latin-1 header byte, 60,000 nested ``[``, and binary garbage.

Each variant runs ``--rounds`` times, every round being a quiet phase (probe alone: the same-run baseline)
followed by a hostile phase (probe + attacker). Variants: plain mitmdump (what mitmproxy alone costs under
that load), the addon as the window runs it, the addon as ``mcscope proxy`` runs it (``mcscope_analyse``),
and the in-process fallback (``mcscope_worker=false``).

    .venv/bin/python benchmarks/bench_latency.py [--seconds 4] [--rounds 3] [--variants plain,window,analyse,inproc]

Prints per variant the probe's p50/p99/max in both phases and the delay the hostile load adds: hostile
minus quiet, and the addon's hostile minus plain mitmdump's hostile (what the addon adds to mitmproxy's own
share). Target (issue 8): a hostile body on one connection never delays another by more than 50 ms.
Not a test: the figures depend on a shared 2-core machine, so compare the phases and variants of one run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_proxy import TOKEN, Install, _free_port, _wait_port  # beside this script

MB = 1024 * 1024
PROBE_EVERY_S = 0.02
TARGET_MS = 50.0


# ----------------------------------------------------------------------------------------- wire
def _post(sock: socket.socket, backend_port: int, path: str, body: bytes,
          extra: tuple[bytes, ...] = ()) -> int:
    """One keep-alive absolute-form POST on ``sock``; returns the status (0 when the connection broke)."""
    head = [b"POST http://127.0.0.1:%d%s HTTP/1.1" % (backend_port, path.encode()),
            b"Host: 127.0.0.1:%d" % backend_port, b"Content-Type: application/json",
            b"Content-Length: %d" % len(body), *extra]
    sock.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return 0
        data += chunk
    head_bytes, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head_bytes.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(head_bytes.split(b" ", 2)[1])


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _ping(i: int) -> bytes:
    return json.dumps({"eventType": "ping", "playerTime": {"playhead": i, "ts": int(time.time() * 1000)}}).encode()


# ---------------------------------------------------------------------------------------- probe
def probe(proxy_port: int, backend_port: int, seconds: float) -> list[float]:
    """Round trips (s) of one small collection call every 20 ms on one keep-alive connection."""
    out: list[float] = []
    sock = _connect(proxy_port)
    try:
        stop_at = time.monotonic() + seconds
        i = 0
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            if _post(sock, backend_port, "/api/v1/sessions/probe/events", _ping(i)) == 0:
                sock.close()
                sock = _connect(proxy_port)
            out.append(time.perf_counter() - t0)
            i += 1
            time.sleep(max(0.0, PROBE_EVERY_S - (time.perf_counter() - t0)))
    finally:
        sock.close()
    return out


# ------------------------------------------------------------------------------------- attacker
def hostile_calls() -> list[tuple[str, bytes, tuple[bytes, ...]]]:
    bomb = gzip.compress(b"\0" * (50 * MB), 9)
    return [
        ("gzip bomb", bomb, (b"Content-Encoding: gzip",)),
        ("10 MB body", _ping(1)[:-1] + b', "pad": "' + b"x" * (10 * MB) + b'"}', ()),
        ("Latin-1 header", _ping(2), (b"User-Agent: caf\xe9",)),
        ("60,000 nested [", b"[" * 60_000, ()),
        ("binary garbage", os.urandom(256 * 1024), ()),
    ]


def attack(proxy_port: int, backend_port: int, seconds: float, connections: int = 2) -> None:
    """Hostile calls in rotation on ``connections`` connections of their own until ``seconds`` have passed."""
    calls = hostile_calls()
    stop_at = time.monotonic() + seconds

    def run(offset: int) -> None:
        sock = _connect(proxy_port)
        k = offset
        try:
            while time.monotonic() < stop_at:
                _, body, extra = calls[k % len(calls)]
                if _post(sock, backend_port, f"/api/v1/sessions/attack{k}/events", body, extra) == 0:
                    sock.close()
                    sock = _connect(proxy_port)
                k += 1
        except OSError:
            pass
        finally:
            sock.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)


# -------------------------------------------------------------------------------------- harness
class Proxy:
    """mitmdump on a free loopback port, with the mcscope addon unless ``addon_args`` is None."""

    def __init__(self, install: Install, addon_args: list[str] | None, tmp: Path, name: str) -> None:
        self.port = _free_port()
        cmd = [str(install.mitmdump), "-q", "--listen-host", "127.0.0.1", "--listen-port", str(self.port),
               "--set", f"confdir={tmp / 'conf'}"]
        env = {**os.environ, "MCSCOPE_TOKEN": TOKEN, "MCSCOPE_DATA_DIR": str(tmp / "data"),
               "MCSCOPE_STREAMS_DIR": str(tmp / "streams")}
        if addon_args is not None:
            sock_dir = Path(tempfile.mkdtemp(prefix="mcl-"))
            cmd += ["-s", str(install.script), "--set", f"mcscope_journal={tmp / (name + '.ndjson')}",
                    "--set", f"mcscope_stream={sock_dir / 's.sock'}", *addon_args]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port)
        discovery = tmp / "streams" / f"{self.proc.pid}.json"
        deadline = time.monotonic() + 15
        while addon_args is not None and not discovery.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def _stats(lat: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in lat)
    if not ms:
        return {"p50": float("nan"), "p99": float("nan"), "max": float("nan"), "n": 0}
    return {"p50": statistics.median(ms), "p99": ms[max(0, int(len(ms) * 0.99) - 1)], "max": ms[-1],
            "n": len(ms)}


def run_round(install: Install, addon_args: list[str] | None, backend_port: int, seconds: float,
              tmp: Path, name: str) -> tuple[dict[str, float], dict[str, float]]:
    proxy = Proxy(install, addon_args, tmp, name)
    try:
        probe(proxy.port, backend_port, 0.5)  # warm-up
        quiet = probe(proxy.port, backend_port, seconds)
        attacker = subprocess.Popen([sys.executable, __file__, "--attack", str(proxy.port), str(backend_port),
                                     str(seconds + 0.5)])
        time.sleep(0.3)  # the first hostile calls are under way
        hostile = probe(proxy.port, backend_port, seconds)
        attacker.wait(seconds + 120)
    finally:
        proxy.close()
        (tmp / (name + ".ndjson")).unlink(missing_ok=True)  # hundreds of MB of 10 MB bodies per round
    return _stats(quiet), _stats(hostile)


VARIANTS: dict[str, tuple[str, list[str] | None]] = {
    "plain": ("mitmdump", None),
    "window": ("addon (window)", []),
    "analyse": ("addon, mcscope_analyse=true", ["--set", "mcscope_analyse=true"]),
    "inproc": ("addon, mcscope_worker=false", ["--set", "mcscope_worker=false"]),
}


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds per phase (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="quiet+hostile rounds per variant (default 3)")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated, of {', '.join(VARIANTS)} (default: all; plain is always run)")
    parser.add_argument("--attack", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--backend", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.attack:
        attack(int(args.attack[0]), int(args.attack[1]), float(args.attack[2]))
        return 0
    unknown = set(args.variants.split(",")) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variant(s): {', '.join(sorted(unknown))}")
    chosen = {label: addon_args for key, (label, addon_args) in VARIANTS.items()
              if key == "plain" or key in args.variants.split(",")}
    install = Install(Path(sys.executable))
    backend_port = _free_port()
    backend = subprocess.Popen([sys.executable, str(Path(__file__).with_name("bench_proxy.py")), "--backend",
                                str(backend_port)], stdout=subprocess.PIPE, text=True)
    results: dict[str, list[tuple[dict[str, float], dict[str, float]]]] = {v: [] for v in chosen}
    try:
        assert backend.stdout is not None
        backend.stdout.readline()
        with tempfile.TemporaryDirectory(prefix="mcscope-latency-") as t:
            for r in range(args.rounds):
                for n, (label, addon_args) in enumerate(chosen.items()):
                    results[label].append(run_round(install, addon_args, backend_port, args.seconds, Path(t),
                                                    f"v{n}r{r}"))
                    print(f"  round {r + 1}/{args.rounds} {label}: done", file=sys.stderr, flush=True)
    finally:
        backend.terminate()
        backend.wait(10)
    print(f"probe: one ping every {PROBE_EVERY_S * 1000:g} ms on its own connection; {args.rounds} rounds of "
          f"{args.seconds:g} s quiet + {args.seconds:g} s hostile; hostile = "
          + ", ".join(name for name, _, _ in hostile_calls()) + " in rotation on 2 connections")
    print(f"{'variant':<30}{'quiet p50':>10}{'p99':>8}{'max':>8}{'hostile p50':>13}{'p99':>8}{'max':>8}"
          f"{'added p99':>11}{'added max':>11}{'vs mitmdump max':>17}")
    plain_max = [h["max"] for _, h in results["mitmdump"]]
    for label, rounds in results.items():
        q = {k: _median([qr[k] for qr, _ in rounds]) for k in ("p50", "p99", "max")}
        h = {k: _median([hr[k] for _, hr in rounds]) for k in ("p50", "p99", "max")}
        added_p99 = _median([hr["p99"] - qr["p99"] for qr, hr in rounds])
        added_max = _median([hr["max"] - qr["max"] for qr, hr in rounds])
        vs_plain = _median([hr["max"] - pm for (_, hr), pm in zip(rounds, plain_max, strict=True)])
        print(f"{label:<30}{q['p50']:>10.2f}{q['p99']:>8.2f}{q['max']:>8.1f}{h['p50']:>13.2f}{h['p99']:>8.2f}"
              f"{h['max']:>8.1f}{added_p99:>+11.2f}{added_max:>+11.1f}{vs_plain:>+17.1f}")
    addon = {label: rounds for label, rounds in results.items() if label != "mitmdump"}
    if addon:
        worst = max(_median([hr["max"] - qr["max"] for qr, hr in rounds]) for rounds in addon.values())
        worst_vs_plain = max(_median([hr["max"] - pm for (_, hr), pm in zip(rounds, plain_max, strict=True)])
                             for rounds in addon.values())
        plain_added = _median([hr["max"] - qr["max"] for qr, hr in results["mitmdump"]])
        print(f"worst delay the hostile load adds with the addon: {worst:.1f} ms over its quiet phase "
              f"(plain mitmdump: {plain_added:.1f} ms), {worst_vs_plain:+.1f} ms over plain mitmdump's hostile "
              f"phase — target <= {TARGET_MS:g} ms: {'met' if worst <= TARGET_MS else 'NOT met'} over quiet, "
              f"{'met' if worst_vs_plain <= TARGET_MS else 'NOT met'} over mitmdump")
    return 0


if __name__ == "__main__":
    sys.exit(main())
