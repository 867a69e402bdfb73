"""gui/timeline/data.py: session_title, what the session list and the timeline call a session; a session whose
sessionStart was refused is named by what its request asked for, never by its raw ``flow:…`` key."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mcscope.core.session import Session
from mcscope.gui.timeline.data import requested_name, session_title
from tests.builder import Capture, start_params
from tests.edge_builder import EdgeCapture, problem, session_details
from tests.gui.sessions import analyze, clean_session, edge_clean_session, edge_start_207_capture


def refused_edge(details: Any, status: int = 400) -> Session:
    c = EdgeCapture()
    body = problem() if status == 400 else json.dumps({"handle": [], "errors": [
        {"type": "https://ns.adobe.com/aep/errors/va-edge-0400-400", "status": 400}]}).encode()
    c.start(details, status=status, resp_body=body)
    return analyze(c)


def refused_rest(**params: Any) -> Session:
    c = Capture()
    c.start(start_params(**params), status=400)
    return analyze(c)


def test_accepted_sessions_keep_their_media_name() -> None:
    assert session_title(clean_session("c")) == "Clean VOD with pre-roll"
    assert session_title(edge_clean_session("e")) == "Edge VOD with pre-roll"


def test_rejected_edge_start_is_named_by_its_session_details() -> None:
    s = refused_edge(session_details(friendlyName="Big Buck Bunny", name="bbb-1"))
    assert s.status == "rejected" and s.key.startswith("edge:flow:") and s.media == {}
    assert session_title(s) == "Big Buck Bunny"
    assert session_title(refused_edge(session_details(friendlyName=None, name="bbb-1"))) == "bbb-1"
    assert session_title(refused_edge(session_details(friendlyName="  ", name="bbb-1"))) == "bbb-1"
    # the 207 of a sessionStart without a name (tests/gui/sessions.py): its friendlyName
    s207 = analyze(edge_start_207_capture())
    assert s207.status == "rejected" and session_title(s207) == "Episode 1"


def test_rejected_edge_start_without_a_name_says_what_it_was() -> None:
    s = refused_edge(session_details(friendlyName=None, name=None))
    assert session_title(s) == "rejected sessionStart (flow f1)"
    assert s.key not in session_title(s)


@pytest.mark.parametrize("details", [
    {"friendlyName": {"x": 1}, "name": ["a"]}, {"friendlyName": None, "name": True}, "not an object", [], 5,
])
def test_garbage_where_a_name_belongs_is_no_name(details: Any) -> None:
    assert session_title(refused_edge(details)) == "rejected sessionStart (flow f1)"


def test_rejected_rest_start_is_named_by_its_params() -> None:
    s = refused_rest(media__name="Episode 9", media__id="ep-9")
    assert s.status == "rejected" and s.key.startswith("flow:") and s.media == {}
    assert session_title(s) == "Episode 9"
    assert session_title(refused_rest(media__name=None, media__id="ep-9")) == "ep-9"
    assert session_title(refused_rest(media__name=None, media__id=12345)) == "12345"
    assert session_title(refused_rest(media__name=None, media__id=None)) == "rejected sessionStart (flow f1)"


def test_a_session_opened_without_its_start_is_still_called_by_its_id() -> None:
    """A capture that begins mid-session: no sessionStart, the key is the session id (readable as such)."""
    c = Capture(sid="a" * 64)
    c.ev("play")
    c.ev("ping", dt=10_000)
    s = analyze(c)
    assert s.media == {} and session_title(s) == "a" * 64


def test_requested_name_prefers_the_edge_names_to_the_rest_reading() -> None:
    s = refused_edge(session_details(friendlyName="Shown", name="id-1"))
    assert requested_name(s.events[0]) == "Shown"
    assert requested_name(refused_rest(media__name=None, media__id=None).events[0]) is None
