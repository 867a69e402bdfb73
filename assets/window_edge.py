"""Render the window offscreen with a mixed REST + Media Edge API capture (the README picture window-edge.png).

    sh addon/run.sh python assets/window_edge.py OUT.png

The capture comes from the test builders (tests/builder.py, tests/edge_builder.py): two REST sessions, three Edge
sessions from tests/gui/sessions.py and one richer Edge session (pre-roll, a chapter, a pause) whose bitrateChange
the Edge refused with a 400 problem+json. The picture shows that session with the refused event selected: the
session list's protocol badges, the Edge session's timeline and events, the details pane's readable answer.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test builders
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, QTimer  # noqa: E402

from mcscope.gui.app import make_app  # noqa: E402
from mcscope.gui.exporting import write_journal  # noqa: E402
from tests.edge_builder import EdgeCapture, problem, session_details  # noqa: E402
from tests.gui.sessions import BITRATE_DETAILS, T0, mixed_exchanges, sid_of  # noqa: E402

SHOT_KEY = "edge-sintel"
TIMEOUT_MS = 30_000


def sintel() -> EdgeCapture:
    """Pre-roll of two ads, a chapter, 10 s pings, a refused bitrateChange (string bitrate), a pause, complete."""
    c = EdgeCapture(t0=T0 + 240_000, sid=sid_of(SHOT_KEY))
    c.start(session_details(name="sintel-2010", friendlyName="Sintel", length=888), answer_hint="or2")
    c.hint = "or2"
    c.ad_break(ads=2, index=1)
    c.ev("play", dt=10)
    c.ev("chapterStart", dt=10, mc={"chapterDetails": {"index": 1, "offset": 0, "length": 120,
                                                        "friendlyName": "The dragon"}})
    c.ping_for(20)
    c.ev("bitrateChange", dt=2000, mc={"qoeDataDetails": {"bitrate": "3000", "droppedFrames": False}}, status=400,
         resp_body=problem(details=BITRATE_DETAILS),
         resp_headers=[("Content-Type", "application/problem+json;charset=utf-8")])
    c.ping_for(10, every=8000)
    c.ev("pauseStart", dt=4000)
    c.ev("ping", dt=10_000)
    c.ev("play", dt=2000)
    c.ping_for(20)
    c.ev("chapterComplete", dt=5000)
    c.ev("sessionComplete", dt=10)
    return c


def main(out: str) -> int:
    work = tempfile.mkdtemp(prefix="mcscope-edge-shot-")
    journal = os.path.join(work, "mixed-rest-edge.ndjson")
    extra = sintel().exchanges
    for ex in extra:
        ex.flow_id = f"{SHOT_KEY}-{ex.flow_id}"
    write_journal(sorted(mixed_exchanges() + extra, key=lambda ex: ex.timestamp_start), journal)
    app = make_app()
    from mcscope.gui.window import MainWindow  # after the QApplication

    win = MainWindow(settings=QSettings(os.path.join(work, "settings.ini"), QSettings.Format.IniFormat))
    win.resize(1400, 900)
    win.show()
    result = {"code": 1}

    def shoot() -> None:
        app.processEvents()
        if win.grab().save(out, "PNG"):
            result["code"] = 0
        app.quit()

    def loaded(ok: bool) -> None:
        session = next((s for s in win.dataset.sessions if s.sid == sid_of(SHOT_KEY)), None)
        if not ok or session is None:
            print("window_edge: the capture did not load", file=sys.stderr)
            app.quit()
            return
        win.select_session(session.key)
        refused = next(e.index for e in session.events if e.status == 400)
        win.select_event(refused)
        QTimer.singleShot(400, shoot)  # the timeline's coalesced repaint first

    win.loaded.connect(loaded)
    QTimer.singleShot(TIMEOUT_MS, app.quit)
    win.open_files([journal])
    app.exec()
    win.shutdown()
    return result["code"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/mcscope-shots/window-edge.png"))
