"""Proxy overhead of the mcscope addon: plain mitmdump vs mitmdump + addon (journal + one live viewer).

Loopback only. A tiny keep-alive HTTP/1.1 backend (a child process) answers 204; an asyncio load
generator sends absolute-form POSTs of Media Collection ``ping`` events over keep-alive connections
through the proxy (regular mode) for a fixed time per variant, after a warm-up. Prints requests/s,
p50/p99 latency, RSS and CPU per request of the proxy (and of the addon's analysis process) for each
variant, then the ratios.

    .venv/bin/python benchmarks/bench_proxy.py [--seconds 10] [--connections 8] [--rounds 3] [--inproc]
        [--analyse] [--baseline DIR]

Variants run interleaved (plain, addon, plain, addon, ...) ``--rounds`` times; the figures are medians
and the ratios are medians of the per-round ratios, because a shared machine drifts by 10 % and more
between runs. ``--inproc`` adds the addon with ``mcscope_worker=false`` (everything on the proxy's loop);
``--analyse`` adds the addon with ``mcscope_analyse=true`` (what ``mcscope proxy`` runs: journal, stream
and the analysis for the exit code; without it, as in the window's proxy, the addon does not analyse);
``--baseline DIR`` adds the addon of another checkout (e.g. ``git worktree add /tmp/base HEAD~3``): its
wheel is built and installed into a throw-away venv with this venv's dependency versions (pip freeze as
constraints), and that variant runs that venv's mitmdump with the script of the package installed there,
so each variant imports its own ``mcscope`` without any PYTHONPATH or sys.path tricks.

Targets: with the addon >= 95 % of the plain throughput and < 1 ms added p99. Not a test: numbers
depend on the machine (2 shared cores here), so compare the variants of the same run.
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

from bench_check import baseline_python  # beside this script (run as python benchmarks/bench_proxy.py)

ROOT = Path(__file__).resolve().parent.parent
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


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (the addon's analysis process)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == str(pid):
            out.append(int(stat.parent.name))
    return out


class Install:
    """A Python environment with an mcscope in it: its mitmdump and the addon script of its package."""

    def __init__(self, python: Path) -> None:
        self.python = python
        self.mitmdump = python.parent / "mitmdump"
        # `mcscope addon-path` exists in every layout (also the flat `addon` package before 0.1's restructuring)
        out = subprocess.run([str(python.parent / "mcscope"), "addon-path"], capture_output=True, text=True,
                             check=True, cwd="/")
        self.script = Path(out.stdout.strip())


def baseline_install(tree: Path, work: Path) -> Install:
    """The checkout in ``tree`` built as a wheel into a throw-away venv (bench_check.baseline_python)."""
    return Install(baseline_python(tree, work))


def run_variant(name: str, addon_args: list[str] | None, backend_port: int, args: argparse.Namespace,
                tmp: Path, install: Install) -> dict:
    with_addon = addon_args is not None
    port = _free_port()
    cmd = [str(install.mitmdump), "-q", "--listen-host", "127.0.0.1", "--listen-port", str(port),
           "--set", f"confdir={tmp / 'conf'}"]
    env = {**os.environ, "MCSCOPE_TOKEN": TOKEN, "MCSCOPE_DATA_DIR": str(tmp / "data"),
           "MCSCOPE_STREAMS_DIR": str(tmp / "streams")}
    sock_path = None
    if with_addon:
        sock_dir = Path(tempfile.mkdtemp(prefix="mcb-"))
        sock_path = str(sock_dir / "s.sock")
        cmd += ["-s", str(install.script), "--set", f"mcscope_journal={tmp / (name + '.ndjson')}",
                "--set", f"mcscope_stream={sock_path}", *addon_args]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.05)
    try:
        _wait_port(port)
        deadline = time.monotonic() + 10
        discovery = tmp / "streams" / f"{proc.pid}.json"
        while with_addon and not discovery.exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # the addon (its analysis process) is ready once it advertises the stream
        workers = _children(proc.pid)
        cpu0 = _cpu_s(proc.pid)
        wcpu0 = sum(_cpu_s(w) for w in workers)
        res = asyncio.run(_load(port, backend_port, args.seconds, args.warmup, args.connections, sock_path))
        res["rss_mb"] = _rss_kb(proc.pid) / 1024
        # proxy CPU per request (warm-up included on both sides): robust against a busy machine
        res["cpu_ms_per_req"] = (_cpu_s(proc.pid) - cpu0) * 1000 / max(1, res["all_requests"])
        res["worker_rss_mb"] = sum(_rss_kb(w) for w in workers) / 1024
        res["worker_cpu_ms_per_req"] = (sum(_cpu_s(w) for w in workers) - wcpu0) * 1000 / max(1, res["all_requests"])
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


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per variant (default 10)")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every variant (default 3)")
    parser.add_argument("--inproc", action="store_true", help="also the addon with mcscope_worker=false")
    parser.add_argument("--analyse", action="store_true", help="also the addon with mcscope_analyse=true")
    parser.add_argument("--baseline", type=Path, metavar="DIR", help="also the addon of the checkout in DIR")
    parser.add_argument("--backend", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend:
        asyncio.run(_backend(args.backend))
        return 0
    variants: dict[str, list[str] | None] = {"mitmdump": None, "mitmdump + mcscope addon": []}
    if args.inproc:
        variants["addon, mcscope_worker=false"] = ["--set", "mcscope_worker=false"]
    if args.analyse:
        variants["addon, mcscope_analyse=true"] = ["--set", "mcscope_analyse=true"]
    here = Install(Path(sys.executable))
    installs = {label: here for label in variants}
    build = tempfile.TemporaryDirectory(prefix="mcscope-bench-venv-")
    if args.baseline:
        variants["baseline addon"] = []
        installs["baseline addon"] = baseline_install(args.baseline.resolve(), Path(build.name))
    backend_port = _free_port()
    backend = subprocess.Popen([sys.executable, __file__, "--backend", str(backend_port)],
                               stdout=subprocess.PIPE, text=True)
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    try:
        assert backend.stdout is not None
        backend.stdout.readline()
        with tempfile.TemporaryDirectory(prefix="mcscope-bench-") as t:
            tmp = Path(t)
            for r in range(args.rounds):
                for n, (label, addon_args) in enumerate(variants.items()):
                    runs[label].append(run_variant(f"v{n}r{r}", addon_args, backend_port, args, tmp,
                                                   installs[label]))
    finally:
        backend.terminate()
        backend.wait(10)
        build.cleanup()
    keys = ("rps", "p50_ms", "p99_ms", "rss_mb", "cpu_ms_per_req", "worker_rss_mb", "worker_cpu_ms_per_req")
    med = {label: {k: _median([r.get(k, 0.0) for r in rs]) for k in keys} for label, rs in runs.items()}
    print(f"medians of {args.rounds} interleaved rounds of {args.seconds:g} s")
    print(f"{'variant':<30}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'RSS MB':>9}{'CPU ms/req':>12}"
          f"{'worker RSS':>12}{'worker CPU':>12}")
    for label, m in med.items():
        print(f"{label:<30}{m['rps']:>9.1f}{m['p50_ms']:>9.2f}{m['p99_ms']:>9.2f}{m['rss_mb']:>9.1f}"
              f"{m['cpu_ms_per_req']:>12.3f}{m['worker_rss_mb']:>12.1f}{m['worker_cpu_ms_per_req']:>12.3f}")
    plain = runs["mitmdump"]
    for label, rs in list(runs.items())[1:]:
        ratios = [a["rps"] / p["rps"] for a, p in zip(rs, plain, strict=True) if p["rps"]]
        p99 = [a["p99_ms"] - p["p99_ms"] for a, p in zip(rs, plain, strict=True)]
        p50 = [a["p50_ms"] - p["p50_ms"] for a, p in zip(rs, plain, strict=True)]
        cpu = [a["cpu_ms_per_req"] - p["cpu_ms_per_req"] for a, p in zip(rs, plain, strict=True)]
        print(f"{label}: throughput ratio {_median(ratios) * 100:.1f} % (target >= 95 %; rounds "
              f"{', '.join(f'{x * 100:.0f}' for x in ratios)}), added p99 {_median(p99):+.2f} ms (target < 1 ms), "
              f"added p50 {_median(p50):+.2f} ms, proxy CPU per request {_median(cpu):+.3f} ms")
        last = rs[-1]
        print(f"  last round: {last.get('journal_lines', 0)} journal lines, viewer received "
              f"{last['viewer_lines']} lines, {last['requests']} measured requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
