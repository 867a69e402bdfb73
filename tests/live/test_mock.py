"""Mock mode's answers (the hook's filtering is tested in test_addon.py), REST and Media Edge, in-process and
through a real mitmdump (``mcscope proxy --mock``) whose journal ``mcscope check`` then judges."""

from __future__ import annotations

import http.client as httpclient
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from mitmproxy import http

from mcscope.core import edge_exchange as ee
from mcscope.core.model import Exchange
from mcscope.live.mock import Mock
from tests.commands.test_proxy import PY, REPO, Env, free_port, journal_flows, start_proxy, stop
from tests.edge_builder import CONFIG_ID, EdgeCapture, session_details
from tests.live.helpers import body, make_flow, session_start_flow

EDGE_HOST = "edge.adobedc.net"


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


def edge_flow(path: str, doc: Any, ctype: bytes = b"application/json") -> http.HTTPFlow:
    return make_flow(path=path, body=json.dumps(doc).encode(), status=None, host=EDGE_HOST,
                     req_headers=[(b"content-type", ctype)])


def test_answers_edge_calls_like_the_edge() -> None:
    mock = Mock()
    cap = EdgeCapture()
    start = edge_flow(f"/ee/va/v1/sessionStart?configId={CONFIG_ID}",
                      cap.envelope(cap.xdm("sessionStart", 0, {"sessionDetails": session_details()})))
    assert mock.answer(start) is True
    assert start.response is not None and start.response.status_code == 200
    assert start.response.headers["Content-Type"] == "application/json"
    answer = ee.parse_response(Exchange("f", "POST", start.request.url, response_status=200,
                                        response_body=start.response.content))
    assert answer.session_id is not None and answer.location_hint == "or2"
    cap.sid = answer.session_id
    play = edge_flow(f"/ee/or2/va/v1/play?configId={CONFIG_ID}", cap.envelope(cap.xdm("play")))
    mock.answer(play)
    assert play.response is not None and play.response.status_code == 204 and play.response.content == b""
    cap.sid = "f" * 64
    gone = edge_flow(f"/ee/or2/va/v1/play?configId={CONFIG_ID}", cap.envelope(cap.xdm("play")))
    mock.answer(gone)
    assert gone.response is not None and gone.response.status_code == 404
    assert gone.response.headers["Content-Type"] == "application/problem+json"


def test_interact_answered_only_when_it_carries_media_events() -> None:
    mock = Mock()
    page_view = edge_flow(f"/ee/v1/interact?configId={CONFIG_ID}",
                          {"events": [{"xdm": {"eventType": "web.webpagedetails.pageViews",
                                               "web": {"webPageDetails": {"name": "media.sessionStart"}}}}]},
                          b"text/plain; charset=UTF-8")
    assert mock.answer(page_view) is False and page_view.response is None  # the real Edge's business
    cap = EdgeCapture()
    doc = cap.envelope(cap.xdm("sessionStart", 0, {"sessionDetails": session_details()}))
    media = edge_flow(f"/ee/v1/interact?configId={CONFIG_ID}", doc, b"text/plain; charset=UTF-8")
    assert mock.answer(media) is True
    assert media.response is not None and media.response.status_code == 200
    assert b"media-analytics:new-session" in media.response.content


# ------------------------------------------------------------------------ through a real mitmdump
class ProxiedPlayer(EdgeCapture):
    """An Edge Media SDK-like player posting through the proxy: the session id and the location hint are the
    ones the sessionStart answer returned; timestamps start now (the live proxy checks clock skew)."""

    def __init__(self, proxy_port: int, upstream: str) -> None:
        super().__init__(t0=int(time.time() * 1000), host=upstream)
        self.conn = httpclient.HTTPConnection("127.0.0.1", proxy_port, timeout=10)
        self.statuses: list[int] = []

    def post(self, url: str, doc: Any, status: int | None = 204, headers: list[tuple[str, str]] | None = None,
             **kw: Any) -> Exchange:
        ex = super().post(url, doc, headers=headers, **kw)
        self.conn.request(ex.method, url, ex.request_body, dict(ex.request_headers))
        resp = self.conn.getresponse()
        data = resp.read()
        self.statuses.append(resp.status)
        answer = ee.parse_response(Exchange("f", "POST", url, response_status=resp.status, response_body=data))
        if answer.session_id:
            self.sid = answer.session_id
            self.hint = self.hint or answer.location_hint
        return ex


def sdk_session(p: ProxiedPlayer) -> None:
    """What the Edge Media SDK sends for a short VOD with a chapter: start, play, chapter, 10 s pings, complete."""
    p.start()
    p.ev("play", dt=10)
    p.ev("chapterStart", dt=10, mc={"chapterDetails": {"index": 1, "offset": 0, "length": 30}})
    p.ping_for(30)
    p.ev("chapterComplete", dt=1000)
    p.ev("bitrateChange", dt=1000, mc={"qoeDataDetails": {"bitrate": 3000}})
    p.ping_for(10)
    p.ev("sessionComplete", dt=5000)


def test_e2e_edge_session_through_mock_mode_is_judged_clean(tmp_path: Path) -> None:
    env = Env(tmp_path)
    port = free_port()
    dead = free_port()  # nothing listens there: every Edge answer must come from the mock
    journal = tmp_path / "j.ndjson"
    proc = start_proxy(env, port, "--mock", "--journal", str(journal), "--stream", "off", mitmdump_args=("-q",))
    try:
        player = ProxiedPlayer(port, f"http://127.0.0.1:{dead}")
        sdk_session(player)
        # ordinary interact traffic is passed on (and fails: nothing listens upstream)
        player.conn.request("POST", f"http://127.0.0.1:{dead}/ee/v1/interact?configId={CONFIG_ID}",
                            b'{"events": [{"xdm": {"eventType": "web.webpagedetails.pageViews"}}]}',
                            {"Content-Type": "text/plain; charset=UTF-8"})
        passed = player.conn.getresponse()
        passed.read()
        player.conn.close()
    finally:
        rc, out = stop(proc)
    assert rc == 0, out
    assert player.statuses[0] == 200 and set(player.statuses[1:]) == {204}, player.statuses
    assert player.hint == "or2"
    assert passed.status == 502
    flows = journal_flows(journal)
    assert sorted({ex.response_status for ex in flows}) == [200, 204]
    assert len(flows) == len(player.statuses)  # the passed-on interact call is not journalled
    report = tmp_path / "r.json"
    check = subprocess.run([PY, "-m", "mcscope.cli", "check", str(journal), "--json", str(report),
                            "--fail-on", "warning", "-q"], cwd=REPO, env=env.env, capture_output=True, timeout=60)
    assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
    doc = json.loads(report.read_text())
    (session,) = doc["sessions"]
    assert session["protocol"] == "edge" and session["sid"] == player.sid
    loud = [f for f in session["findings"] + doc["findings"] if f["severity"] in ("error", "warning")]
    assert loud == []
