"""The mitmproxy addon's hooks with mitmproxy's own test helpers (taddons/tflow)."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.connection import Server
from mitmproxy.proxy import server_hooks
from mitmproxy.test import taddons, tflow

from mcscope.core import session
from mcscope.live import addon as mitm
from mcscope.live import stream
from mcscope.live.viewers import StreamSpec
from tests.live.helpers import (
    HOST,
    STREAM_TYPES,
    body,
    journal_records,
    make_flow,
    message,
    pipeline,
    private_dirs,
    session_start_flow,
    stream_client,
    wait_for,
)


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_dirs(tmp_path, monkeypatch)


@pytest.fixture
def addon_ctx(tmp_path: Path):
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_journal=str(tmp_path / "j.ndjson"), mcscope_stream="off")
        yield addon, tctx
        addon.done()


def test_response_hook_journals(addon_ctx) -> None:
    addon, tctx = addon_ctx
    f = session_start_flow()
    addon.response(f)
    addon.flush()
    assert addon.exchanges == 1
    recs = journal_records(addon)
    assert recs[0]["type"] == "journal"
    assert recs[1]["type"] == "exchange" and recs[1]["flow"] == f.id
    assert recs[1]["url"] == f"https://{HOST}/api/v1/sessions"
    assert recs[1]["response"]["status"] == 201


def test_no_analyzer_without_reports_or_exit_code(addon_ctx, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither a report nor mcscope_analyse: journal and stream only, no Analyzer is ever built."""
    built: list[Any] = []
    real = session.Analyzer.__init__

    def spy(self: session.Analyzer, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        real(self, *args, **kwargs)

    monkeypatch.setattr(session.Analyzer, "__init__", spy)
    addon, tctx = addon_ctx
    addon.response(session_start_flow())
    addon.flush()
    tctx.configure(addon, mcscope_ignore=["unknown-host"])  # rule changes re-analyse only when analysing
    addon.done()
    assert addon.exchanges == 1 and pipeline(addon).analysis is None
    assert built == [] and addon.report is None and addon.exit_code == 0


@pytest.mark.parametrize("option", ["mcscope_analyse", "mcscope_json"])
def test_analyses_when_an_exit_code_or_report_is_wanted(tmp_path: Path, option: str) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        value: Any = True if option == "mcscope_analyse" else str(tmp_path / "r.json")
        tctx.configure(addon, mcscope_journal="off", mcscope_stream="off", **{option: value})
        addon.response(session_start_flow())
        addon.flush()
        analysis = pipeline(addon).analysis
        assert analysis is not None and analysis.analyzer.exchanges_seen == 1
        addon.done()
    assert addon.report is not None and addon.report["summary"]["sessions"] == 1


def test_analysis_switched_on_at_runtime_covers_the_backlog(addon_ctx) -> None:
    addon, tctx = addon_ctx
    addon.response(session_start_flow())
    addon.flush()
    assert pipeline(addon).analysis is None
    tctx.configure(addon, mcscope_analyse=True)
    analysis = pipeline(addon).analysis
    assert analysis is not None and analysis.analyzer.exchanges_seen == 1
    tctx.configure(addon, mcscope_analyse=False)
    assert pipeline(addon).analysis is None


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
    f = make_flow(path="/api/v1/sessions/abc/events", body=body("ping"), status=None, err=True)
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
    "raw",
    [b"\x00\xff\xfe binary", b"{not json", b"[1,2,3]", b"", gzip.compress(b'{"eventType":"play"}'), b"\x1f\x8b bad gz"],
)
def test_bad_bodies_never_raise_or_alter(addon_ctx, raw: bytes) -> None:
    addon, tctx = addon_ctx
    headers = [(b"content-type", b"application/json")]
    if raw.startswith(b"\x1f\x8b"):
        headers.append((b"content-encoding", b"gzip"))
    f = make_flow(path="/api/v1/sessions/s/events", body=raw, status=204, req_headers=headers)
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
    bad = make_flow(path="/api/v1/sessions/unknown/events", body=body("play"), status=None)
    addon.request(bad)
    assert bad.response is not None and bad.response.status_code in (400, 404)
    tctx.configure(addon, mcscope_mock=False)
    off = session_start_flow()
    off.response = None
    addon.request(off)
    assert off.response is None


def test_passive_without_mock(addon_ctx) -> None:
    addon, tctx = addon_ctx
    f = session_start_flow()
    f.response = None
    addon.request(f)
    assert f.response is None


def test_server_connect_guard_only_with_tcp_stream(addon_ctx) -> None:
    addon, tctx = addon_ctx

    def data(host: str, port: int) -> server_hooks.ServerConnectionHookData:
        return server_hooks.ServerConnectionHookData(
            server=Server(address=(host, port)), client=tflow.tclient_conn()
        )

    d = data("127.0.0.1", 1234)
    addon.server_connect(d)
    assert d.server.error is None  # no stream
    addon.stream = StreamSpec(tcp=True, socket_path=None, port=4567, own_dir=None, token="t", token_generated=False)
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2", "a.localhost", "127.1", "2130706433",
                 "::ffff:127.0.0.1", "0.0.0.0", socket.gethostname()):
        d = data(host, 4567)
        addon.server_connect(d)
        assert d.server.error and "viewer stream" in d.server.error, host
    # another machine's port of the same number is no threat: the stream listens on 127.0.0.1 only
    for host, port in (("127.0.0.1", 4568), ("8.8.8.8", 4567), ("some.name", 4567), ("example.com", 4567)):
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
    assert rep["tool"]["name"] == "mcscope" and rep["sources"] == [str(tmp_path / "j.ndjson")]
    assert (tmp_path / "r.xml").read_text().startswith("<?xml")
    assert (tmp_path / "r.md").read_text().strip()
    rules = {f["rule"] for s in rep["sessions"] for f in s["findings"]} | {f["rule"] for f in rep["findings"]}
    assert "body-not-json" in rules
    assert addon.exit_code == 1


def test_fail_on_never_gives_zero(tmp_path: Path) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_journal="off", mcscope_stream="off", mcscope_fail_on="never",
                       mcscope_analyse=True)
        addon.response(make_flow(path="/api/v1/sessions/abc/events", body=b"{nope", status=204))
        addon.done()
    assert addon.exit_code == 0 and addon.journal_path is None
    assert addon.report is not None and addon.report["summary"]["errors"] > 0


def test_default_journal_location(tmp_path: Path) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_stream="off")
        addon.running()
        assert addon.journal_path is not None and addon.journal_path.parent == tmp_path / "data" / "journals"
        addon.done()


def test_rule_options_changed_at_runtime_reanalyse(addon_ctx) -> None:
    addon, tctx = addon_ctx
    tctx.configure(addon, mcscope_analyse=True)
    addon.response(session_start_flow())
    addon.flush()
    first = pipeline(addon).analysis
    tctx.configure(addon, mcscope_ignore=["unknown-host"])
    again = pipeline(addon).analysis
    assert again is not None and again is not first and again.analyzer.exchanges_seen == 1
    assert "unknown-host" in again.analyzer.config.ignore


@pytest.mark.parametrize("tcp", [False, True])
async def test_stream_serves_snapshot_and_deltas(tmp_path: Path, tcp: bool) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_journal=str(tmp_path / "j.ndjson"), mcscope_stream_tcp=tcp,
                       mcscope_worker=False, mcscope_analyse=True)
        addon.response(session_start_flow())
        addon.running()
        assert addon.stream is not None and addon.stream.tcp == tcp  # bound at once: the guard knows the port
        await wait_for(lambda: addon.discovery_path is not None)
        assert addon.discovery_path is not None
        info = json.loads(addon.discovery_path.read_text())
        assert oct(addon.discovery_path.stat().st_mode & 0o777) == oct(0o600)
        assert info["token"] == "tok" and info["pid"] == os.getpid()
        assert stream.list_streams()[0]["address"] == addon.stream.address
        reader, writer = await stream_client(info)
        hello = await message(reader)
        assert hello["type"] == "hello" and hello["v"] == 1 and hello["journal"] == str(tmp_path / "j.ndjson")
        snap = await message(reader)
        assert snap["type"] == "snapshot" and len(snap["records"]) == 1 and snap["dropped"] == 0
        addon.response(make_flow(path="/api/v1/sessions/abc/events", body=body("play"), status=204))
        await asyncio.sleep(0)
        kinds = []
        for _ in range(20):
            m = await message(reader)
            kinds.append(m["type"])
            if m["type"] == "exchange":
                assert m["record"]["url"].endswith("/abc/events")
                break
        assert "exchange" in kinds and set(kinds) <= STREAM_TYPES  # analysing, yet no event/session/finding
        bad_r, bad_w = await stream_client(info, token="wrong")
        assert (await message(bad_r))["reason"] == "auth"
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


def test_flows_before_running_are_kept_for_the_pipeline(tmp_path: Path) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_journal=str(tmp_path / "j.ndjson"), mcscope_stream="off")

        async def main() -> None:
            addon.response(session_start_flow())  # the loop runs: kept until running() decides the mode
            assert addon.link is None
            addon.running()
            assert addon.link is not None
            await asyncio.sleep(0.05)

        asyncio.run(main())
        assert addon.exchanges == 1
        addon.done()
    assert len((tmp_path / "j.ndjson").read_text().splitlines()) == 2


def test_a_hook_never_raises(addon_ctx, monkeypatch: pytest.MonkeyPatch) -> None:
    addon, tctx = addon_ctx

    def boom(flow: http.HTTPFlow) -> tuple[Any, ...]:
        raise RuntimeError("boom")

    monkeypatch.setattr(mitm, "flow_parts", boom)
    addon.response(session_start_flow())
    assert addon.exchanges == 0


def test_media_edge_calls_are_journalled(addon_ctx) -> None:
    addon, tctx = addon_ctx
    start = make_flow(path="/ee/va/v1/sessionStart?configId=abc", host="edge.adobedc.net", status=200,
                      body=b'{"events":[{"xdm":{"eventType":"media.sessionStart"}}]}')
    page = make_flow(path="/ee/v1/interact?configId=abc", host="edge.adobedc.net", status=200,
                     body=b'{"events":[{"xdm":{"eventType":"web.webpagedetails.pageViews"}}]}')
    addon.response(start)
    addon.response(page)
    addon.flush()
    recs = [r for r in journal_records(addon) if r["type"] == "exchange"]
    assert [r["flow"] for r in recs] == [start.id]
