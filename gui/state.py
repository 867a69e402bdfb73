"""What the window shows and where it stands, apart from its widgets (no Qt).

:class:`ViewState` holds the dataset on screen and the selected session; :class:`CaptureState` the live
capture's bookkeeping (journal, attachment, ingest rate, stream-to-screen latency). The window reads them
to fill its widgets and changes them from its signal handlers.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from mcscope.core.config import Config
from mcscope.core.model import Exchange, Severity
from mcscope.core.session import Session
from mcscope.core.state import Event
from mcscope.gui.dataset import Dataset


class ViewState:
    """The dataset on screen and the key of the selected session (None: the all-sessions overview)."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.current_key: str | None = None

    def set_dataset(self, ds: Dataset) -> Session | None:
        """Replace the dataset; returns the session to show (the selected one, if the new dataset has it)."""
        self.dataset = ds
        return ds.session(self.current_key) if self.current_key else None

    def current_session(self) -> Session | None:
        return self.dataset.session(self.current_key) if self.current_key else None

    def exchange_of(self, event: Event) -> Exchange | None:
        """The HTTP exchange that carried ``event`` of the selected session (from that session's own file)."""
        return self.dataset.exchange_of(event, self.current_key)

    def first_problem_session(self) -> Session | None:
        """The first session with an error, else the first with a warning, else the first session."""
        best: tuple[int, Session] | None = None
        for s in self.dataset.sessions:
            worst = max((int(f.severity) for f in s.findings), default=0)
            if worst >= Severity.WARNING and (best is None or worst > best[0]):
                best = (worst, s)
                if worst >= Severity.ERROR:
                    break
        if best is not None:
            return best[1]
        return self.dataset.sessions[0] if self.dataset.sessions else None

    def from_snapshot(self, records: list[dict[str, Any]], config: Config) -> Dataset:
        """A live dataset rebuilt from a (re)connection snapshot, keeping older exchanges the proxy no longer
        holds; unreadable records are counted in ``bad_records``."""
        snap_ids = {r.get("flow") for r in records}
        ds = Dataset(config=config, live=True, sources=self.dataset.sources)
        for ex in self.dataset.exchanges:
            if ex.flow_id not in snap_ids:
                ds.feed(ex)
        ds.feed_records(records)
        return ds

    def sources_text(self, journal_path: str) -> str:
        """The status bar's note of where the data comes from."""
        if self.dataset.live:
            return f"Journal: {journal_path}" if journal_path else ""
        return "Files: " + ", ".join(Path(p).name for p in self.dataset.sources)


class CaptureState:
    """Bookkeeping of the live capture: where it journals, what it is attached to, how fast it flows."""

    def __init__(self) -> None:
        self.journal_path = ""
        self.attached = ""  # socket path of a user's own mitmproxy the window is attached to
        self.events_per_s = 0.0
        self.last_stream_latency_ms: float | None = None
        self._rate_last_count = 0
        self._pending_since: float | None = None

    def records_arrived(self) -> None:
        """Records came in and wait for the next flush to the screen."""
        if self._pending_since is None:
            self._pending_since = time.perf_counter()

    def flushed(self) -> None:
        """The waiting records are on screen: measure how long they waited."""
        if self._pending_since is not None:
            self.last_stream_latency_ms = (time.perf_counter() - self._pending_since) * 1000
            self._pending_since = None

    def rate_tick(self, exchange_count: int, interval_ms: int) -> None:
        """Called every ``interval_ms``: the ingest rate since the previous tick."""
        self.events_per_s = max(0, exchange_count - self._rate_last_count) * 1000 / interval_ms
        self._rate_last_count = exchange_count

    def describe(self, proxy_state: str, running: bool, connected: bool, address: str) -> tuple[str, str]:
        """(status bar text, capture action text) for the proxy's state."""
        if running:
            text = f"● Capturing on {address}" if connected else f"◌ Starting proxy on {address}…"
            return text, "Stop capture"
        if self.attached and connected:
            return "● Attached to a running proxy", "Start capture"
        text = "○ Not capturing" if proxy_state != "crashed" else "✖ Proxy stopped unexpectedly"
        return text, "Start capture"

    @staticmethod
    def rate_text(sessions: int, events_per_s: float) -> str:
        noun = "session" if sessions == 1 else "sessions"
        return f"{sessions:,} {noun} · {events_per_s:,.0f} events/s"
