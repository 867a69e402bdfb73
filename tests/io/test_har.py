"""mcscope/io/har.py: HAR 1.2 entries -> Exchanges."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcscope.core.model import Exchange
from mcscope.io.capture import CaptureError, read_exchanges

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
    from mcscope.io.har import har_entry_to_exchange

    request.setdefault("url", "https://example.hb-api.omtrdc.net/api/v1/sessions")
    entry = {"request": request, "response": response, "startedDateTime": started, "time": elapsed}
    ex = har_entry_to_exchange(entry, "x#1")
    assert ex is None or isinstance(ex, Exchange)


@pytest.mark.parametrize("doc", ['{"log": []}', '{"log": "x"}', '{"log": {"entries": {}}}', '{"log": null}'])
def test_a_har_whose_log_is_not_an_object_is_a_capture_error(tmp_path: Path, doc: str) -> None:
    path = tmp_path / "odd.har"
    path.write_text(doc)
    with pytest.raises(CaptureError, match="not a HAR file"):
        list(read_exchanges(path))
