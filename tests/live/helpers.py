"""Flows, journal readers and a stream client shared by the tests of the live addon's modules."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.test import tflow, tutils

from mcscope.live import stream
from mcscope.live.addon import McScope
from mcscope.live.link import LocalLink
from mcscope.live.pipeline import Pipeline

HOST = "example.hb-api.omtrdc.net"
TS = 1_700_000_000_000
#: The only message types the viewer stream carries (architecture.md, "Stream protocol").
STREAM_TYPES = {"hello", "snapshot", "exchange", "stats", "gap", "log"}


def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCSCOPE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(stream.STREAMS_DIR_ENV, str(tmp_path / "streams"))
    monkeypatch.setenv(stream.TOKEN_ENV, "tok")


def body(event_type: str, **params: Any) -> bytes:
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
        body=body("sessionStart", **{"media.id": "m1", "media.name": "n", "media.length": 10,
                                      "media.contentType": "VOD", "media.playerName": "p",
                                      "media.channel": "c", "analytics.reportSuite": "rs",
                                      "analytics.trackingServer": "ts", "visitor.marketingCloudOrgId": "o"}),
        resp_headers={"Location": "/api/v1/sessions/abc", "Access-Control-Expose-Headers": "Location"},
    )


def session_flows() -> list[http.HTTPFlow]:
    """A session with a few events, one of them unknown (an error finding)."""
    return [session_start_flow()] + [
        make_flow(path="/api/v1/sessions/abc/events", body=body(et), status=204)
        for et in ("play", "ping", "pauseStart", "play", "bogus")
    ]


def pipeline(addon: McScope) -> Pipeline:
    """The in-process pipeline of an addon."""
    assert isinstance(addon.link, LocalLink)
    return addon.link.pipeline


def journal_records(addon: McScope) -> list[dict[str, Any]]:
    """Every line of an in-process addon's journal (header first), after writing it out."""
    assert isinstance(addon.link, LocalLink)
    journal = addon.link.journal
    journal.drain()
    return [json.loads(line) for line in journal.path.read_text().splitlines()]


def journal_exchanges(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


async def stream_client(info: dict[str, Any], token: str = "tok"):
    if info["transport"] == "unix":
        reader, writer = await asyncio.open_unix_connection(info["socket"], limit=2**24)
    else:
        reader, writer = await asyncio.open_connection(info["host"], info["port"], limit=2**24)
    writer.write(json.dumps({"v": 1, "token": token}).encode() + b"\n")
    await writer.drain()
    return reader, writer


async def message(reader: asyncio.StreamReader) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(reader.readline(), 5))


async def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")
