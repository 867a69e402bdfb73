"""core/status.py: one vocabulary of session statuses, and the sessions that get each of them."""

from __future__ import annotations

import pytest

from mcscope.core import status as st
from mcscope.core.session import Analyzer
from tests.builder import Capture, clean_vod, start_params


def test_every_status_has_a_label_and_problems_are_statuses() -> None:
    assert set(st.LABELS) == set(st.STATUSES) and len(st.STATUSES) == len(set(st.STATUSES))
    assert set(st.STATUSES) >= st.PROBLEMS
    assert st.label("timed-out") == "timed out" and st.label("rejected") == "rejected"
    assert st.label("something-else") == "something-else"


@pytest.mark.parametrize("code", [400, 401, 403, 429])
def test_a_session_start_answered_4xx_is_rejected(code: int) -> None:
    c = Capture(live=True)
    c.start(status=code, resp_body=b'{"message": "bad"}')
    an = c.analyze()
    (s,) = an.sessions
    assert s.status == st.REJECTED
    assert s.summary()["status"] == "rejected" and s.to_report()["status"] == "rejected"


@pytest.mark.parametrize("code", [201, 500, None])
def test_a_session_start_not_refused_is_not_rejected(code: int | None) -> None:
    c = Capture()
    c.start(status=code or 201, error=None if code else "connection reset")
    if code is None:
        c.exchanges[-1].response_status = None
    an = Analyzer()
    for ex in c.exchanges:
        an.feed(ex)
    (s,) = an.sessions
    assert s.status == st.OPEN


def test_a_refused_downloaded_batch_is_rejected() -> None:
    c = Capture()
    body = [c.body("sessionStart", 0, start_params(**{"media.downloaded": True})), c.body("play", 0)]
    c.post("/api/v1/downloaded", body, status=400)
    (s,) = c.analyze().sessions
    assert s.downloaded and s.status == st.REJECTED


def test_statuses_of_ordinary_sessions_stay_in_the_vocabulary() -> None:
    seen = set()
    for make in (lambda: clean_vod(), lambda: Capture(sid="b" * 64)):
        cap = make()
        if not cap.exchanges:
            cap.start()
            cap.ev("play")
        for s in cap.analyze().sessions:
            seen.add(s.status)
    assert seen <= set(st.STATUSES) and "completed" in seen
