"""mcscope/io/mitmfile.py: mitmproxy flow files -> Exchanges."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from mcscope.io.capture import CaptureError, detect_format, read_exchanges
from tests.io.captures import FIXTURES, SID

# --- .mitm ----------------------------------------------------------------------------------------


def _flow(path: str = f"/api/v1/sessions/{SID}/events", content: bytes = b'{"eventType":"ping"}', **kw):
    from mitmproxy.test import tflow, tutils

    req = tutils.treq(method=b"POST", host="example.hb-api.omtrdc.net", port=443, scheme=b"https",
                      path=path.encode(), content=content)
    return tflow.tflow(req=req, resp=kw.pop("resp", tutils.tresp(status_code=204, content=b"")), **kw)


def _write_flows(path: Path, flows: list) -> Path:
    from mitmproxy import io

    with path.open("wb") as fh:
        writer = io.FlowWriter(fh)
        for f in flows:
            writer.add(f)
    return path


def test_mitm_reader(tmp_path: Path) -> None:
    from mitmproxy.test import tflow

    plain = _flow()
    gz = _flow(content=b"")
    gz.request.headers["content-encoding"] = "gzip"
    gz.request.raw_content = gzip.compress(b'{"eventType":"play"}')
    broken_ce = _flow(content=b"")
    broken_ce.request.headers["content-encoding"] = "gzip"
    broken_ce.request.raw_content = b"not gzip"
    failed = _flow(resp=False, err=True)
    tcp = tflow.ttcpflow()
    path = _write_flows(tmp_path / "x.dump", [plain, gz, broken_ce, failed, tcp])
    assert detect_format(path) == "mitm"
    exs = list(read_exchanges(path))
    assert len(exs) == 4  # the TCP flow is not an HTTP exchange
    assert exs[0].flow_id == plain.id
    assert exs[0].url == f"https://example.hb-api.omtrdc.net/api/v1/sessions/{SID}/events"
    assert exs[0].request_body == b'{"eventType":"ping"}'
    assert exs[0].response_status == 204
    assert exs[1].request_body == b'{"eventType":"play"}'
    assert exs[2].request_body == b"not gzip"  # undecodable: kept as is
    assert exs[3].response_status is None and exs[3].error
    assert exs[3].response_body is None


def test_mitm_streamed_body_is_none(tmp_path: Path) -> None:
    flow = _flow()
    flow.request.raw_content = None
    flow.response.raw_content = None
    (ex,) = read_exchanges(_write_flows(tmp_path / "s.mitm", [flow]))
    assert ex.request_body is None
    assert ex.response_body is None


def test_mitm_truncated(tmp_path: Path) -> None:
    path = _write_flows(tmp_path / "t.mitm", [_flow(), _flow(), _flow()])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 50])
    got = []
    with pytest.raises(CaptureError, match="stopped after 2 flows") as info:
        for ex in read_exchanges(path):
            got.append(ex)
    assert len(got) == 2 and info.value.read_count == 2




def test_mitm_flows_carry_the_client_address() -> None:
    """The player's address feeds the per-client rules (app-installation-id-changed, session-restarted)."""
    first = next(iter(read_exchanges(FIXTURES / "clean-vod.mitm")))
    assert first.client == "127.0.0.1"
