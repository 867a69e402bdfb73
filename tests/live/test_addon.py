"""The mitmproxy addon with mitmproxy's own test helpers (taddons/tflow): every hook and option."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import exceptions, http
from mitmproxy.connection import Server
from mitmproxy.proxy import server_hooks
from mitmproxy.test import taddons, tflow, tutils

from mcscope.live import addon as mitm
from mcscope.live import stream

HOST = "example.hb-api.omtrdc.net"
TS = 1_700_000_000_000


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCSCOPE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(stream.STREAMS_DIR_ENV, str(tmp_path / "streams"))
    monkeypatch.setenv(stream.TOKEN_ENV, "tok")


def _body(event_type: str, **params: Any) -> bytes:
    doc: dict[str, Any] = {"eventType": event_type, "playerTime": {"playhead": 0, "ts": TS}}
    if params:
        doc["params"] = params
    return json.dumps(doc).encode()


def make_flow(
    path: str = "/api/v1/sessions",
    body: bytes = b"{}",
    status: int | None = 201,
    host: str = HOST,
    resp_headers: dict[str, str] | None = None,
    req_headers: list[tuple[bytes, bytes]] | None = None,
    resp_body: bytes = b"",
    err: bool = False,
) -> http.HTTPFlow:
    headers = http.Headers(req_headers or [(b"content-type", b"application/json")])
    req = tutils.treq(method=b"POST", host=host, port=443, scheme=b"https", path=path.encode(),
                      headers=headers, content=body)
    resp: Any = False
    if status is not None:
        rh = http.Headers(**(resp_headers or {}))
        resp = tutils.tresp(status_code=status, headers=rh, content=resp_body)
    return tflow.tflow(req=req, resp=resp, err=err)


def session_start_flow() -> http.HTTPFlow:
    return make_flow(
        body=_body("sessionStart", **{"media.id": "m1", "media.name": "n", "media.length": 10,
                                       "media.contentType": "VOD", "media.playerName": "p",
                                       "media.channel": "c", "analytics.reportSuite": "rs",
                                       "analytics.trackingServer": "ts", "visitor.marketingCloudOrgId": "o"}),
        resp_headers={"Location": "/api/v1/sessions/abc", "Access-Control-Expose-Headers": "Location"},
    )


def journal_records(addon: mitm.McScope) -> list[dict[str, Any]]:
    assert addon.journal is not None
    addon.journal.close()
    lines = addon.journal_path.read_text().splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture
def addon_ctx(tmp_path: Path):
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_journal=str(tmp_path / "j.ndjson"), mcscope_stream="off")
        yield addon, tctx
        addon.done()


def test_options_declared_with_defaults() -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        o = tctx.options
        assert o.mcscope_hosts == [] and o.mcscope_journal == "" and o.mcscope_stream == "auto"
        assert o.mcscope_fail_on == "error" and o.mcscope_mock is False
        assert o.mcscope_ignore == [] and o.mcscope_severity == [] and o.mcscope_set == []
        assert o.mcscope_json == o.mcscope_junit == o.mcscope_markdown == ""


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ({"mcscope_hosts": ["a b"]}, "not a host name"),
        ({"mcscope_hosts": ["http://x/y"]}, "not a host name"),
        ({"mcscope_ignore": ["no-such-rule"]}, "unknown rule"),
        ({"mcscope_severity": ["stall"]}, "RULE=LEVEL"),
        ({"mcscope_severity": ["stall=fatal"]}, "unknown severity"),
        ({"mcscope_set": ["idle_timeout=soon"]}, "idle_timeout"),
        ({"mcscope_set": ["nope=1"]}, "unknown tunable"),
        ({"mcscope_fail_on": "fatal"}, "fatal"),
        ({"mcscope_stream_queue": 0}, "at least 1"),
        ({"mcscope_stream_backlog": -1}, "0 or more"),
    ],
)
def test_configure_rejects_bad_values(opts: dict[str, Any], message: str) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx, pytest.raises(exceptions.OptionsError, match=message):
        tctx.configure(addon, **opts)


def test_configure_rejects_directory_outputs(tmp_path: Path) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        for name in ("mcscope_journal", "mcscope_json", "mcscope_junit", "mcscope_markdown"):
            with pytest.raises(exceptions.OptionsError, match="is a directory"):
                tctx.configure(addon, **{name: str(tmp_path)})


def test_configure_rejects_public_stream_dir(tmp_path: Path) -> None:
    public = tmp_path / "pub"
    public.mkdir(mode=0o755)
    public.chmod(0o755)
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError, match="private"):
            tctx.configure(addon, mcscope_stream=str(public / "s.sock"))
        not_socket = tmp_path / "priv"
        not_socket.mkdir(mode=0o700)
        (not_socket / "f").write_text("x")
        with pytest.raises(exceptions.OptionsError, match="not a socket"):
            tctx.configure(addon, mcscope_stream=str(not_socket / "f"))


def test_configure_accepts_good_rule_options() -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_ignore=["stall"], mcscope_severity=["stall=info"],
                       mcscope_set=["idle_timeout=10m"], mcscope_fail_on="warning")
        assert "stall" in addon._config.ignore


def test_collection_paths() -> None:
    assert mitm.is_collection_path("/api/v1/sessions")
    assert mitm.is_collection_path("/api/v1/sessions/abc/events?x=1")
    assert mitm.is_collection_path("/prefix/api/v1/downloaded")
    assert not mitm.is_collection_path("/api/v1/sessions/abc")
    assert not mitm.is_collection_path("/api/v1/schemas/play")
    assert not mitm.is_collection_path("/index.html")


def test_host_matches() -> None:
    assert mitm.host_matches("anything", [])
    assert mitm.host_matches("a.hb-api.omtrdc.net", [".hb-api.omtrdc.net"])
    assert mitm.host_matches("hb-api.omtrdc.net", ["hb-api.omtrdc.net"])
    assert mitm.host_matches("x.HB-API.omtrdc.net.", ["*.hb-api.omtrdc.net"])
    assert not mitm.host_matches("evilhb-api.omtrdc.net", ["hb-api.omtrdc.net"])


def test_response_hook_journals_and_analyses(addon_ctx) -> None:
    addon, tctx = addon_ctx
    f = session_start_flow()
    addon.response(f)
    addon.flush()
    assert addon.exchanges == 1 and addon.analyzer.exchanges_seen == 1
    recs = journal_records(addon)
    assert recs[0]["type"] == "journal"
    assert recs[1]["type"] == "exchange" and recs[1]["flow"] == f.id
    assert recs[1]["url"] == f"https://{HOST}/api/v1/sessions"
    assert recs[1]["response"]["status"] == 201


def test_non_collection_and_other_hosts_ignored(addon_ctx) -> None:
    addon, tctx = addon_ctx
    addon.response(make_flow(path="/index.html"))
    tctx.configure(addon, mcscope_hosts=[".hb-api.omtrdc.net"])
    addon.response(make_flow(host="collector.example.org"))
    addon.response(make_flow(host="x.hb-api.omtrdc.net"))
    addon.flush()
    assert addon.exchanges == 1


def test_error_hook_records_failure(addon_ctx) -> None:
    addon, tctx = addon_ctx
    f = make_flow(path="/api/v1/sessions/abc/events", body=_body("ping"), status=None, err=True)
    addon.error(f)
    addon.flush()
    rec = journal_records(addon)[1]
    assert rec["response"] is None and rec["error"]


async def test_cycle_is_passive_and_processed_after_hook(addon_ctx) -> None:
    addon, tctx = addon_ctx
    f = session_start_flow()
    before = f.get_state()
    await tctx.cycle(addon, f)
    assert addon.exchanges == 0  # hooks only enqueue ...
    await asyncio.sleep(0)
    assert addon.exchanges == 1  # ... processing runs right after on the loop
    after = f.get_state()
    assert before == after


@pytest.mark.parametrize(
    "body",
    [b"\x00\xff\xfe binary", b"{not json", b"[1,2,3]", b"", gzip.compress(b'{"eventType":"play"}'), b"\x1f\x8b bad gz"],
)
def test_bad_bodies_never_raise_or_alter(addon_ctx, body: bytes) -> None:
    addon, tctx = addon_ctx
    headers = [(b"content-type", b"application/json")]
    if body.startswith(b"\x1f\x8b"):
        headers.append((b"content-encoding", b"gzip"))
    f = make_flow(path="/api/v1/sessions/s/events", body=body, status=204, req_headers=headers)
    before = f.get_state()
    addon.response(f)
    addon.flush()
    assert f.get_state() == before
    assert addon.exchanges == 1


def test_body_not_stored_becomes_none(addon_ctx) -> None:
    addon, tctx = addon_ctx
    f = make_flow(path="/api/v1/sessions/s/events", status=204)
    f.request.raw_content = None
    addon.response(f)
    addon.flush()
    rec = journal_records(addon)[1]
    assert rec["request"]["body"] is None


def test_mock_mode_answers_collection_calls_only(addon_ctx) -> None:
    addon, tctx = addon_ctx
    tctx.configure(addon, mcscope_mock=True)
    f = session_start_flow()
    f.response = None
    addon.request(f)
    assert f.response is not None and f.response.status_code == 201
    assert f.response.headers.get("Location", "").startswith("/api/v1/sessions/")
    other = make_flow(path="/video/seg1.ts", status=None)
    addon.request(other)
    assert other.response is None
    bad = make_flow(path="/api/v1/sessions/unknown/events", body=_body("play"), status=None)
    addon.request(bad)
    assert bad.response is not None and bad.response.status_code in (400, 404)


def test_passive_without_mock(addon_ctx) -> None:
    addon, tctx = addon_ctx
    f = session_start_flow()
    f.response = None
    addon.request(f)
    assert f.response is None


def test_server_connect_guard_only_with_tcp_stream(addon_ctx) -> None:
    addon, tctx = addon_ctx

    class FakeStream:
        tcp = True
        port = 4567

    def data(host: str, port: int) -> server_hooks.ServerConnectionHookData:
        return server_hooks.ServerConnectionHookData(
            server=Server(address=(host, port)), client=tflow.tclient_conn()
        )

    d = data("127.0.0.1", 1234)
    addon.server_connect(d)
    assert d.server.error is None  # no stream
    addon.stream = FakeStream()  # type: ignore[assignment]
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2", "some.name"):
        d = data(host, 4567)
        addon.server_connect(d)
        assert d.server.error and "viewer stream" in d.server.error
    for host, port in (("127.0.0.1", 4568), ("8.8.8.8", 4567)):
        d = data(host, port)
        addon.server_connect(d)
        assert d.server.error is None
    addon.stream = None


def test_done_writes_reports_and_exit_code(tmp_path: Path) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(
            addon, mcscope_journal=str(tmp_path / "j.ndjson"), mcscope_stream="off",
            mcscope_json=str(tmp_path / "out" / "r.json"), mcscope_junit=str(tmp_path / "r.xml"),
            mcscope_markdown=str(tmp_path / "r.md"),
        )
        addon.response(make_flow(path="/api/v1/sessions/abc/events", body=b"{nope", status=204))
        addon.done()
    rep = json.loads((tmp_path / "out" / "r.json").read_text())
    assert rep["tool"]["name"] == "mcscope"
    assert (tmp_path / "r.xml").read_text().startswith("<?xml")
    assert (tmp_path / "r.md").read_text().strip()
    rules = {f["rule"] for s in rep["sessions"] for f in s["findings"]} | {f["rule"] for f in rep["findings"]}
    assert "body-not-json" in rules
    assert addon.exit_code == 1


def test_fail_on_never_gives_zero(tmp_path: Path) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_journal="off", mcscope_stream="off", mcscope_fail_on="never")
        addon.response(make_flow(path="/api/v1/sessions/abc/events", body=b"{nope", status=204))
        addon.done()
    assert addon.exit_code == 0 and addon.journal is None


def test_default_journal_location(tmp_path: Path) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_stream="off")
        addon.running()
        assert addon.journal_path.parent == tmp_path / "data" / "journals"
        addon.done()


def test_rule_options_changed_at_runtime_reanalyse(addon_ctx) -> None:
    addon, tctx = addon_ctx
    addon.response(session_start_flow())
    addon.flush()
    first = addon.analyzer
    tctx.configure(addon, mcscope_ignore=["unknown-host"])
    assert addon.analyzer is not first and addon.analyzer.exchanges_seen == 1


async def _stream_client(info: dict[str, Any], token: str = "tok"):
    if info["transport"] == "unix":
        reader, writer = await asyncio.open_unix_connection(info["socket"], limit=2**24)
    else:
        reader, writer = await asyncio.open_connection(info["host"], info["port"], limit=2**24)
    writer.write(json.dumps({"v": 1, "token": token}).encode() + b"\n")
    await writer.drain()
    return reader, writer


async def _msg(reader: asyncio.StreamReader) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(reader.readline(), 5))


@pytest.mark.parametrize("tcp", [False, True])
async def test_stream_serves_snapshot_and_deltas(tmp_path: Path, tcp: bool) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_journal=str(tmp_path / "j.ndjson"), mcscope_stream_tcp=tcp)
        addon.response(session_start_flow())
        addon.running()
        for _ in range(100):
            if addon.stream is not None:
                break
            await asyncio.sleep(0.01)
        assert addon.stream is not None and addon.discovery_path is not None
        info = json.loads(addon.discovery_path.read_text())
        assert oct(addon.discovery_path.stat().st_mode & 0o777) == oct(0o600)
        assert info["token"] == "tok" and info["pid"] == os.getpid()
        assert stream.list_streams()[0]["address"] == addon.stream.address
        reader, writer = await _stream_client(info)
        hello = await _msg(reader)
        assert hello["type"] == "hello" and hello["v"] == 1 and hello["journal"] == str(tmp_path / "j.ndjson")
        snap = await _msg(reader)
        assert snap["type"] == "snapshot" and len(snap["records"]) == 1 and snap["dropped"] == 0
        addon.response(make_flow(path="/api/v1/sessions/abc/events", body=_body("play"), status=204))
        await asyncio.sleep(0)
        kinds = []
        for _ in range(20):
            m = await _msg(reader)
            kinds.append(m["type"])
            if m["type"] == "exchange":
                assert m["record"]["url"].endswith("/abc/events")
                break
        assert "exchange" in kinds
        bad_r, bad_w = await _stream_client(info, token="wrong")
        assert (await _msg(bad_r))["reason"] == "auth"
        bad_w.close()
        writer.close()
        addon.done()
        assert not addon.discovery_path.exists()


def test_script_shim_loads_addon(tmp_path: Path) -> None:
    from mcscope.live import ADDON_SCRIPT

    with taddons.context() as tctx:
        loaded = tctx.script(str(ADDON_SCRIPT))
        addons = getattr(loaded, "addons", [loaded])
        assert any(isinstance(a, mitm.McScope) for a in addons)


def test_delta_messages_are_the_encoded_dicts() -> None:
    """Event/session messages are spliced from pre-encoded parts: the bytes of encoding the whole dict."""
    from mcscope.core.session import Analyzer
    from tests.builder import clean_vod

    an = Analyzer()
    for ex in clean_vod().exchanges:
        summaries: dict[int, bytes] = {}
        deltas = an.feed(ex)
        for d in deltas:
            msg = mitm._delta_message(d, summaries)
            if d.kind == "event":
                whole = {"type": "event", "session": d.session.summary(), "event": d.event.to_dict()}
            elif d.kind == "session":
                whole = {"type": "session", "session": d.session.summary()}
            else:
                continue
            assert msg == stream.encode(whole)
