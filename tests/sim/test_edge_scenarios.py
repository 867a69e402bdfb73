"""Every Media Edge API scenario through the mock Edge and the real core: clean ones spotless, faulty ones
exactly their rules; the requests are what Adobe's Edge Media SDKs and Web SDK send (media-edge.md §1)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from mcscope.cli import main
from mcscope.core.config import Config
from mcscope.core.edge_event import parse_timestamp
from mcscope.core.model import Exchange, Finding, Severity
from mcscope.core.rules.catalogue import EDGE_RULES
from mcscope.core.session import Analyzer
from mcscope.sim.edge_wire import HAND_BUILT, EdgeClient
from mcscope.sim.httpclient import parse_url
from mcscope.sim.mockserver import MockServer, ServerThread
from mcscope.sim.simulate import EDGE_SCENARIOS, SCENARIOS, expected_statuses, run_players, simulate_offline

T0 = 1_767_225_600_000
CLEAN = [s for s in EDGE_SCENARIOS.values() if s.clean]
FAULTY = [s for s in EDGE_SCENARIOS.values() if not s.clean]
# Infos every clean Edge session may carry: the test collector's host, and the always-on note on the disputed
# timeToStart unit (media-edge.md Decisions).
CLEAN_INFOS = {"unknown-host", "edge-time-to-start-units"}
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
VA = re.compile(r"^/ee(?:/([^/]+))?/va/v1/([A-Za-z]+)$")


def analyze(exchanges: list[Exchange]) -> Analyzer:
    an = Analyzer(Config())
    for ex in exchanges:
        an.feed(ex)
    an.finish()
    return an


def findings(exchanges: list[Exchange]) -> list[Finding]:
    an = analyze(exchanges)
    return [f for s in an.sessions for f in s.findings] + list(an.transport_findings)


def serious(found: list[Finding]) -> list[str]:
    return [f"{f.rule}: {f.message}" for f in found if f.severity >= Severity.WARNING]


def request_of(ex: Exchange) -> tuple[str | None, str, dict[str, list[str]], dict[str, Any]]:
    """(hint, path segment or "interact", query, body) of an Edge exchange."""
    url = urlsplit(ex.url)
    body = json.loads(ex.request_body or b"{}")
    if url.path.endswith("/v1/interact"):
        parts = url.path.split("/")
        return (parts[2] if len(parts) == 5 else None), "interact", parse_qs(url.query), body
    m = VA.match(url.path)
    assert m, ex.url
    return m.group(1), m.group(2), parse_qs(url.query), body


def test_edge_catalogue() -> None:
    names = set(EDGE_SCENARIOS)
    assert {"edge-vod-preroll-chapters", "edge-web-sdk", "edge-location-hint"} <= names
    assert not names & set(SCENARIOS)  # one namespace of names across protocols
    assert all(sc.protocol == "edge" for sc in EDGE_SCENARIOS.values())
    assert all(sc.protocol == "rest" for sc in SCENARIOS.values())
    for sc in EDGE_SCENARIOS.values():
        assert sc.description and sc.description != sc.name
        assert sc.expected_rules <= EDGE_RULES, f"{sc.name}: {sc.expected_rules - EDGE_RULES} not Edge rules"
    # one faulty scenario per family of edge-* rules the mock Edge can provoke
    declared = {rule for sc in FAULTY for rule in sc.expected_rules}
    assert {"edge-content-type", "edge-config-id-missing", "edge-unknown-endpoint", "edge-path-event-mismatch",
            "edge-request-too-large", "edge-session-id-missing", "edge-session-id-key", "edge-session-id-format",
            "edge-request-id-as-session-id", "edge-media-collection-missing", "edge-session-start-failed",
            "edge-location-hint-changed", "edge-custom-metadata-path", "edge-session-id-on-start"} <= declared


@pytest.mark.parametrize("sc", CLEAN, ids=lambda s: s.name)
def test_clean_edge_scenario_has_no_errors_or_warnings(sc: Any) -> None:
    found = findings(simulate_offline(sc, t0_ms=T0))
    assert serious(found) == []
    assert {f.rule for f in found} <= CLEAN_INFOS
    assert serious(findings(simulate_offline(sc, t0_ms=T0, index=7))) == []


@pytest.mark.parametrize("sc", FAULTY, ids=lambda s: s.name)
def test_faulty_edge_scenario_triggers_exactly_its_rules(sc: Any) -> None:
    """Every declared rule fires, and nothing undeclared rises to a warning (what --list promises)."""
    found = findings(simulate_offline(sc, t0_ms=T0))
    rules = {f.rule for f in found}
    assert sc.expected_rules <= rules, f"missing {sorted(sc.expected_rules - rules)}; got {sorted(rules)}"
    undeclared = {f.rule for f in found if f.severity >= Severity.WARNING} - sc.expected_rules
    assert not undeclared, f"undeclared warnings or errors: {sorted(undeclared)}"
    assert all(f.protocol == "edge" for f in found)


@pytest.mark.parametrize("sc", list(EDGE_SCENARIOS.values()), ids=lambda s: s.name)
def test_edge_scenario_in_a_capture_that_outlives_the_idle_timeout(sc: Any) -> None:
    """Beside a REST session lasting 32 minutes (as in the demo), a session left open times out: only then
    may the scenario's timeout_rules appear, and they do."""
    longer = simulate_offline("paused-too-long", t0_ms=T0)
    an = analyze(sorted(simulate_offline(sc, t0_ms=T0) + longer, key=lambda ex: ex.timestamp_start))
    mine = [s for s in an.sessions if s.protocol == "edge"]
    found = {f.rule for s in mine for f in s.findings} | {f.rule for f in an.transport_findings}
    serious = {f.rule for s in mine for f in s.findings if f.severity >= Severity.WARNING}
    assert sc.expected_rules | sc.timeout_rules <= found
    assert serious <= sc.expected_rules | sc.timeout_rules, sorted(serious - sc.expected_rules - sc.timeout_rules)
    assert ("timed-out" in {s.status for s in mine}) == bool(sc.timeout_rules)


@pytest.mark.parametrize("sc", CLEAN, ids=lambda s: s.name)
def test_clean_edge_requests_are_what_the_sdks_send(sc: Any) -> None:
    exchanges = simulate_offline(sc, t0_ms=T0)
    assert len(exchanges) == len(sc.steps(T0))  # nothing dropped: every queued event went out
    start_hint, first, _, start_body = request_of(exchanges[0])
    interact = sc.client.interact
    assert first == ("interact" if interact else "sessionStart")
    answer = json.loads(exchanges[0].response_body.split(b"\x00")[-1])
    handles = {h["type"]: h["payload"][0] for h in answer["handle"]}
    sid = handles["media-analytics:new-session"]["sessionId"]
    session_hint = start_hint or handles["locationHint:result"]["hint"]
    assert session_hint  # the mock Edge always names a cluster, so every session has a hint
    assert start_hint == sc.client.hint
    previous_ms = None
    for n, ex in enumerate(exchanges):
        hint, segment, query, body = request_of(ex)
        assert ex.response_status == (200 if n == 0 else 204), (n, ex.url)
        assert ex.request_header("content-type") == sc.client.content_type
        assert query["configId"] == [sc.client.config_id] and len(query["requestId"]) == 1
        (event,) = body["events"]
        xdm = event["xdm"]
        mc = xdm["mediaCollection"]
        assert set(xdm) >= {"_id", "timestamp", "eventType", "mediaCollection"}
        assert ISO_MS.match(xdm["timestamp"]), xdm["timestamp"]
        assert isinstance(mc["playhead"], int) and mc["playhead"] >= 0
        if n == 0:
            assert xdm["eventType"] == "media.sessionStart" and "sessionID" not in mc
            details = mc["sessionDetails"]
            assert {"name", "playerName", "contentType", "length", "channel", "streamType"} <= set(details)
            assert isinstance(details["length"], int)
            identity = body.get("xdm", {}).get("identityMap") or body.get("meta", {}).get("state", {}).get("entries")
            assert identity, "a visitor identity on sessionStart"
        else:
            assert hint == session_hint, f"{segment} sent under {hint}, session hint {session_hint}"
            assert xdm["eventType"] == f"media.{segment}"
            assert mc["sessionID"] == sid
        for item in mc.get("customMetadata", []):
            assert item["name"].startswith("_mcscope.") and isinstance(item["value"], str)
        assert "stateStart" not in segment and "stateEnd" not in segment
        ms, problem = parse_timestamp(xdm["timestamp"])
        assert problem is None and ms is not None
        assert previous_ms is None or ms > previous_ms  # strictly increasing at ms resolution
        previous_ms = ms


@pytest.mark.parametrize("sc", [s for s in CLEAN if s.client.restart_pings], ids=lambda s: s.name)
def test_pings_fall_due_an_interval_after_the_previous_event(sc: Any) -> None:
    """The Edge SDKs re-arm their ping timer at every event (media-edge.md §1.8): 10 s in content, 1 s in ads."""
    steps = sc.steps(T0)
    gaps = set()
    for prev, step in zip(steps, steps[1:], strict=False):
        if step.body["eventType"] == "ping":
            gaps.add(round((step.at - prev.at) * 1000))
    assert gaps <= {1000, 10000}, gaps
    assert 10000 in gaps


@pytest.mark.parametrize(("edge", "rest"), [("edge-live", "live"), ("edge-player-states", "player-states"),
                                            ("edge-audio-podcast", "audio-podcast")])
def test_edge_twin_counts_what_its_rest_scenario_counts(edge: str, rest: str) -> None:
    """The same script sent as XDM gives the same metrics ("what Adobe will count") as sent over REST."""
    (edge_session,) = analyze(simulate_offline(edge, t0_ms=T0)).sessions
    (rest_session,) = analyze(simulate_offline(rest, t0_ms=T0)).sessions
    assert edge_session.protocol == "edge" and rest_session.protocol == "rest"
    assert edge_session.status == rest_session.status
    rest_id = rest_session.events[0].params["media.id"]
    assert edge_session.events[0].params["media.id"] == rest_id + "-edge"  # no session-restarted side by side
    got, want = edge_session.metrics(), rest_session.metrics()
    for key in ("content_time", "ad_time", "pause_time", "buffer_time", "media_time"):
        assert got[key] == pytest.approx(want[key], abs=1.0), key
    for key in ("pause_count", "buffer_count", "bitrate_changes", "ads_started", "content_start",
                "content_complete", "average_bitrate"):
        assert got[key] == want[key], key


def test_web_sdk_starts_through_interact_then_posts_to_va() -> None:
    exchanges = simulate_offline("edge-web-sdk", t0_ms=T0)
    assert urlsplit(exchanges[0].url).path == "/ee/v1/interact"
    assert all(re.match(r"^/ee/or2/va/v1/", urlsplit(ex.url).path) for ex in exchanges[1:])
    assert exchanges[0].request_header("content-type") == "text/plain; charset=UTF-8"
    body = json.loads(exchanges[0].request_body)
    assert body["meta"]["state"]["entries"][0]["key"].startswith("kndctr_")
    assert body["events"][0]["xdm"]["implementationDetails"]["environment"] == "browser"


def test_media_sdk_follows_the_answered_location_hint() -> None:
    """Sent without a hint, the session takes the one the sessionStart answer returns."""
    exchanges = simulate_offline("edge-vod-preroll-chapters", t0_ms=T0)
    assert urlsplit(exchanges[0].url).path == "/ee/va/v1/sessionStart"
    assert all(urlsplit(ex.url).path.startswith("/ee/or2/va/v1/") for ex in exchanges[1:])


def test_stored_hint_is_kept_for_the_whole_session() -> None:
    exchanges = simulate_offline("edge-location-hint", t0_ms=T0)
    assert all(urlsplit(ex.url).path.startswith("/ee/va6/") for ex in exchanges)


def test_failed_start_drops_everything_after_it() -> None:
    for name, status in (("edge-session-start-failed", 207), ("edge-content-type", 415),
                         ("edge-request-too-large", 413)):
        statuses = expected_statuses(EDGE_SCENARIOS[name], t0_ms=T0)
        assert statuses[0] == status and set(statuses[1:]) == {None}, name


def test_faulty_requests_carry_their_fault() -> None:
    """The fault is in the request itself, not only in the verdict."""
    no_cid = simulate_offline("edge-config-id-missing", t0_ms=T0)
    assert "configId" in no_cid[0].url and all("?" not in ex.url for ex in no_cid[1:])
    key = simulate_offline("edge-session-id-key", t0_ms=T0)
    mcs = [json.loads(ex.request_body)["events"][0]["xdm"]["mediaCollection"] for ex in key[1:]]
    assert all("sessionId" in mc and "sessionID" not in mc for mc in mcs)
    short = simulate_offline("edge-session-id-format", t0_ms=T0)
    assert {len(json.loads(ex.request_body)["events"][0]["xdm"]["mediaCollection"]["sessionID"])
            for ex in short[1:]} == {63}
    flat = [json.loads(ex.request_body)["events"][0]["xdm"] for ex in
            simulate_offline("edge-media-collection-missing", t0_ms=T0)]
    assert sum("mediaCollection" not in xdm for xdm in flat) == 1
    mismatch = [ex for ex in simulate_offline("edge-path-event-mismatch", t0_ms=T0) if ex.response_status == 400]
    assert [urlsplit(ex.url).path.rsplit("/", 1)[1] for ex in mismatch] == ["adBreakComplete"]
    assert json.loads(mismatch[0].request_body)["events"][0]["xdm"]["eventType"] == "media.adStart"


def test_hand_built_client_pings_on_its_own_schedule() -> None:
    """Adobe's guide for hand-built clients: every 10 s regardless of other events (no timer restart)."""
    assert not HAND_BUILT.restart_pings
    assert EdgeClient("x").restart_pings


async def test_edge_scenarios_over_loopback_answer_as_expected() -> None:
    """Real players over sockets (live=True, so clock-skew is judged too): statuses as the in-process mock
    Edge answers them, clean ones spotless, faulty ones only what they declare."""
    async with MockServer() as server:
        results = await asyncio.wait_for(
            run_players(list(EDGE_SCENARIOS.values()), parse_url(server.url + "/edge"), speed=0, record=True),
            60)
    assert {r.scenario for r in results} == set(EDGE_SCENARIOS)
    for result in results:
        sc = EDGE_SCENARIOS[result.scenario]
        assert result.ok and result.as_expected, result.summary()
        assert all(urlsplit(ex.url).path.startswith("/edge/ee/") for ex in result.exchanges)
        found = findings(result.exchanges)
        if sc.clean:
            assert serious(found) == [], sc.name
            assert result.sid and len(result.sid) == 64
        else:
            assert sc.expected_rules <= {f.rule for f in found}, sc.name
            assert {f.rule for f in found if f.severity >= Severity.WARNING} <= sc.expected_rules, sc.name


async def test_edge_through_a_proxy_uses_absolute_form() -> None:
    targets: list[str] = []
    async with MockServer(on_request=lambda m, t, s: targets.append(t)) as proxy:
        results = await run_players([EDGE_SCENARIOS["edge-web-sdk"]], parse_url("http://edge.invalid:8090"),
                                    proxy=parse_url(proxy.url), speed=0)
    assert results[0].ok and results[0].sid, results[0].summary()
    assert targets[0].startswith("http://edge.invalid:8090/ee/v1/interact?configId=")
    assert all(t.startswith("http://edge.invalid:8090/ee/or2/va/v1/") for t in targets[1:])


# --- the command ------------------------------------------------------------------------------------------------
def test_cli_lists_the_edge_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--protocol", "edge", "--list"]) == 0
    out = capsys.readouterr().out
    for sc in EDGE_SCENARIOS.values():
        assert sc.name in out
        assert all(rule in out for rule in sc.expected_rules)
    assert not any(re.search(rf"^{re.escape(name)} ", out, re.M) for name in SCENARIOS)
    assert main(["simulate", "--list"]) == 0
    assert "edge-web-sdk" not in capsys.readouterr().out  # the default protocol stays rest


def test_cli_simulate_edge_against_the_mock_collector(capsys: pytest.CaptureFixture[str]) -> None:
    """`mcscope simulate --protocol edge` end to end: every Edge scenario against a loopback mock collector;
    the statuses it gets are the ones the mock Edge gives in-process (the declared-vs-found check)."""
    with ServerThread() as server:
        code = main(["simulate", "--protocol", "edge", "--target", server.url, "--speed", "0"])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.strip().splitlines()
    assert len(lines) == len(EDGE_SCENARIOS) + 1
    n = len(EDGE_SCENARIOS)
    assert re.search(rf"{n} players, {n} scenarios, \d+ requests, 0 with unexpected", lines[-1])
    assert any(line.startswith("[edge-web-sdk #0] sid ") and "200x1" in line for line in lines)
    assert any(line.startswith("[edge-session-start-failed #0] sid -: 1 sent (207x1)") for line in lines)


def test_cli_edge_statuses_that_differ_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    """An Edge that forgets its sessions answers 404 where the mock Edge answers 204: reported."""
    with ServerThread() as server:
        server.collector.edge.sessions._max_sessions = 0  # noqa: SLF001 - forget each session at once
        code = main(["simulate", "--protocol", "edge", "--target", server.url, "--speed", "0",
                     "--scenario", "edge-location-hint"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "UNEXPECTED statuses: step 1: expected 204, got 404" in out


def test_cli_edge_scenario_names_need_the_edge_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--target", "http://127.0.0.1:9", "--scenario", "edge-web-sdk"]) == 2
    assert "(--protocol edge)" in capsys.readouterr().err
