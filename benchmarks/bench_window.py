"""The desktop window under load: opening a big journal, and live ingest through the stream.

    QT_QPA_PLATFORM=offscreen sh addon/run.sh python -m benchmarks.bench_window            # 1M events, 2,000 sessions
    QT_QPA_PLATFORM=offscreen sh addon/run.sh python -m benchmarks.bench_window --skip-live --workdir /tmp/mcb
    QT_QPA_PLATFORM=offscreen sh addon/run.sh python -m benchmarks.bench_window --events 100000 --sessions 200 \\
        --rate 2000 --seconds 10

1. Open (issue 10's window targets): generates a journal and a HAR of the same capture (benchmarks/
   bench_check.py's generators; ``--workdir`` keeps and reuses them), runs ``mcscope check`` on each in a
   child (default --jobs), then opens it in the real MainWindow (progressive load: FileLoader) and prints the
   time until the first sessions are on screen (< 1 s), until fully loaded and its ratio to the check
   (<= 1.5x), the window's peak RSS during the load (< 1 GB; VmHWM reset before it) and the UI-loop lag
   while loading (lateness of a 10 ms QTimer, p50/p99/max; p99 < 50 ms), each with target met / not met.
2. Live: a stream test double (tests/gui/fakestream.py, the real protocol) pushes exchange records at
   ``--rate`` per second for ``--seconds`` into a window attached to it. Reports the UI event-loop lag
   (lateness of a 10 ms QTimer, p50/p99/max) and stream-to-table latency (time from a record being sent
   until the event table shows it, p50/p99), and the achieved ingest rate.

Not a test: nothing here asserts a speed. Prints figures only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent

from benchmarks.bench_check import generate  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(p / 100 * len(v)))]


def reset_peak_rss() -> bool:
    """Start counting the peak RSS (VmHWM) afresh (Linux: ``clear_refs`` 5); False when it cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def vm_hwm_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def capture_file(workdir: Path, fmt: str, events: int, sessions: int) -> tuple[Path, int]:
    """The bench capture (benchmarks/bench_check.py's generator), generated once per workdir."""
    from benchmarks.bench_check import generate_har

    path = workdir / f"bench-{events}-{sessions}.{'har' if fmt == 'har' else 'ndjson'}"
    if path.exists() and path.stat().st_size > 0:
        return path, events
    t = time.perf_counter()
    n = (generate_har if fmt == "har" else generate)(path, events, sessions)
    print(f"generated {path.name}: {n:,} events / {sessions:,} sessions in {time.perf_counter() - t:.1f} s "
          f"({path.stat().st_size / 1e6:,.0f} MB)")
    return path, n


def met(ok: bool) -> str:
    return "target met" if ok else "target NOT met"


def bench_open(app: object, fmt: str, events: int, sessions: int, workdir: Path) -> None:
    """Issue 10's window targets for opening a big capture: the first sessions on screen in < 1 s, fully
    loaded in <= 1.5x the same file's ``mcscope check`` (same run, default --jobs), < 1 GB RSS, UI-loop lag
    p99 < 50 ms while it loads."""
    from PySide6.QtCore import QEvent, QEventLoop, QSettings, QTimer

    from benchmarks.bench_check import run_check
    from mcscope.gui.window import MainWindow

    path, n = capture_file(workdir, fmt, events, sessions)
    check_s, rc, check_peak = run_check(Path(sys.executable), path, workdir / "check.json", 0)
    if rc != 0:
        print(f"{fmt}: mcscope check failed (exit {rc})")
    settings = QSettings(str(workdir / "s.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings, message=lambda *a: print("message:", a[1:]))
    win.resize(1400, 900)
    win.show()
    app.processEvents()  # type: ignore[attr-defined]
    exact_peak = reset_peak_rss()
    loop = QEventLoop()
    lags: list[float] = []
    first: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        lags.append(max(0.0, (now - last[0]) * 1000 - 10))
        last[0] = now

    def on_screen() -> None:  # the window applied what was judged so far; it paints in this loop turn
        if not first and win.session_model.rowCount() > 0:
            first.append(time.perf_counter() - t0)

    timer.timeout.connect(tick)
    win.updated.connect(on_screen)
    win.loaded.connect(lambda ok: loop.quit())
    t0 = time.perf_counter()
    last[0] = t0
    timer.start()
    win.open_files([str(path)])
    loop.exec()
    t_loaded = time.perf_counter() - t0
    timer.stop()
    t1 = time.perf_counter()
    win.repaint()
    app.processEvents()  # type: ignore[attr-defined]
    win.grab()
    t_paint = time.perf_counter() - t1
    peak = vm_hwm_mb() if exact_peak else peak_rss_mb()
    t_first = first[0] if first else t_loaded
    ratio = t_loaded / check_s if rc == 0 and check_s else float("nan")
    p99 = pct(lags, 99)
    label = "journal" if fmt == "journal" else "HAR"
    print(f"open {label} ({n:,} events, {len(win.dataset.sessions):,} sessions, "
          f"{path.stat().st_size / 1e6:,.0f} MB):")
    print(f"  first sessions on screen  {t_first:6.2f} s            (< 1 s: {met(t_first < 1.0)})")
    print(f"  fully loaded              {t_loaded:6.1f} s            ({n / t_loaded:,.0f} events/s; first paint after "
          f"{t_paint * 1000:.0f} ms)")
    print(f"  mcscope check, same file  {check_s:6.1f} s            (default --jobs, peak RSS {check_peak / 1024:,.0f} MB)")
    print(f"  window / check            {ratio:6.2f} x            (<= 1.5x: "
          f"{met(ratio <= 1.5) if ratio == ratio else 'unknown, the check failed'})")
    print(f"  peak RSS while loading    {peak:6,.0f} MB           (< 1 GB: {met(peak < 1024)}"
          f"{'' if exact_peak else '; process peak, incl. what ran before'})")
    print(f"  UI-loop lag               p50 {pct(lags, 50):.1f} ms, p99 {p99:.1f} ms, max {max(lags, default=0):.0f} ms "
          f"({len(lags):,} ticks; p99 < 50 ms: {met(p99 < 50)})")
    sys.stdout.flush()
    win.shutdown()
    win.deleteLater()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # type: ignore[attr-defined]


def bench_live(app: object, rate: int, seconds: float, sessions: int, workdir: Path) -> None:
    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from mcscope.core.model import Exchange
    from mcscope.gui.window import MainWindow
    from mcscope.io.journal import exchange_to_record
    from tests.gui.fakestream import FakeStreamServer, encode

    sock = tempfile.mkdtemp(prefix="mcb-", dir="/tmp")
    server = FakeStreamServer(os.path.join(sock, "s.sock"), "t").start()
    settings = QSettings(str(workdir / "live.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings, message=lambda *a: None)
    win.resize(1400, 900)
    win.show()
    win.attach(server.path, "t")
    while not win.feed.is_connected():
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)

    host = "https://bench.hb-api.omtrdc.net"
    t_base = int(time.time() * 1000)
    sids = [f"{i:064x}" for i in range(1, sessions + 1)]
    sent_at: dict[str, float] = {}
    seen_lat: list[float] = []

    def rec(flow: str, url: str, body: dict, status: int, headers: list[tuple[str, str]]) -> bytes:
        ex = Exchange(flow_id=flow, method="POST", url=url, request_headers=[("Content-Type", "application/json")],
                      request_body=json.dumps(body).encode(), response_status=status, response_headers=headers,
                      response_body=b"", timestamp_start=time.time(), timestamp_end=time.time())
        return encode({"type": "exchange", "record": exchange_to_record(ex)})

    def producer() -> None:
        # sessionStart for every session first, then pings round-robin
        n = 0
        interval = 1.0 / rate
        t_next = time.perf_counter()
        deadline = t_next + seconds
        playhead = [0.0] * len(sids)
        while time.perf_counter() < deadline:
            batch = []
            now = time.perf_counter()
            while t_next <= now and len(batch) < 500:
                i = n % len(sids)
                sid = sids[i]
                flow = f"f{n}"
                ts = t_base + n
                if n < len(sids):
                    body = {"eventType": "sessionStart", "playerTime": {"playhead": 0, "ts": ts},
                            "params": {"analytics.trackingServer": "x.sc.omtrdc.net", "analytics.reportSuite": "rs",
                                       "visitor.marketingCloudOrgId": "O@AdobeOrg", "media.id": f"m{i}",
                                       "media.length": 600, "media.contentType": "VOD", "media.playerName": "p",
                                       "media.channel": "c", "media.name": f"Bench video {i}"}}
                    batch.append(rec(flow, f"{host}/api/v1/sessions", body, 201,
                                     [("Location", f"/api/v1/sessions/{sid}")]))
                else:
                    playhead[i] += 10
                    etype = "play" if n < 2 * len(sids) else "ping"
                    body = {"eventType": etype, "playerTime": {"playhead": playhead[i], "ts": ts}}
                    batch.append(rec(flow, f"{host}/api/v1/sessions/{sid}/events", body, 204, []))
                sent_at[flow] = time.perf_counter()
                n += 1
                t_next += interval
            if batch:
                server.send_raw(b"".join(batch))
            time.sleep(0.002)
        producer.count = n  # type: ignore[attr-defined]

    lags: list[float] = []
    last = [time.perf_counter()]
    timer = QTimer()
    timer.setInterval(10)

    def tick() -> None:
        now = time.perf_counter()
        lags.append(max(0.0, (now - last[0]) * 1000 - 10))
        last[0] = now

    def on_updated() -> None:
        now = time.perf_counter()
        exs = win.dataset.exchanges
        # latency of the newest record applied to the screen in this flush
        if exs:
            t_sent = sent_at.get(exs[-1].flow_id)
            if t_sent is not None:
                seen_lat.append((now - t_sent) * 1000)

    timer.timeout.connect(tick)
    win.updated.connect(on_updated)
    # show the busiest view: the first session selected
    th = threading.Thread(target=producer, daemon=True)
    loop = QEventLoop()
    t0 = time.perf_counter()
    timer.start()
    th.start()

    def select_first() -> None:
        if win.dataset.sessions and win.current_session() is None:
            win.select_session(win.dataset.sessions[0].key)

    QTimer.singleShot(500, select_first)

    def check_done() -> None:
        if not th.is_alive() and len(win.dataset.exchanges) >= getattr(producer, "count", 1 << 60) or time.perf_counter() - t0 > seconds + 60:
            loop.quit()

    done_timer = QTimer()
    done_timer.timeout.connect(check_done)
    done_timer.start(100)
    loop.exec()
    elapsed = time.perf_counter() - t0
    timer.stop()
    n = len(win.dataset.exchanges)
    print(f"live: {n:,} exchanges in {elapsed:.1f} s ({n / elapsed:,.0f}/s, target {rate:,}/s) into "
          f"{len(win.dataset.sessions):,} sessions; UI loop lag p50 {pct(lags, 50):.1f} ms, p99 {pct(lags, 99):.1f} ms, "
          f"max {max(lags, default=0):.0f} ms; stream-to-table latency p50 {pct(seen_lat, 50):.0f} ms, "
          f"p99 {pct(seen_lat, 99):.0f} ms; peak RSS {peak_rss_mb():,.0f} MB")
    win.shutdown()
    server.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--sessions", type=int, default=2_000)
    ap.add_argument("--rate", type=int, default=2_000, help="live events per second")
    ap.add_argument("--seconds", type=float, default=30.0, help="live duration")
    ap.add_argument("--live-sessions", type=int, default=200)
    ap.add_argument("--skip-open", action="store_true")
    ap.add_argument("--skip-live", action="store_true")
    ap.add_argument("--formats", default="journal,har", help="what to open: journal, har or both (default)")
    ap.add_argument("--in-process", action="store_true", help="open in this process (default: one child per file)")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="keep the generated captures here and reuse them (default: a temporary folder)")
    args = ap.parse_args(argv)
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["bench"])
    with tempfile.TemporaryDirectory(prefix="mcscope-bench-") as tmp:
        if not args.skip_live:
            bench_live(app, args.rate, args.seconds, args.live_sessions, Path(tmp))
        if not args.skip_open:
            workdir = args.workdir or Path(tmp)
            workdir.mkdir(parents=True, exist_ok=True)
            formats = [f.strip() for f in args.formats.split(",") if f.strip()]
            for fmt in formats:
                if fmt not in ("journal", "har"):
                    ap.error(f"unknown format {fmt!r} (journal or har)")
            for fmt in formats:
                if args.in_process:
                    bench_open(app, fmt, args.events, args.sessions, workdir)
                    continue
                # one process per open: its peak RSS is its own, and nothing of the previous open is left
                sys.stdout.flush()
                subprocess.run([sys.executable, "-m", "benchmarks.bench_window", "--skip-live", "--in-process",
                                "--formats", fmt, "--events", str(args.events), "--sessions", str(args.sessions),
                                "--workdir", str(workdir)], cwd=REPO, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
