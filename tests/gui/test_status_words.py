"""The window says a session's status in the core's words (core/status.py), never "live"."""

from __future__ import annotations

from mcscope.core import status as st
from mcscope.gui import style
from mcscope.gui.models import SessionFilterProxy


def test_the_window_uses_the_core_vocabulary() -> None:
    assert style.STATUS_TEXT == st.LABELS
    assert set(style.STATUS_COLOR) == set(st.STATUSES)
    assert "live" not in style.STATUS_TEXT.values()


def test_rejected_has_a_colour_of_its_own() -> None:
    rejected = style.STATUS_COLOR["rejected"].lower()
    others = {style.STATUS_COLOR["gone"].lower(), style.SEVERITY_FG["error"].lower(),
              style.SEVERITY_MARK["error"].lower(), style.STATUS_COLOR["open"].lower()}
    assert rejected not in others


def test_problem_filter_knows_every_problem_status() -> None:
    assert SessionFilterProxy.PROBLEM_STATUSES == st.PROBLEMS
