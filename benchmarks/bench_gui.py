"""Timeline repaint time and model insert cost at 100,000 events in one session (offscreen).

    QT_QPA_PLATFORM=offscreen sh addon/run.sh python -m benchmarks.bench_gui                 # 100,000 events
    QT_QPA_PLATFORM=offscreen sh addon/run.sh python -m benchmarks.bench_gui --events 1000000 --scripted

Two sources of a 100k-event session, both judged by the real ``Analyzer`` -> ``Session.segments()``:
  * ``journal``: a generated journal (benchmarks/bench_check.py's clean VOD generator, one session) read
    with ``mcscope.io.capture.read_exchanges``;
  * ``scripted``: the GUI tests' scripted player (tests/gui/sessions.big_session: 1 s pings with bitrate
    changes, built in memory with tests/builder.py).
For each: column build time (once per data change), then paint time of the widget (``paintEvent`` body,
median of N repaints) with the whole session in view and zoomed to 1 % of it, plus ``grab()`` wall time.
Goal from the issue: <= 30 ms per repaint. Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent

from PySide6.QtWidgets import QApplication  # noqa: E402


def real_session(events: int) -> Any:
    from benchmarks import bench_check
    from mcscope.core.config import Config
    from mcscope.core.session import Analyzer
    from mcscope.io.capture import read_exchanges

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ndjson"
        bench_check.generate(path, events, 1)
        t = time.perf_counter()
        an = Analyzer(Config())
        for ex in read_exchanges(path):
            an.feed(ex)
        an.finish()
        print(f"  analyzer: {(time.perf_counter() - t):.1f} s for {events:,} events")
    return max(an.sessions, key=lambda s: len(s.events))


def scripted_session(events: int) -> Any:
    from tests.gui.sessions import big_session

    return big_session(events)


def bench_timeline(session: Any, repeats: int) -> None:
    from mcscope.gui.timeline.widget import TimelineWidget

    w = TimelineWidget()
    w.resize(1400, 480)
    t = time.perf_counter()
    segs = session.segments()
    t_segs = (time.perf_counter() - t) * 1000
    w.setSession(session)
    t = time.perf_counter()
    w._ensure_data()  # column build (numpy), done once per data change
    t_build = (time.perf_counter() - t) * 1000
    print(f"  {len(session.events):,} events, {len(segs):,} segments: segments() {t_segs:.0f} ms, "
          f"column build {t_build:.0f} ms")
    w.grab()
    lo, hi = w.view()
    views = {"full view": (lo, hi), "zoomed 1 %": (lo + (hi - lo) * 0.40, lo + (hi - lo) * 0.41),
             "zoomed 10 %": (lo + (hi - lo) * 0.40, lo + (hi - lo) * 0.50)}
    for name, (a, b) in views.items():
        w.setView(a, b)
        paints, grabs = [], []
        for _ in range(repeats):
            t = time.perf_counter()
            w.grab()
            grabs.append((time.perf_counter() - t) * 1000)
            paints.append(w.last_paint_ms)
        print(f"  {name:12s}: paint median {statistics.median(paints):5.1f} ms, max {max(paints):5.1f} ms; "
              f"grab() median {statistics.median(grabs):5.1f} ms")
    w.setSession(None)
    w.setSessions([session])
    w.grab()
    overview = []
    for _ in range(repeats):
        w.grab()
        overview.append(w.last_paint_ms)
    print(f"  overview    : paint median {statistics.median(overview):5.1f} ms")


def bench_models(session: Any) -> None:
    from mcscope.gui.models import EventFilterProxy, EventTableModel

    events = list(session.events)
    m = EventTableModel()
    inserts: list[tuple[int, int]] = []
    m.rowsInserted.connect(lambda _p, a, b: inserts.append((a, b)))
    t = time.perf_counter()
    m.set_session(session)
    t_reset = (time.perf_counter() - t) * 1000
    m.set_session(None)
    t = time.perf_counter()
    for i in range(0, len(events), 500):  # live feed: 500 events per 50 ms tick
        m.append_events(events[i:i + 500])
        m.flush()
    t_batched = (time.perf_counter() - t) * 1000
    proxy = EventFilterProxy()
    proxy.setSourceModel(m)
    t = time.perf_counter()
    proxy.set_min_severity(2)
    t_filter = (time.perf_counter() - t) * 1000
    print(f"  event model: reset with {len(events):,} rows {t_reset:.0f} ms; batched live insert "
          f"({len(inserts)} inserts of <= 500) {t_batched:.0f} ms; severity filter {t_filter:.0f} ms "
          f"-> {proxy.rowCount():,} rows")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--scripted", action="store_true", help="only the scripted session (no journal file)")
    args = ap.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    _ = app
    sources = [("scripted", scripted_session)]
    if not args.scripted:
        sources.insert(0, ("journal", real_session))
    for name, make in sources:
        print(f"{name} session:")
        session = make(args.events)
        bench_timeline(session, args.repeats)
        bench_models(session)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
