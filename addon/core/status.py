"""The statuses of a session: one vocabulary for the CLI, the reports and the window.

``Session.status`` (mcscope.core.session) returns one of :data:`STATUSES`; the JSON report carries the id,
the text and Markdown output and the window (gui/style.py ``STATUS_TEXT``, kept equal by a test) show
:func:`label`; JUnit names the id in a testcase property. A status says what the collector
made of the session, never where it was read from: a session read from a file is ``open`` like one seen
live, and no status means "live".
"""

from __future__ import annotations

__all__ = ["COMPLETED", "ENDED", "GONE", "LABELS", "OPEN", "PROBLEMS", "REJECTED", "STATUSES", "TIMED_OUT",
           "label"]

OPEN = "open"
COMPLETED = "completed"
ENDED = "ended"
TIMED_OUT = "timed-out"
GONE = "gone"
REJECTED = "rejected"

#: Every status, in the order a session list sorts them (still running first, refused last).
STATUSES: tuple[str, ...] = (OPEN, COMPLETED, ENDED, TIMED_OUT, GONE, REJECTED)

#: What every front door prints for a status.
LABELS: dict[str, str] = {
    OPEN: "open",
    COMPLETED: "completed",
    ENDED: "ended",
    TIMED_OUT: "timed out",
    GONE: "gone",
    REJECTED: "rejected",
}

#: Statuses that mean data was lost or never recorded (the window's "only problems" filter).
PROBLEMS: frozenset[str] = frozenset({TIMED_OUT, GONE, REJECTED})


def label(status: str) -> str:
    """The printed word of a status (an unknown one as it is)."""
    return LABELS.get(status, status)
