"""Mock mode's answers (the hook's filtering is tested in test_addon.py)."""

from __future__ import annotations

from mcscope.live.mock import Mock
from tests.live.helpers import body, make_flow, session_start_flow


def test_answers_like_the_collector() -> None:
    mock = Mock()
    start = session_start_flow()
    start.response = None
    mock.answer(start)
    assert start.response is not None and start.response.status_code == 201
    sid = start.response.headers["Location"].rsplit("/", 1)[1]
    event = make_flow(path=f"/api/v1/sessions/{sid}/events", body=body("play"), status=None)
    mock.answer(event)
    assert event.response is not None and event.response.status_code == 204
    assert mock.collector.requests == 2
