"""The mock collectors' session store: which sessions exist, which are closed and why.

Both mocks (REST ``collector.py``, Media Edge ``edge_collector.py``) close a session the way Adobe's back end
does, measured on the player's own clock (the event's ``ts`` / ``timestamp``) so that replayed or simulated
sessions meet the same answer whatever speed they are played at: no event for ``idle_timeout_ms`` (10 min), no
playhead movement for ``playhead_timeout_ms`` (30 min), and, when ``max_age_ms`` is set, an age over 24 h
(media-edge.md §1.8). ``None`` disables a limit. Not thread-safe: the collectors hold their own lock.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["IDLE_TIMEOUT_MS", "PLAYHEAD_TIMEOUT_MS", "MAX_AGE_MS", "SessionState", "SessionStore", "new_sid"]

IDLE_TIMEOUT_MS = 600_000
PLAYHEAD_TIMEOUT_MS = 1_800_000
MAX_AGE_MS = 86_400_000


def new_sid() -> str:
    """64 lowercase hex characters, the form both back ends hand out."""
    return secrets.token_hex(32)


@dataclass(slots=True)
class SessionState:
    closed: str | None = None  # None = open, else the reason ("sessionEnd", "idle timeout", ...)
    start_ts: int | None = None
    last_ts: int | None = None
    playhead: float | None = None
    playhead_moved_ts: int | None = None
    events: int = 0


class SessionStore:
    """Sessions by id, oldest first; ``max_sessions`` bounds memory (the oldest are forgotten)."""

    def __init__(
        self,
        *,
        sid_factory: Callable[[], str] = new_sid,
        idle_timeout_ms: int | None = IDLE_TIMEOUT_MS,
        playhead_timeout_ms: int | None = PLAYHEAD_TIMEOUT_MS,
        max_age_ms: int | None = None,
        max_sessions: int = 100_000,
    ) -> None:
        self._sid_factory = sid_factory
        self.idle_timeout_ms = idle_timeout_ms
        self.playhead_timeout_ms = playhead_timeout_ms
        self.max_age_ms = max_age_ms
        self._max_sessions = max(1, max_sessions)
        self._sessions: OrderedDict[str, SessionState] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, sid: str) -> SessionState | None:
        return self._sessions.get(sid)

    def create(self, closed: str | None = None, ts: int | None = None, playhead: float | None = None) -> str:
        """A new session (``closed`` set for batches that are complete on arrival); its id."""
        sid = self._sid_factory()
        while sid in self._sessions:
            sid = self._sid_factory() + secrets.token_hex(2)
        self._sessions[sid] = SessionState(closed=closed, start_ts=ts, last_ts=ts, playhead=playhead,
                                           playhead_moved_ts=ts if playhead is not None else None)
        while len(self._sessions) > self._max_sessions:
            self._sessions.popitem(last=False)
        return sid

    def timed_out(self, state: SessionState, ts: int | None, playhead: float | None) -> bool:
        """Advance an open session to an event at ``ts`` / ``playhead``; True (and ``closed`` set) when the
        session had already expired by then. An event without a usable time advances nothing."""
        if ts is None:
            return False
        idle = self.idle_timeout_ms
        if state.last_ts is not None and idle is not None and ts - state.last_ts > idle:
            state.closed = "idle timeout"
            return True
        age = self.max_age_ms
        if state.start_ts is not None and age is not None and ts - state.start_ts > age:
            state.closed = "older than 24 h" if age == MAX_AGE_MS else "too old"
            return True
        if playhead is not None:
            stuck = self.playhead_timeout_ms
            if state.playhead != playhead or state.playhead_moved_ts is None:
                state.playhead = playhead
                state.playhead_moved_ts = ts
            elif stuck is not None and ts - state.playhead_moved_ts > stuck:  # exactly 30 min is still accepted
                state.closed = "playhead timeout"
                return True
        if state.last_ts is None or ts > state.last_ts:
            state.last_ts = ts
        if state.start_ts is None:
            state.start_ts = ts
        return False
