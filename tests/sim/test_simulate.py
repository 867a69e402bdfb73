"""Scripted players: spec-perfect clean scenarios, faulty ones, and runs against the real mock server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from mcscope.core.model import HttpResponse
from mcscope.sim.collector import MockCollector
from mcscope.sim.httpclient import Endpoint, parse_url
from mcscope.sim.mockserver import MockServer
from mcscope.sim.script import Player, Step
from mcscope.sim.simulate import (
    EDGE_SCENARIOS,
    SCENARIOS,
    PlayerResult,
    anchor_t0,
    expected_statuses,
    run_players,
    select_scenarios,
    simulate_offline,
)
from mcscope.sim.wire import RestWire, sid_from

T0 = 1_767_225_600_000
CLEAN = [s for s in SCENARIOS.values() if s.clean]
FAULTY = [s for s in SCENARIOS.values() if not s.clean]
REQUIRED = {
    "analytics.trackingServer": str,
    "analytics.reportSuite": str,
    "visitor.marketingCloudOrgId": str,
    "media.id": str,
    "media.length": (int, float),
    "media.contentType": str,
    "media.playerName": str,
    "media.channel": str,
    "media.streamType": str,
    "visitor.marketingCloudUserId": str,
}


def events_of(steps: list[Step]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for step in steps:
        out.extend(step.body if isinstance(step.body, list) else [step.body])
    return out


def test_scenario_catalogue() -> None:
    assert {"vod-preroll-midroll", "live", "chapters", "player-states", "downloaded", "audio-podcast"} <= set(
        SCENARIOS
    )
    assert len(FAULTY) >= 10
    for sc in SCENARIOS.values():
        assert sc.description and sc.description != sc.name
    from mcscope.core.rules.catalogue import RULES

    for sc in FAULTY:
        unknown = sc.expected_rules - set(RULES)
        assert not unknown, f"{sc.name}: {unknown} not in the rule catalogue"


@pytest.mark.parametrize("sc", CLEAN, ids=lambda s: s.name)
def test_clean_scenarios_are_spec_perfect(sc: Any) -> None:
    steps = sc.steps(T0)
    events = events_of(steps)
    assert events[0]["eventType"] == "sessionStart"
    params = events[0]["params"]
    for key, kind in REQUIRED.items():
        assert isinstance(params.get(key), kind) and params[key] != "", key
    assert params["media.streamType"] in ("audio", "video")
    assert events[-1]["eventType"] in ("sessionComplete", "sessionEnd")
    last_ts = None
    in_break = started = False
    need_play = False
    last_ping = None
    last_ping_kind = None
    break_playhead = None
    for ev in events:
        et, ph, ts = ev["eventType"], ev["playerTime"]["playhead"], ev["playerTime"]["ts"]
        assert isinstance(ts, int) and ts > 1e12
        assert isinstance(ph, (int, float)) and ph >= 0
        if last_ts is not None:
            assert ts - last_ts >= 1, (et, ts)
        last_ts = ts
        for key, value in (ev.get("qoeData") or {}).items():
            assert key.startswith("media.qoe.")
            if key in ("media.qoe.bitrate", "media.qoe.droppedFrames", "media.qoe.framesPerSecond"):
                assert isinstance(value, int)
            if key == "media.qoe.bitrate":
                assert value >= 10_000
        if et == "adBreakStart":
            in_break = True
            break_playhead = ph
            assert ev["params"]["media.ad.podSecond"] == ph
            assert ev["params"]["media.ad.podIndex"] >= 1
            last_ping = None
        elif in_break:
            assert ph == break_playhead, f"playhead moved in break at {et}"
        if et == "adStart":
            assert ev["params"]["media.ad.podPosition"] >= 1
            last_ping = None  # ad pings are timed per ad
        if et == "adBreakComplete":
            in_break = False
            need_play = True
            last_ping = None
        if et == "play":
            assert started or not any(
                e["eventType"] == "adBreakStart"
                and e["playerTime"]["ts"] > ts
                and e["params"]["media.ad.podSecond"] == 0
                for e in events
            )
            started = True
            need_play = False
        if et == "chapterStart":
            assert ev["params"]["media.chapter.offset"] == ph
        if et == "ping":
            assert "params" not in ev
            assert not need_play, "content ping after adBreakComplete without play"
            kind = "ad" if in_break else "main"
            if last_ping is not None and kind == last_ping_kind:
                gap = ts - last_ping
                if kind == "main":
                    assert 9_000 <= gap <= 11_000, gap
                else:
                    assert 999 <= gap <= 1_001, gap
            last_ping, last_ping_kind = ts, kind


@pytest.mark.parametrize("sc", CLEAN, ids=lambda s: s.name)
def test_virtual_clock_is_consistent(sc: Any) -> None:
    """ts of every event = t0 + virtual offset (a batch is stamped in the past, before it is sent)."""
    for step in sc.steps(T0):
        if isinstance(step.body, dict):
            assert step.body["playerTime"]["ts"] == T0 + round(step.at * 1000)
        else:
            assert all(ev["playerTime"]["ts"] < T0 for ev in step.body)


def test_content_pings_continue_while_paused() -> None:
    steps = SCENARIOS["pause-buffer-error"].steps(T0)
    events = events_of(steps)
    start = next(i for i, e in enumerate(events) if e["eventType"] == "pauseStart")
    end = next(i for i, e in enumerate(events) if i > start and e["eventType"] == "play")
    pings = [e for e in events[start:end] if e["eventType"] == "ping"]
    assert len(pings) >= 2
    assert len({e["playerTime"]["playhead"] for e in events[start:end]}) == 1


def test_players_differ_by_index() -> None:
    sc = SCENARIOS["vod-preroll-midroll"]
    a, b = sc.steps(T0, 0)[0].body["params"], sc.steps(T0, 3)[0].body["params"]
    assert a["media.id"] != b["media.id"]
    assert a["visitor.marketingCloudUserId"] != b["visitor.marketingCloudUserId"]


def test_player_ts_strictly_increasing_even_at_same_instant() -> None:
    p = Player(T0)
    p.start()
    p.emit("play")
    p.emit("ping")
    ts = [s.body["playerTime"]["ts"] for s in p.steps]
    assert ts == [T0, T0 + 1, T0 + 2]


def test_faulty_knobs() -> None:
    ts_steps = SCENARIOS["ts-seconds"].steps(T0)
    assert all(s.body["playerTime"]["ts"] < 1e12 for s in ts_steps)
    ph_steps = SCENARIOS["playhead-ms"].steps(T0)
    assert max(s.body["playerTime"]["playhead"] for s in ph_steps) > 100_000


@pytest.mark.parametrize("sc", list(SCENARIOS.values()), ids=lambda s: s.name)
def test_expected_statuses(sc: Any) -> None:
    statuses = expected_statuses(sc, t0_ms=T0)
    first = statuses[0]
    if sc.clean:
        assert first == 201
        assert all(s == 204 for s in statuses[1:])
    expected_first = {
        "missing-start-params": 400,
        "wrong-types": 400,
        "downloaded-bad": 400,
        "legacy-downloaded": 400,
        "unknown-sid": 404,
    }.get(sc.name, 201)
    assert first == expected_first
    if first == 400 and sc.name in ("missing-start-params", "wrong-types"):
        assert all(s is None for s in statuses[1:])  # no sid: the player drops its events
    if sc.name in ("event-after-end", "idle-timeout", "paused-too-long"):
        assert 410 in statuses
    if sc.name == "bad-envelope":
        assert statuses.count(400) == 6


def test_simulate_offline_exchanges() -> None:
    exchanges = simulate_offline("vod-preroll-midroll")
    assert exchanges[0].url == "http://collector.test/api/v1/sessions"
    assert exchanges[0].response_status == 201
    sid = sid_from(exchanges[0].response_header("Location"))
    assert sid and exchanges[1].url.endswith(f"/sessions/{sid}/events")
    assert all(not e.live for e in exchanges)
    starts = [e.timestamp_start for e in exchanges]
    assert starts == sorted(starts) and starts[0] == T0 / 1000


def test_select_scenarios() -> None:
    assert select_scenarios(["all"]) == list(SCENARIOS.values())
    assert select_scenarios(["clean"]) == CLEAN
    assert select_scenarios(["faulty"]) == FAULTY
    assert [s.name for s in select_scenarios(["live,chapters", "live"])] == ["live", "chapters"]
    with pytest.raises(ValueError, match="unknown scenario"):
        select_scenarios(["nope"])


def test_select_scenarios_by_protocol() -> None:
    edge = select_scenarios(["all"], "edge")
    assert edge == list(EDGE_SCENARIOS.values()) and all(s.protocol == "edge" for s in edge)
    assert select_scenarios(["clean"], "edge") == [s for s in edge if s.clean]
    assert select_scenarios(["all"], "all") == list(SCENARIOS.values()) + edge
    assert [s.name for s in select_scenarios(["live,edge-live"], "all")] == ["live", "edge-live"]
    with pytest.raises(ValueError, match="it is a edge scenario \\(--protocol edge\\)"):
        select_scenarios(["edge-live"])
    with pytest.raises(ValueError, match="it is a rest scenario"):
        select_scenarios(["live"], "edge")
    with pytest.raises(ValueError, match="unknown protocol"):
        select_scenarios(["all"], "soap")


def test_scenario_names_are_unique_across_protocols() -> None:
    from mcscope.sim.script import scenario

    with pytest.raises(ValueError, match="registered twice"):
        scenario("live")(lambda p: None)
    with pytest.raises(ValueError, match="registered twice"):
        scenario("edge-live")(lambda p: None)


def test_tweaked_marks_only_the_steps_inside_the_block() -> None:
    p = Player(T0)
    p.start()
    with p.tweaked(path="adBreakComplete", content_type="text/plain"):
        p.emit("play")
        with p.tweaked(hint=""):
            p.emit("ping")
        p.emit("ping")
    p.emit("sessionEnd")
    tweaks = [s.tweak for s in p.steps]
    assert tweaks[0] is None and tweaks[-1] is None
    assert tweaks[1] == tweaks[3] and tweaks[1] is not None and tweaks[1].path == "adBreakComplete"
    assert tweaks[2] is not None and tweaks[2].hint == "" and tweaks[2].path is None


def test_rest_wire_content_type_tweak() -> None:
    wire = RestWire("/p")
    step = Player(T0)
    step.start()
    with step.tweaked(content_type="text/plain"):
        step.emit("play")
    start = wire.request(step.steps[0])
    assert start is not None and start.path == "/p/api/v1/sessions"
    assert start.headers == [("Content-Type", "application/json")]
    assert wire.request(step.steps[1]) is None  # no sid yet
    wire.answer(step.steps[0], HttpResponse(201, [("Location", "/api/v1/sessions/abc")]))
    play = wire.request(step.steps[1])
    assert play is not None and play.path == "/p/api/v1/sessions/abc/events"
    assert play.headers == [("Content-Type", "text/plain")]


def test_anchor_t0() -> None:
    assert anchor_t0(1_000_000, 600, 1.0) == 1_000_000  # real time at speed 1
    assert anchor_t0(1_000_000, 600, 0) == 1_000_000 - 300_000
    assert anchor_t0(1_000_000, 600, 2.0) == 1_000_000 - 150_000


@pytest.mark.parametrize(
    ("location", "sid"),
    [
        ("/api/v1/sessions/abc", "abc"),
        ("https://h.example/api/v1/sessions/abc?x", "abc"),
        ("/api/v1/sessions/", None),
        ("/other", None),
        (None, None),
        ("", None),
    ],
)
def test_sid_from_location(location: str | None, sid: str | None) -> None:
    assert sid_from(location) == sid


def test_parse_url() -> None:
    assert parse_url("http://127.0.0.1:8090") == Endpoint("http", "127.0.0.1", 8090, "")
    assert parse_url("https://x.hb-api.omtrdc.net/api/v1/sessions") == Endpoint(
        "https", "x.hb-api.omtrdc.net", 443, ""
    )
    assert parse_url("localhost:9/pre/") == Endpoint("http", "localhost", 9, "/pre")
    for bad in ("ftp://x", "http://", "http://h:99999"):
        with pytest.raises(ValueError):
            parse_url(bad)


# ----------------------------------------------------------------------------- over real sockets
async def test_every_scenario_against_the_mock_server() -> None:
    async with MockServer() as server:
        target = parse_url(server.url + "/prefix")
        results = await asyncio.wait_for(
            run_players(list(SCENARIOS.values()), target, speed=0, start_ms=T0, record=True), 60
        )
    assert len(results) == len(SCENARIOS)
    for result in results:
        sc = SCENARIOS[result.scenario]
        assert not result.failures, (sc.name, result.failures)
        assert result.as_expected, (sc.name, result.summary())
        if sc.clean:
            assert result.statuses[0] == 201 and set(result.statuses[1:]) <= {204}
            assert result.sid is None or len(result.sid) == 64
        assert sc.name in result.summary()
        assert all("/prefix/api/v1/" in e.url for e in result.exchanges)


async def test_concurrent_players_get_distinct_sessions() -> None:
    collector = MockCollector()
    async with MockServer(collector) as server:
        results = await asyncio.wait_for(
            run_players([SCENARIOS["chapters"]], parse_url(server.url), players=8, speed=0), 30
        )
    sids = {r.sid for r in results}
    assert len(sids) == 8 and None not in sids
    assert all(r.ok for r in results)
    assert collector.session_count == 8


async def test_speed_waits_virtual_time_over_speed() -> None:
    async with MockServer() as server:
        began = time.monotonic()
        results = await run_players([SCENARIOS["drop-before-start"]], parse_url(server.url), speed=100)
        elapsed = time.monotonic() - began
    virtual = SCENARIOS["drop-before-start"].duration()
    assert virtual / 100 * 0.9 <= elapsed < virtual / 100 + 2
    assert results[0].ok


async def test_through_a_proxy_uses_absolute_form() -> None:
    targets: list[str] = []
    async with MockServer(on_request=lambda m, t, s: targets.append(t)) as proxy:
        results = await run_players(
            [SCENARIOS["player-states"]],
            parse_url("http://collector.invalid:8090"),
            proxy=parse_url(proxy.url),
            speed=0,
        )
    assert results[0].ok and results[0].sid
    assert targets[0] == "http://collector.invalid:8090/api/v1/sessions"
    assert all(t.startswith("http://collector.invalid:8090/api/v1/") for t in targets)


async def test_server_that_closes_each_connection_is_handled() -> None:
    """Connection: close on every answer: the player reconnects and goes on."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(
            next(h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))
        )
        body = await reader.readexactly(length)
        resp = collector.handle("POST", head.split(b" ")[1].decode(), [], body)
        lines = [
            f"HTTP/1.1 {resp.status} X",
            *(f"{k}: {v}" for k, v in resp.headers if k != "Content-Length"),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + resp.body)  # no length: body to EOF
        await writer.drain()
        writer.close()

    collector = MockCollector()
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        results = await asyncio.wait_for(
            run_players([SCENARIOS["no-pings"]], Endpoint("http", "127.0.0.1", port, ""), speed=0), 20
        )
    finally:
        server.close()
        await server.wait_closed()
    assert results[0].ok, results[0].summary()


async def test_unreachable_target_fails_fast() -> None:
    async with MockServer() as server:
        port = server.address[1]
    results = await asyncio.wait_for(
        run_players([SCENARIOS["live"]], Endpoint("http", "127.0.0.1", port, ""), speed=0), 10
    )
    assert results[0].failures and results[0].sent == 0
    assert "cannot connect" in results[0].failures[0]
    assert not results[0].ok


# ----------------------------------------------------------------------------- HTTPS through CONNECT
def _self_signed(tmp_path: Any) -> tuple[str, str]:
    """A CA-less self-signed certificate for 127.0.0.1 / localhost; returns (cert.pem, key.pem)."""
    import datetime
    import ipaddress

    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


async def _connect_proxy(seen: list[bytes]) -> asyncio.Server:
    """A minimal CONNECT-only proxy that pipes bytes both ways."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head.split(b"\r\n")[0])
        method, authority, _ = head.split(b"\r\n")[0].split(b" ")
        if method != b"CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        host, port = authority.decode().rsplit(":", 1)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        except asyncio.CancelledError:  # test teardown
            writer.close()

    return await asyncio.start_server(handler, "127.0.0.1", 0)


async def test_https_target_through_connect_proxy_with_cafile(tmp_path: Any) -> None:
    import ssl

    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    seen: list[bytes] = []
    proxy = await _connect_proxy(seen)
    proxy_port = proxy.sockets[0].getsockname()[1]
    try:
        async with MockServer(ssl_context=server_ctx) as server:
            port = server.address[1]
            target = parse_url(f"https://localhost:{port}")
            client_ctx = ssl.create_default_context(cafile=cert)
            results = await asyncio.wait_for(
                run_players(
                    [SCENARIOS["player-states"]],
                    target,
                    proxy=Endpoint("http", "127.0.0.1", proxy_port, ""),
                    ssl_context=client_ctx,
                    speed=0,
                ),
                30,
            )
            assert results[0].ok, results[0].summary()
            assert results[0].sid
            assert seen[0] == f"CONNECT localhost:{port} HTTP/1.1".encode()
            # without the CA the handshake fails with one readable line
            bad = await asyncio.wait_for(
                run_players(
                    [SCENARIOS["player-states"]],
                    target,
                    proxy=Endpoint("http", "127.0.0.1", proxy_port, ""),
                    ssl_context=ssl.create_default_context(),
                    speed=0,
                ),
                30,
            )
            assert bad[0].failures and "TLS" in bad[0].failures[0]
    finally:
        proxy.close()


def test_an_unexpected_result_says_how_many_steps_in_words() -> None:
    short = PlayerResult("vod", 0, statuses=[201], expected=[201, 204])
    assert "UNEXPECTED statuses: 1 step, expected 2" in short.summary()
    long = PlayerResult("vod", 0, statuses=[201, 204], expected=[201])
    assert "UNEXPECTED statuses: 2 steps, expected 1" in long.summary()
    assert "UNEXPECTED" not in PlayerResult("vod", 0, statuses=[201], expected=[201]).summary()
