"""Proxy overhead of the mcscope addon: plain mitmdump vs mitmdump + addon (journal + one live viewer).

Loopback only. A tiny keep-alive HTTP/1.1 backend (a child process) answers 204; an asyncio load
generator sends absolute-form POSTs of Media Collection ``ping`` events over keep-alive connections
through the proxy (regular mode) for a fixed time per variant, after a warm-up. Prints requests/s,
p50/p99 latency and the proxy's RSS for both variants, then the ratios.

    .venv/bin/python benchmarks/bench_proxy.py [--seconds 10] [--connections 8]

Targets: with the addon >= 95 % of the plain throughput and < 1 ms added p99. Not a test: numbers
depend on the machine (2 shared cores here), so compare the two variants of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MITMDUMP = Path(sys.executable).parent / "mitmdump"
SCRIPT = ROOT / "addon" / "mcscope_addon.py"
TOKEN = "bench-token"


# --------------------------------------------------------------------------------------- backend
async def _backend_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            writer.write(b"HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def _backend(port: int) -> None:
    server = await asyncio.start_server(_backend_conn, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


# ----------------------------------------------------------------------------------------- load
def _request(backend_port: int, i: int) -> bytes:
    body = json.dumps(
        {"eventType": "ping", "playerTime": {"playhead": i % 600, "ts": int(time.time() * 1000)}}
    ).encode()
    head = (
        f"POST http://127.0.0.1:{backend_port}/api/v1/sessions/bench{i % 8}/events HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{backend_port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


async def _client(proxy_port: int, backend_port: int, stop_at: float, record_from: float,
                  lat: list[float], counter: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy_port)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    i = 0
    loop = asyncio.get_running_loop()
    try:
        while loop.time() < stop_at:
            t0 = loop.time()
            writer.write(_request(backend_port, i))
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            t1 = loop.time()
            if t0 >= record_from:
                lat.append(t1 - t0)
                counter[0] += 1
            counter[1] += 1
            i += 1
    finally:
        writer.close()


async def _viewer(socket_path: str, stop_at: float, seen: list[int]) -> None:
    for _ in range(100):
        if os.path.exists(socket_path):
            break
        await asyncio.sleep(0.05)
    reader, writer = await asyncio.open_unix_connection(socket_path, limit=2**26)
    writer.write(json.dumps({"v": 1, "token": TOKEN}).encode() + b"\n")
    loop = asyncio.get_running_loop()
    try:
        while loop.time() < stop_at + 1:
            line = await asyncio.wait_for(reader.readline(), max(0.1, stop_at + 1 - loop.time()))
            if not line:
                break
            seen[0] += 1
    except TimeoutError:
        pass
    finally:
        writer.close()


async def _load(proxy_port: int, backend_port: int, seconds: float, warmup: float, conns: int,
                viewer_socket: str | None) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    record_from = start + warmup
    stop_at = record_from + seconds
    lat: list[float] = []
    counter = [0, 0]
    seen = [0]
    tasks = [_client(proxy_port, backend_port, stop_at, record_from, lat, counter) for _ in range(conns)]
    if viewer_socket:
        tasks.append(_viewer(viewer_socket, stop_at, seen))
    await asyncio.gather(*tasks)
    lat.sort()
    return {
        "rps": counter[0] / seconds,
        "p50_ms": statistics.median(lat) * 1000 if lat else float("nan"),
        "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000 if lat else float("nan"),
        "requests": counter[0],
        "all_requests": counter[1],
        "viewer_lines": seen[0],
    }


# -------------------------------------------------------------------------------------- harness
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def run_variant(name: str, with_addon: bool, backend_port: int, args: argparse.Namespace, tmp: Path) -> dict:
    port = _free_port()
    cmd = [str(MITMDUMP), "-q", "--listen-host", "127.0.0.1", "--listen-port", str(port),
           "--set", f"confdir={tmp / 'conf'}"]
    env = {**os.environ, "MCSCOPE_TOKEN": TOKEN, "MCSCOPE_DATA_DIR": str(tmp / "data"),
           "MCSCOPE_STREAMS_DIR": str(tmp / "streams")}
    sock_path = None
    if with_addon:
        sock_dir = Path(tempfile.mkdtemp(prefix="mcb-"))
        sock_path = str(sock_dir / "s.sock")
        cmd += ["-s", str(SCRIPT), "--set", f"mcscope_journal={tmp / (name + '.ndjson')}",
                "--set", f"mcscope_stream={sock_path}"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port)
        cpu0 = _cpu_s(proc.pid)
        res = asyncio.run(_load(port, backend_port, args.seconds, args.warmup, args.connections, sock_path))
        res["rss_mb"] = _rss_kb(proc.pid) / 1024
        # proxy CPU per request (warm-up included on both sides): robust against a busy machine
        res["cpu_ms_per_req"] = (_cpu_s(proc.pid) - cpu0) * 1000 / max(1, res["all_requests"])
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    if with_addon:
        lines = (tmp / (name + ".ndjson")).read_text().count("\n")
        res["journal_lines"] = lines
    return res


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per variant (default 10)")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--backend", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend:
        asyncio.run(_backend(args.backend))
        return 0
    backend_port = _free_port()
    backend = subprocess.Popen([sys.executable, __file__, "--backend", str(backend_port)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert backend.stdout is not None
        backend.stdout.readline()
        with tempfile.TemporaryDirectory(prefix="mcscope-bench-") as t:
            tmp = Path(t)
            plain = run_variant("plain", False, backend_port, args, tmp)
            addon = run_variant("addon", True, backend_port, args, tmp)
    finally:
        backend.terminate()
        backend.wait(10)
    print(f"{'variant':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'RSS MB':>10}{'CPU ms/req':>12}")
    for label, r in (("mitmdump", plain), ("mitmdump + mcscope addon", addon)):
        print(f"{label:<28}{r['rps']:>10.1f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}{r['rss_mb']:>10.1f}"
              f"{r['cpu_ms_per_req']:>12.3f}")
    ratio = addon["rps"] / plain["rps"] if plain["rps"] else float("nan")
    print(f"throughput ratio {ratio * 100:.1f} % (target >= 95 %), added p99 "
          f"{addon['p99_ms'] - plain['p99_ms']:+.2f} ms (target < 1 ms), added p50 "
          f"{addon['p50_ms'] - plain['p50_ms']:+.2f} ms")
    print(f"proxy CPU per request: +{addon['cpu_ms_per_req'] - plain['cpu_ms_per_req']:.3f} ms with the addon")
    print(f"addon variant: {addon.get('journal_lines', 0)} journal lines, viewer received "
          f"{addon['viewer_lines']} lines, {addon['requests']} measured requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
