"""The addon's analysis process: same journal, stream and reports as in-process, off the proxy's loop."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import pickle
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.test import taddons, tflow, tutils

from mcscope.io.flows import exchange_from_parts, flow_parts, flow_to_exchange
from mcscope.live import addon as mitm
from mcscope.live import options, worker
from mcscope.live.journalwriter import Limits
from mcscope.live.link import LocalLink, open_writer
from tests.live.helpers import (
    STREAM_TYPES,
    make_flow,
    message,
    private_dirs,
    session_flows,
    session_start_flow,
    stream_client,
)
from tests.live.helpers import body as _body
from tests.live.helpers import journal_exchanges as _journal


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_dirs(tmp_path, monkeypatch)


def _odd_flows() -> list[http.HTTPFlow]:
    gz = make_flow(path="/api/v1/sessions/s/events", body=gzip.compress(_body("ping")), status=204,
                   req_headers=[(b"content-type", b"application/json"), (b"content-encoding", b"gzip")])
    h2 = make_flow(path="/api/v1/sessions/s/events?x=1", body=_body("play"))
    h2.request.http_version = "HTTP/2.0"
    h2.request.authority = "other.hb-api.omtrdc.net:8443"
    no_host = make_flow(path="/api/v1/sessions", req_headers=[(b"content-type", b"text/plain")])
    with_host = make_flow(req_headers=[(b"Host", b"alias.example:8080"), (b"content-type", b"application/json")])
    not_stored = make_flow(path="/api/v1/sessions/s/events", status=204)
    not_stored.request.raw_content = None
    failed = make_flow(path="/api/v1/sessions/s/events", body=_body("ping"), status=None, err=True)
    bad_gz = make_flow(body=b"\x1f\x8b nope", req_headers=[(b"content-encoding", b"gzip")])
    connect = tflow.tflow(req=tutils.treq(method=b"CONNECT", host="h.example", port=443, path=b"", authority=b"h.example:443"))
    return [session_start_flow(), gz, h2, no_host, with_host, not_stored, failed, bad_gz, connect]


@pytest.mark.parametrize("flow", _odd_flows(), ids=lambda f: f.request.method + f.request.path)
def test_flow_parts_give_exactly_flow_to_exchange(flow: http.HTTPFlow) -> None:
    parts = pickle.loads(pickle.dumps(flow_parts(flow)))  # as the analysis process gets them
    assert exchange_from_parts(parts) == flow_to_exchange(flow)


async def _run(tmp_path: Path, name: str, flows: list[http.HTTPFlow], use_worker: bool,
               **extra: Any) -> tuple[mitm.McScope, Path]:
    addon = mitm.McScope()
    journal = tmp_path / f"{name}.ndjson"
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_journal=str(journal), mcscope_stream="off", mcscope_worker=use_worker,
                       mcscope_json=str(tmp_path / f"{name}.json"), **extra)
        addon.running()
        assert isinstance(addon.link, worker.WorkerLink if use_worker else LocalLink)
        for f in flows:
            addon.response(f)
        await asyncio.sleep(0.05)
        addon.done()
    return addon, journal


async def test_worker_gives_the_in_process_journal_report_and_exit_code(tmp_path: Path) -> None:
    flows = session_flows() + _odd_flows()
    inproc, j1 = await _run(tmp_path, "inproc", flows, use_worker=False)
    worked, j2 = await _run(tmp_path, "worker", flows, use_worker=True)
    assert _journal(j1) == _journal(j2)
    r1, r2 = (json.loads((tmp_path / n).read_text()) for n in ("inproc.json", "worker.json"))
    assert r1["sources"] == [str(j1)] and r2["sources"] == [str(j2)]
    r1.pop("sources"), r2.pop("sources")
    assert r1 == r2 and r1["summary"]["errors"] > 0
    assert worked.exit_code == inproc.exit_code == 1
    assert worked.report is not None and worked.report["summary"] == inproc.report["summary"]
    assert worked.exchanges == len(flows) - 1  # the CONNECT flow is not a collection call
    assert isinstance(worked.link, worker.WorkerLink) and worked.link.proc.poll() is not None  # it exited


async def test_worker_fail_on_and_runtime_rule_options(tmp_path: Path) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_journal="off", mcscope_stream="off", mcscope_fail_on="warning",
                       mcscope_analyse=True)
        addon.running()
        assert isinstance(addon.link, worker.WorkerLink)
        addon.response(make_flow(path="/api/v1/sessions/abc/events", body=b"{nope", status=204))
        tctx.configure(addon, mcscope_ignore=["body-not-json", "no-session-start", "unknown-host"])
        addon.done()
    assert addon.report is not None and addon.report["findings"] == []
    assert addon.exit_code == 0


async def test_worker_serves_the_stream(tmp_path: Path) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_journal=str(tmp_path / "j.ndjson"), mcscope_stream_tcp=True)
        addon.response(session_start_flow())  # before the proxy runs: handed to the worker
        addon.running()
        assert isinstance(addon.link, worker.WorkerLink) and addon.stream is not None and addon.stream.tcp
        assert addon.discovery_path is not None and addon.discovery_path.name == f"{os.getpid()}.json"
        info = json.loads(addon.discovery_path.read_text())
        assert info["port"] == addon.stream.port and info["token"] == "tok"
        addon.flush()
        await asyncio.sleep(0.3)  # the analysis process reads behind the journal writer
        reader, writer = await stream_client(info)
        assert (await message(reader))["type"] == "hello"
        snap = await message(reader)
        assert snap["type"] == "snapshot" and len(snap["records"]) == 1
        addon.response(make_flow(path="/api/v1/sessions/abc/events", body=_body("play"), status=204))
        kinds = []
        while "exchange" not in kinds:
            kinds.append((await message(reader))["type"])
        assert kinds[-1] == "exchange" and set(kinds) <= STREAM_TYPES
        writer.close()
        addon.done()
        assert not addon.discovery_path.exists()


async def test_worker_stops_when_the_proxy_dies_and_the_journal_is_whole(tmp_path: Path) -> None:
    addon = mitm.McScope()
    journal = tmp_path / "j.ndjson"
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_journal=str(journal), mcscope_analyse=True)
        addon.running()
        link = addon.link
        assert isinstance(link, worker.WorkerLink) and addon.discovery_path is not None
        for i in range(50):
            addon.response(make_flow(path=f"/api/v1/sessions/s{i}/events", body=_body("ping"), status=204))
        link.flush()
        assert len(_journal(journal)) == 50  # written by the proxy process, whatever the analysis does
        link._unwatch()  # (not restarted: this is what the analysis process sees when the proxy is killed)
        link.proc.stdin.close()
        link.proc.wait(20)
        assert not addon.discovery_path.exists()
        link.proc = None
        addon.done()  # a new analysis process reads the whole journal for the reports
    assert addon.report is not None and addon.report["summary"]["events"] == 50
    assert addon.exit_code in (0, 1)


async def test_worker_that_cannot_start_falls_back_to_in_process(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise worker.WorkerError("no")

    monkeypatch.setattr(worker.WorkerLink, "start", refuse)
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_journal=str(tmp_path / "k.ndjson"), mcscope_stream="off")
        addon.running()
        assert isinstance(addon.link, LocalLink) and addon.journal_path is not None
        addon.response(session_start_flow())
        await asyncio.sleep(0)
        assert addon.exchanges == 1 and addon.link.pipeline.analysis is None
        addon.done()


def test_link_never_blocks_when_the_worker_does_not_read(tmp_path: Path) -> None:
    async def main() -> None:
        settings = options.Settings(journal=tmp_path / "j.ndjson", journal_header={"type": "journal"},
                                    config=options.build_config([], [], []), backlog=10)
        journal, spool = open_writer(settings, Limits())
        link = worker.WorkerLink.start(settings, None, journal, spool)
        link.proc.send_signal(signal.SIGSTOP)  # an analysis process that reads nothing
        try:
            flow = make_flow(path="/api/v1/sessions/abc/events", body=b"x" * 20_000, status=204)
            t0 = time.monotonic()
            for _ in range(200):  # 4 MB: far more than a pipe holds
                link.submit(flow_parts(flow))
            assert time.monotonic() - t0 < 1
            link.flush()
            assert journal.written == 200 and link.failed is None  # journalled all the same
        finally:
            link.proc.send_signal(signal.SIGCONT)
            link._kill()
            link.close()

    asyncio.run(main())
