from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcscope.core.model import Exchange
from mcscope.io.capture import (
    CaptureError,
    detect_format,
    exchange_to_record,
    journal_header,
    open_capture,
    read_exchanges,
    record_to_exchange,
    sniff_format,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SID = "a" * 64


def _har(entries: list[dict]) -> dict:
    return {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}}


def _entry(body: str | None = '{"eventType":"ping"}', status: int = 204, **overrides) -> dict:
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


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


def _exchange(**kw) -> Exchange:
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


# --- sniffing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'{"log": {"entries": []}}', "har"),
        (b'{\n  "log": {\n', "har"),
        (b'\xef\xbb\xbf{\n "log": {}}', "har"),
        (b'{"type":"journal","v":1}\n{"type":"exchange"}', "journal"),
        (b'{"type":"exchange","flow":"x"}\n', "journal"),
        (b"1234:abc", "mitm"),
        (b"hello world", None),
        (b'{"something": "else"}', None),
        (b"[1, 2, 3]", None),
        (b"", None),
        (b"   \n", None),
    ],
)
def test_sniff_format(head: bytes, expected: str | None) -> None:
    assert sniff_format(head) == expected


def test_detect_format_errors(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="no such file"):
        detect_format(tmp_path / "missing.har")
    with pytest.raises(CaptureError, match="is a directory"):
        detect_format(tmp_path)
    with pytest.raises(CaptureError, match="empty file"):
        detect_format(_write(tmp_path, "empty", b""))
    with pytest.raises(CaptureError, match="unknown format"):
        detect_format(_write(tmp_path, "text.har", b"not a capture at all"))


def test_format_is_sniffed_not_taken_from_extension(tmp_path: Path) -> None:
    path = _write(tmp_path, "capture.mitm", json.dumps(_har([_entry()])))
    assert detect_format(path) == "har"
    assert len(list(read_exchanges(path))) == 1


def test_missing_file_raises_capture_error_on_iteration(tmp_path: Path) -> None:
    with pytest.raises(CaptureError) as info:
        list(read_exchanges(tmp_path / "nope.ndjson"))
    assert info.value.read_count == 0


# --- HAR ------------------------------------------------------------------------------------------


def test_har_basic_fields(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.har", json.dumps(_har([_entry()])))
    (ex,) = read_exchanges(path)
    assert ex.method == "POST"
    assert ex.url.endswith(f"/sessions/{SID}/events")
    assert ex.request_body == b'{"eventType":"ping"}'
    assert ex.request_header("content-type") == "application/json"
    assert ex.response_status == 204
    assert ex.response_headers == [("X-Test", "1")]
    assert ex.response_body == b""
    assert ex.timestamp_start == pytest.approx(1741982400.5)
    assert ex.timestamp_end == pytest.approx(1741982400.54)
    assert ex.error is None
    assert ex.flow_id == "a.har#1"
    assert ex.live is False


def test_har_base64_bodies_and_params(tmp_path: Path) -> None:
    payload = b'{"eventType":"play"}'
    e1 = _entry()
    e1["request"]["postData"] = {"mimeType": "application/json", "text": base64.b64encode(payload).decode(),
                                 "encoding": "base64"}
    e1["response"]["content"] = {"size": 5, "text": base64.b64encode(b"\xff\x00abc").decode(), "encoding": "base64"}
    e2 = _entry()
    e2["request"]["postData"] = {"mimeType": "application/x-www-form-urlencoded",
                                 "params": [{"name": "a", "value": "1 2"}, {"name": "b", "value": "x"}]}
    ex1, ex2 = read_exchanges(_write(tmp_path, "b.har", json.dumps(_har([e1, e2]))))
    assert ex1.request_body == payload
    assert ex1.response_body == b"\xff\x00abc"
    assert ex2.request_body == b"a=1+2&b=x"


def test_har_body_not_captured(tmp_path: Path) -> None:
    e = _entry()
    del e["request"]["postData"]
    e["request"]["bodySize"] = 120
    e["response"]["content"] = {"size": 300, "mimeType": "application/json"}
    no_body = _entry()
    del no_body["request"]["postData"]
    no_body["request"]["bodySize"] = 0
    ex, ex_empty = read_exchanges(_write(tmp_path, "c.har", json.dumps(_har([e, no_body]))))
    assert ex.request_body is None
    assert ex.response_body is None
    assert ex_empty.request_body == b""


def test_har_status_zero_is_an_error(tmp_path: Path) -> None:
    e = _entry(status=0)
    e["response"]["_error"] = "net::ERR_CONNECTION_REFUSED"
    e2 = _entry(status=0)
    e3 = _entry()
    del e3["response"]
    exs = list(read_exchanges(_write(tmp_path, "d.har", json.dumps(_har([e, e2, e3])))))
    assert [x.response_status for x in exs] == [None, None, None]
    assert exs[0].error == "net::ERR_CONNECTION_REFUSED"
    assert exs[1].error == "no response"
    assert exs[2].error == "no response"
    assert all(x.response_body is None and x.timestamp_end is None for x in exs)


def test_har_bad_entries_are_skipped(tmp_path: Path) -> None:
    entries = [42, {"request": "nope"}, {"request": {"method": "POST"}}, _entry()]
    entries.append(_entry(startedDateTime="yesterday", time="slow"))
    exs = list(read_exchanges(_write(tmp_path, "e.har", json.dumps(_har(entries)))))
    assert len(exs) == 2
    assert exs[1].timestamp_start == 0.0 and exs[1].timestamp_end is None


def test_har_without_entries(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="no log.entries"):
        list(read_exchanges(_write(tmp_path, "f.har", '{"log": {"version": "1.2"}}')))


def test_har_truncated_yields_complete_entries_then_raises(tmp_path: Path) -> None:
    text = json.dumps(_har([_entry(), _entry(), _entry()]), indent=1)
    cut = text[: text.rindex('"startedDateTime"') + 10]  # inside the third entry
    got: list[Exchange] = []
    with pytest.raises(CaptureError, match="truncated HAR file: stopped after 2 complete entries") as info:
        for ex in read_exchanges(_write(tmp_path, "g.har", cut)):
            got.append(ex)
    assert len(got) == 2
    assert info.value.read_count == 2


def test_har_invalid_utf8(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="not UTF-8"):
        list(read_exchanges(_write(tmp_path, "h.har", b'{"log": {"entries": ["\xff"]}}')))


def test_external_har_fixtures_read(external_fixtures: Path) -> None:
    files = sorted(external_fixtures.glob("*.har"))
    assert files
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        exs = list(read_exchanges(path))
        assert len(exs) == len(doc["log"]["entries"]), path.name
        assert all(ex.method == "POST" and ex.response_status in (201, 204) for ex in exs)
        assert all(ex.request_body for ex in exs)


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


def test_generated_mitm_and_har_agree() -> None:
    for har in sorted(FIXTURES.glob("*.har")):
        mitm = har.with_suffix(".mitm")
        a, b = list(read_exchanges(har)), list(read_exchanges(mitm))
        assert len(a) == len(b) > 0, har.name
        for x, y in zip(a, b, strict=True):
            assert (x.method, x.url, x.request_body, x.response_status) == (y.method, y.url, y.request_body,
                                                                            y.response_status)
            assert x.response_header("Location") == y.response_header("Location")
            assert x.timestamp_start == pytest.approx(y.timestamp_start, abs=0.001)


def test_open_capture_reports_progress() -> None:
    cap = open_capture(FIXTURES / "clean-vod.mitm")
    assert cap.format == "mitm" and cap.size > 0
    n = sum(1 for _ in cap)
    assert n == cap.read_count and cap.position == cap.size


# --- journal --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ex",
    [
        _exchange(),
        _exchange(request_body=b"\xff\xfe binary", response_body=b"\x00\x01"),
        _exchange(request_body=None, response_body=None),
        _exchange(response_status=None, response_headers=[], response_body=None, timestamp_end=None,
                  error="connection refused", live=True),
        _exchange(client="192.0.2.7"),
        _exchange(request_body=b"", response_status=201, response_headers=[("Location", f"/api/v1/sessions/{SID}")]),
    ],
)
def test_journal_record_roundtrip(ex: Exchange) -> None:
    record = exchange_to_record(ex)
    assert json.loads(json.dumps(record)) == record  # JSON-safe
    assert record_to_exchange(json.loads(json.dumps(record))) == ex


def test_journal_record_body_encoding() -> None:
    rec = exchange_to_record(_exchange(request_body=b"\xff"))
    assert rec["request"] == {"headers": rec["request"]["headers"], "body": "/w==", "body_encoding": "base64"}
    assert exchange_to_record(_exchange(request_body=None))["request"]["body"] is None
    assert exchange_to_record(_exchange(response_status=None))["response"] is None


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"flow": 1, "method": "POST", "url": "u"},
        {"flow": "f", "method": "POST", "url": "u", "request": {"headers": "x"}},
        {"flow": "f", "method": "POST", "url": "u", "request": {"body": 5}},
        {"flow": "f", "method": "POST", "url": "u", "request": {"body": "!!", "body_encoding": "base64"}},
        {"flow": "f", "method": "POST", "url": "u", "response": {"status": "204"}},
        {"flow": "f", "method": "POST", "url": "u", "t_start": "now"},
    ],
)
def test_record_to_exchange_rejects_malformed(bad: dict) -> None:
    with pytest.raises((ValueError, TypeError, KeyError)):
        record_to_exchange(bad)


def _journal(records: list[dict], header: bool = True) -> str:
    lines = [json.dumps(journal_header())] if header else []
    lines += [json.dumps(r) for r in records]
    return "\n".join(lines) + "\n"


def test_journal_reader(tmp_path: Path) -> None:
    recs = [exchange_to_record(_exchange(flow_id=f"f{i}")) for i in range(3)]
    recs[1]["result"] = {"events": 1}  # extra keys are ignored
    text = _journal(recs[:2]) + json.dumps(journal_header()) + "\n" + '{"type":"future-kind"}\n'
    text += json.dumps(recs[2]) + "\n"
    path = _write(tmp_path, "j.ndjson", text)
    assert detect_format(path) == "journal"
    assert [ex.flow_id for ex in read_exchanges(path)] == ["f0", "f1", "f2"]


def test_journal_torn_last_line_is_tolerated(tmp_path: Path) -> None:
    recs = [exchange_to_record(_exchange(flow_id=f"f{i}")) for i in range(3)]
    text = _journal(recs)
    torn = text[: len(text) - 30]
    assert [ex.flow_id for ex in read_exchanges(_write(tmp_path, "torn.ndjson", torn))] == ["f0", "f1"]


def test_journal_corrupt_middle_line(tmp_path: Path) -> None:
    recs = [exchange_to_record(_exchange(flow_id=f"f{i}")) for i in range(3)]
    lines = _journal(recs).splitlines()
    lines.insert(2, '{"type": "exchange", "flow": ')
    lines.insert(3, '{"type": "exchange"}')
    got = []
    with pytest.raises(CaptureError, match=r"2 corrupt journal line\(s\) skipped \(first at line 3\)") as info:
        for ex in read_exchanges(_write(tmp_path, "bad.ndjson", "\n".join(lines) + "\n")):
            got.append(ex.flow_id)
    assert got == ["f0", "f1", "f2"]
    assert info.value.read_count == 3


def test_journal_without_header(tmp_path: Path) -> None:
    recs = [exchange_to_record(_exchange())]
    assert len(list(read_exchanges(_write(tmp_path, "nh.ndjson", _journal(recs, header=False))))) == 1


# --- garbage never crashes ------------------------------------------------------------------------

_PREFIXES = [b"", b"{", b'{"log":', b'{"type":"journal"}\n', b"12:", b"5:hello,", b"\xef\xbb\xbf{"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from(_PREFIXES), data=st.binary(max_size=400))
def test_random_bytes_never_crash(tmp_path: Path, prefix: bytes, data: bytes) -> None:
    path = tmp_path / "garbage.bin"
    path.write_bytes(prefix + data)
    try:
        for ex in read_exchanges(path):
            assert isinstance(ex, Exchange)
    except CaptureError as exc:
        assert str(exc)


def test_mangled_fixtures_never_crash(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    for src in sorted(FIXTURES.glob("clean-vod.*")):
        data = bytearray(src.read_bytes())
        for trial in range(30):
            mangled = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                mangled[rng.randrange(len(mangled))] = rng.randrange(256)
            if trial % 3 == 0:
                mangled = mangled[: rng.randrange(len(mangled))]
            path = tmp_path / f"m{trial}{src.suffix}"
            path.write_bytes(bytes(mangled))
            try:
                for ex in read_exchanges(path):
                    assert isinstance(ex, Exchange)
            except CaptureError:
                pass


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    request=st.fixed_dictionaries({}, optional={"method": _json, "url": _json, "headers": _json, "postData": _json,
                                                "bodySize": _json}),
    response=_json,
    started=_json,
    elapsed=_json,
)
def test_har_entries_with_odd_json_never_crash(request: dict, response, started, elapsed) -> None:
    from mcscope.io.capture import har_entry_to_exchange

    request.setdefault("url", "https://example.hb-api.omtrdc.net/api/v1/sessions")
    entry = {"request": request, "response": response, "startedDateTime": started, "time": elapsed}
    ex = har_entry_to_exchange(entry, "x#1")
    assert ex is None or isinstance(ex, Exchange)


def test_mitm_flows_carry_the_client_address() -> None:
    """The player's address feeds the per-client rules (app-installation-id-changed, session-restarted)."""
    first = next(iter(read_exchanges(FIXTURES / "clean-vod.mitm")))
    assert first.client == "127.0.0.1"
