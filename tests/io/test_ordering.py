"""mcscope/io/ordering.py and its use by the readers: HAR entries and .mitm flows in request-start order."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mitmproxy import io as mitm_io

from mcscope import cli
from mcscope.core.model import Exchange
from mcscope.io import capture as capture_mod
from mcscope.io.capture import CaptureError, read_exchanges
from mcscope.io.common import ReadProgress
from mcscope.io.har import entries_in_start_order, read_har
from mcscope.io.ordering import in_start_order
from tests.conftest import FIXTURES


def _ex(name: str, start: float) -> Exchange:
    return Exchange(flow_id=name, method="POST", url="http://h/api/v1/sessions", request_body=b"x" * 100,
                    timestamp_start=start)


def _ids(exchanges: Iterator[Exchange]) -> list[str]:
    return [ex.flow_id for ex in exchanges]


def test_sorted_by_start_and_stable() -> None:
    items = [_ex("c", 3.0), _ex("a1", 1.0), _ex("b", 2.0), _ex("a2", 1.0), _ex("d", 4.0)]
    assert _ids(in_start_order(items)) == ["a1", "a2", "b", "c", "d"]


def test_an_exchange_without_a_start_stays_after_its_predecessor() -> None:
    items = [_ex("b", 2.0), _ex("b-undated", 0.0), _ex("a", 1.0), _ex("c", 3.0)]
    assert _ids(in_start_order(items)) == ["a", "b", "b-undated", "c"]


def test_runs_spilled_to_disk_give_the_in_memory_order() -> None:
    rng = random.Random(5)
    items = [_ex(f"e{i}", float(rng.randrange(1, 50))) for i in range(400)]
    in_memory = _ids(in_start_order(items))
    assert _ids(in_start_order(items, run_bytes=1_000)) == in_memory  # ~3 exchanges a run
    assert in_memory == [ex.flow_id for ex in sorted(items, key=lambda e: e.timestamp_start)]


def test_spilled_exchanges_come_back_whole() -> None:
    ex = Exchange(flow_id="f", method="POST", url="http://h/api/v1/sessions/s/events",
                  request_headers=[("A", "é")], request_body=b"\xff\x00binary", response_status=204,
                  response_headers=[("X", "1")], response_body=b"", timestamp_start=5.0, timestamp_end=5.5,
                  error=None, live=True, client="10.0.0.1")
    (back,) = in_start_order([ex], run_bytes=1)  # spilled to a run file and read back
    assert back == ex


def test_a_capture_that_breaks_off_yields_what_was_read_in_order_then_raises() -> None:
    def broken() -> Iterator[Exchange]:
        yield _ex("b", 2.0)
        yield _ex("a", 1.0)
        raise CaptureError("truncated")

    got: list[str] = []
    with pytest.raises(CaptureError, match="truncated"):
        for ex in in_start_order(broken()):
            got.append(ex.flow_id)
    assert got == ["a", "b"]


def _har(entries: list[dict]) -> dict:
    return {"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": entries}}


def _entry(started: str, url: str) -> dict:
    return {"startedDateTime": started, "time": 10,
            "request": {"method": "GET", "url": url, "headers": []},
            "response": {"status": 204, "headers": [], "content": {"size": 0, "text": ""}}}


def test_har_entries_sorted_across_iso_8601_forms(tmp_path: Path) -> None:
    entries = [
        _entry("2024-05-01T10:00:03Z", "http://h/4"),
        _entry("2024-05-01T11:00:00.5+01:00", "http://h/2"),       # 10:00:00.5Z
        _entry("2024-05-01T10:00:00Z", "http://h/1"),
        _entry("2024-05-01T05:30:01.123456789-04:30", "http://h/3"),  # 10:00:01.123Z
        _entry("2024-05-01T10:00:00.000Z", "http://h/1b"),          # ties with /1: stays after it
    ]
    path = tmp_path / "c.har"
    path.write_text(json.dumps(_har(entries)))
    assert [ex.url.rsplit("/", 1)[1] for ex in read_exchanges(path)] == ["1", "1b", "2", "3", "4"]


def test_a_truncated_har_is_sorted_up_to_where_it_stops(tmp_path: Path) -> None:
    text = json.dumps(_har([_entry("2024-05-01T10:00:02Z", "http://h/b"), _entry("2024-05-01T10:00:01Z", "http://h/a"),
                            _entry("2024-05-01T10:00:00Z", "http://h/c")]))
    path = tmp_path / "t.har"
    path.write_text(text[: text.rindex('{"startedDateTime"') + 30])
    got = []
    with pytest.raises(CaptureError, match="truncated HAR"):
        for ex in read_exchanges(path):
            got.append(ex.url)
    assert got == ["http://h/a", "http://h/b"]


def _report(path: Path, tmp_path: Path) -> dict:
    out = tmp_path / f"{path.name}.json"
    code = cli.main(["check", str(path), "--json", str(out), "-q", "--fail-on", "never"])
    assert code == 0
    report = json.loads(out.read_text())
    report.pop("sources")
    for session in report["sessions"]:
        session.pop("source")
        for finding in session["findings"]:
            finding.pop("flow")  # names the entry by its position in its file
    return report


@pytest.mark.parametrize("name", ["clean-vod.har", "faulty-ad-outside-break.har", "clean-chapters.har"])
def test_a_shuffled_har_gives_the_report_of_the_sorted_one(name: str, tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / name).read_text())
    random.Random(name).shuffle(doc["log"]["entries"])
    shuffled = tmp_path / f"shuffled-{name}"
    shuffled.write_text(json.dumps(doc))
    sorted_report = _report(FIXTURES / name, tmp_path)
    assert sorted_report["sessions"] and sorted_report["sessions"][0]["metrics"]
    assert _report(shuffled, tmp_path) == sorted_report


@pytest.mark.parametrize("name", ["clean-vod.mitm", "faulty-ad-outside-break.mitm"])
def test_a_shuffled_mitm_file_gives_the_report_of_the_sorted_one(name: str, tmp_path: Path) -> None:
    with (FIXTURES / name).open("rb") as fh:
        flows = list(mitm_io.FlowReader(fh).stream())
    random.Random(name).shuffle(flows)
    shuffled = tmp_path / f"shuffled-{name}"
    with shuffled.open("wb") as fh:
        writer = mitm_io.FlowWriter(fh)
        for flow in flows:
            writer.add(flow)
    assert _report(shuffled, tmp_path) == _report(FIXTURES / name, tmp_path)


@pytest.mark.parametrize("shape", ["in order", "runs overlap", "reversed", "ties"])
def test_spilled_runs_in_order_or_not_give_the_stable_sort(shape: str) -> None:
    rng = random.Random(11)
    starts = {"in order": [float(i // 3) for i in range(500)],
              "runs overlap": [float(i + rng.randrange(0, 40)) for i in range(500)],
              "reversed": [float(500 - i) for i in range(500)],
              "ties": [1.0] * 500}[shape]
    items = [_ex(f"e{i}", t) for i, t in enumerate(starts)]
    want = [ex.flow_id for ex in sorted(items, key=lambda e: e.timestamp_start)]
    for run_bytes in (1, 2_000, 30_000, 10**9):
        assert _ids(in_start_order(items, run_bytes=run_bytes)) == want, run_bytes


def test_spilled_exchanges_with_undecodable_text_come_back_whole() -> None:
    ex = Exchange(flow_id="f\udcff", method="POST", url="http://h/\udcfe", request_headers=[("A\udcff", "\ud800")],
                  request_body=None, response_status=None, response_body=None, timestamp_start=5.0)
    (back,) = in_start_order([ex], run_bytes=1)
    assert back == ex


# --- HAR files already in order are read without the sort (har.entries_in_start_order) ----------------------

_STARTS = ["2024-05-01T10:00:00Z", "2024-05-01T10:00:01.5Z", "2024-05-01T11:00:01+01:00", "2024-05-01T10:00:02Z",
           "1969-12-31T23:59:59Z", "", "not a date", None, 5]


def _in_order(path: Path) -> bool:
    with path.open("rb") as fh:
        answer = entries_in_start_order(fh, path)
        assert fh.tell() == 0
    return answer


def test_a_har_in_start_order_is_recognised_and_read_without_the_sort(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    entries = [_entry("2024-05-01T10:00:00Z", "http://h/1"), _entry("not a date", "http://h/undated"),
               _entry("2024-05-01T10:00:00.000Z", "http://h/tie"), _entry("2024-05-01T11:00:01+01:00", "http://h/2")]
    path = tmp_path / "ordered.har"
    path.write_text(json.dumps(_har(entries)))
    assert _in_order(path)
    sorts: list[int] = []
    real = capture_mod.in_start_order
    monkeypatch.setattr(capture_mod, "in_start_order", lambda exchanges: sorts.append(1) or real(exchanges))
    assert [ex.url.rsplit("/", 1)[1] for ex in read_exchanges(path)] == ["1", "undated", "tie", "2"]
    assert not sorts
    entries.append(_entry("2024-05-01T10:00:00.5Z", "http://h/late"))  # started before /2: the sort is needed
    path.write_text(json.dumps(_har(entries)))
    assert not _in_order(path)
    assert [ex.url.rsplit("/", 1)[1] for ex in read_exchanges(path)] == ["1", "undated", "tie", "late", "2"]
    assert sorts


def test_the_order_check_says_false_for_files_it_cannot_read_whole(tmp_path: Path) -> None:
    text = json.dumps(_har([_entry("2024-05-01T10:00:00Z", "http://h/a"), _entry("2024-05-01T10:00:01Z", "http://h/b")]))
    cases = {"truncated.har": text[:-20].encode(), "latin1.har": text.replace("http://h/b", "http://h/\xe9").encode("latin-1"),
             "no-entries.har": b'{"log": {"version": "1.2"}}', "garbage.har": b"{\"log\": [1, 2,"}
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert not _in_order(path), name
    path = tmp_path / "fine.har"
    path.write_text(text)
    assert _in_order(path)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_STARTS).map(lambda s: {"startedDateTime": s, "request": {"url": "u"}}),
                          st.sampled_from([5, "x", {"startedDateTime": "2024-05-01T10:00:03Z"}, {"request": {}}])),
                max_size=12),
       st.sampled_from([",", ",\n", ", "]))
def test_the_order_check_never_says_true_when_the_sort_would_change_the_order(entries: list, separator: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.har"
        body = separator.join(json.dumps(e) for e in entries)
        path.write_text('{"log": {"version": "1.2", "entries": [' + body + "]}}")
        with path.open("rb") as fh:
            in_file_order = list(read_har(fh, path, ReadProgress(), chunk=64))
        if _in_order(path):
            assert [ex.flow_id for ex in in_start_order(in_file_order)] == [ex.flow_id for ex in in_file_order]
