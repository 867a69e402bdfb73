"""Builders shared by the capture-reader tests: small HAR documents and entries, files, exchanges."""

from __future__ import annotations

from pathlib import Path

from mcscope.core.model import Exchange
from tests.conftest import FIXTURES

__all__ = ["FIXTURES", "SID", "entry", "exchange", "har", "write"]

SID = "a" * 64


def har(entries: list[dict]) -> dict:
    return {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}}


def entry(body: str | None = '{"eventType":"ping"}', status: int = 204, **overrides) -> dict:
    entry = {
        "startedDateTime": "2025-03-14T20:00:00.500Z",
        "time": 40,
        "request": {
            "method": "POST",
            "url": f"https://example.hb-api.omtrdc.net/api/v1/sessions/{SID}/events",
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "postData": {"mimeType": "application/json", "text": body},
            "bodySize": len(body or ""),
        },
        "response": {"status": status, "headers": [{"name": "X-Test", "value": "1"}], "content": {"size": 0}},
    }
    entry.update(overrides)
    return entry


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


def exchange(**kw) -> Exchange:
    base = dict(
        flow_id="f1",
        method="POST",
        url=f"https://example.hb-api.omtrdc.net/api/v1/sessions/{SID}/events",
        request_headers=[("Content-Type", "application/json"), ("X-Dup", "1"), ("X-Dup", "2")],
        request_body=b'{"eventType":"play"}',
        response_status=204,
        response_headers=[("Access-Control-Allow-Origin", "*")],
        response_body=b"",
        timestamp_start=1741982400.5,
        timestamp_end=1741982400.54,
    )
    base.update(kw)
    return Exchange(**base)
