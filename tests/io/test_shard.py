"""Sharded ``mcscope check``: the result of several processes equals the result of one, exactly."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from mcscope import cli
from mcscope.commands import check
from mcscope.core.config import Config
from mcscope.core.model import Exchange
from mcscope.io import report as rpt
from mcscope.io import shard
from mcscope.io.journal import exchange_to_record, journal_header
from mcscope.sim.simulate import SCENARIOS, simulate_offline
from tests.builder import Capture, ad_params, start_params
from tests.edge_builder import edge_vod

pytestmark = pytest.mark.skipif(not shard.can_fork(), reason="sharding needs fork (Linux)")

MIN = 60_000


def _session(sid: str, t0: int, ecid: str | None = "ecid-1", media: str = "episode-1", close: str | None = "sessionEnd",
             pings: int = 3, aid: str | None = None, client: str | None = None, **params: Any) -> list[Exchange]:
    over: dict[str, Any] = {"media__id": media, "visitor__marketingCloudUserId": ecid, **params}
    if aid is not None:
        over["appInstallationId"] = aid
    c = Capture(t0=t0, sid=sid)
    c.start(start_params(**over))
    c.ev("play", dt=50)
    c.ad_break(ads=1, ad_seconds=3)
    c.ev("play", dt=10)
    c.ping_for(pings * 10)
    if close:
        c.ev(close, dt=500)
    for n, ex in enumerate(c.exchanges):
        ex.flow_id = f"{sid[:6]}-{n}"
        ex.client = client
    return c.exchanges


def _capture() -> list[Exchange]:
    """Many sessions that touch every piece of state the Analyzer shares between sessions."""
    t0 = 1_700_000_000_000
    exs: list[Exchange] = []
    # one client, one media: a restart while the first is open (the earlier session sits in another shard),
    # a start after it ended, a changed appInstallationId
    exs += _session("a1" * 16, t0, close=None, pings=6, aid="install-1")
    exs += _session("a2" * 16, t0 + 20_000, aid="install-2", media__streamType=None)  # findings before and after
    exs += _session("a3" * 16, t0 + 200_000, aid="install-2")
    # clients known by address + User-Agent only, and a second ECID
    for n in range(6):
        exs += _session(f"b{n}" * 16, t0 + 5_000 * n, ecid=None, client=f"192.0.2.{n % 2}", media=f"m{n % 3}")
        exs += _session(f"c{n}" * 16, t0 + 7_000 * n, ecid="ecid-2", media="episode-9", close=None if n % 2 else "sessionEnd")
    # events for sids whose sessionStart was not captured: the capture's first call, one near the start and
    # one long after (mid-session or not depends on the earliest call, judged by another shard)
    c = Capture(t0=t0 - 20 * MIN, sid="d0" * 16)
    c.ev("ping")
    c.sid = "d1" * 16
    c.ev("ping", dt=20 * MIN + 1000)
    c.ev("ping", dt=10_000)
    c.sid = "d3" * 16
    c.ev("ping", dt=5 * MIN)
    late = Capture(t0=t0 + 30 * MIN, sid="d2" * 16)
    late.ev("play")
    late.ev("ping", dt=10_000)
    # an empty sid, a 404 then events after it, and the sid coming back with a new sessionStart
    gone = Capture(t0=t0 + 2000, sid="e1" * 16)
    gone.ev("ping", status=404)
    gone.ev("ping", dt=1000)
    gone.start(dt=1000)
    gone.ev("play", dt=100)
    empty = Capture(t0=t0 + 3000, sid="")
    empty.ev("play")
    # transport findings, a downloaded batch, a legacy array, a session that expires before the capture ends
    other = Capture(t0=t0 + 4000, sid="f1" * 16)
    other.post("/api/v1/sessions", None, status=400, raw=b"not json")
    other.post("/api/v1/downloaded", [{"eventType": "sessionStart", "playerTime": {"playhead": 0, "ts": t0},
                                       "params": start_params(media__downloaded=True)},
                                      {"eventType": "sessionEnd", "playerTime": {"playhead": 1, "ts": t0 + 1}}])
    other.post("/api/v1/sessions", [{"eventType": "sessionStart", "playerTime": {"playhead": 0, "ts": t0}}],
               status=400)
    other.post("/elsewhere", {"x": 1})
    other.post("/api/v1/sessions/f1/events", {"eventType": "ping"}, method="OPTIONS")
    expired = Capture(t0=t0 + 5000, sid="f2" * 16)
    expired.start()
    expired.ev("play")
    expired.ev("adStart", params=ad_params())
    for extra in (c, late, gone, empty, other, expired):
        for n, ex in enumerate(extra.exchanges):
            ex.flow_id = f"x-{extra.sid[:4]}-{n}"
        exs += extra.exchanges
    exs.sort(key=lambda ex: ex.timestamp_start)
    return exs


def _write(path: Path, exchanges: list[Exchange], compact: bool = True, tail: str = "") -> Path:
    lines = [json.dumps(journal_header())]
    for ex in exchanges:
        record = exchange_to_record(ex)
        lines.append(json.dumps(record, separators=(",", ":"), ensure_ascii=False) if compact else json.dumps(record))
    path.write_text("\n".join(lines) + "\n" + tail, encoding="utf-8")
    return path


def _single(path: Path, config: Config) -> tuple[dict[str, Any], Any]:
    an, error = check.check_file(str(path), config)
    assert error is None
    return _report(an), an


def _report(an: Any) -> dict[str, Any]:
    report = rpt.build_report(an)
    report.pop("tool")
    return report


def _assert_same(path: Path, config: Config, jobs: int) -> None:
    expected, single = _single(path, config)
    sharded = shard.check_journal(path, config, jobs)
    assert sharded is not None, "the journal was not sharded"
    assert _report(sharded) == expected
    assert [s.key for s in sharded.sessions] == [s.key for s in single.sessions]
    assert [s.client for s in sharded.sessions] == [s.client for s in single.sessions]
    assert sharded.exchanges_seen == single.exchanges_seen


@pytest.mark.parametrize("jobs", [2, 3, 5])
def test_sharded_equals_single_process(tmp_path: Path, jobs: int) -> None:
    path = _write(tmp_path / "j.ndjson", _capture())
    _assert_same(path, Config(keep_events=False), jobs)


def test_the_capture_exercises_the_shared_state(tmp_path: Path) -> None:
    report, _ = _single(_write(tmp_path / "j.ndjson", _capture()), Config(keep_events=False))
    rules = {f["rule"] for f in rpt.iter_findings(report)}
    assert {"session-restarted", "app-installation-id-changed", "no-session-start", "session-not-closed",
            "session-gone", "event-after-gone", "body-not-json", "downloaded-legacy"} <= rules
    infos = [f for f in rpt.iter_findings(report) if f["rule"] == "no-session-start"]
    assert {f["severity"] for f in infos} == {"info", "warning"}  # mid-capture or not: the capture start matters


def test_cross_shard_restart_is_placed_where_one_process_puts_it(tmp_path: Path) -> None:
    # a1 (open) and a2 go to different shards: a2's shard cannot see a1, a1's shard answers
    exs = _session("a1" * 16, 1_700_000_000_000, close=None) + _session("a2" * 16, 1_700_000_020_000)
    exs.sort(key=lambda ex: ex.timestamp_start)
    path = _write(tmp_path / "j.ndjson", exs)
    _assert_same(path, Config(keep_events=False), 2)
    sharded = shard.check_journal(path, Config(keep_events=False), 2)
    assert sharded is not None
    assert [f.rule for f in sharded.sessions[1].findings][:1] == ["session-restarted"]


@pytest.mark.parametrize(
    "options",
    [{"ignore": ["session-restarted"]}, {"severity": ["session-restarted=info"]},
     {"tunables": ["idle_timeout=30s"]}, {"ignore": ["no-session-start", "unknown-host"]}],
)
def test_sharded_equals_single_process_with_options(tmp_path: Path, options: dict[str, Any]) -> None:
    path = _write(tmp_path / "j.ndjson", _capture())
    _assert_same(path, Config.from_options(keep_events=False, **options), 2)


def test_scenarios_interleaved(tmp_path: Path) -> None:
    names = sorted(SCENARIOS)
    exs = [ex for i, name in enumerate(names) for ex in simulate_offline(name, index=i % 3, t0_ms=1_767_225_600_000 + i)]
    exs.sort(key=lambda ex: ex.timestamp_start)
    path = _write(tmp_path / "j.ndjson", exs)
    for jobs in (2, 4):
        _assert_same(path, Config(keep_events=False), jobs)


def test_other_json_layouts_take_the_full_parse(tmp_path: Path) -> None:
    path = _write(tmp_path / "j.ndjson", _capture(), compact=False)
    _assert_same(path, Config(keep_events=False), 2)


def test_torn_last_line(tmp_path: Path) -> None:
    exs = _capture()
    path = _write(tmp_path / "j.ndjson", exs, tail=json.dumps(exchange_to_record(exs[0]))[:60])
    _assert_same(path, Config(keep_events=False), 2)


def test_shuffled_captures_are_equal_or_fall_back(tmp_path: Path) -> None:
    rnd = random.Random(7)
    exs = _capture()
    for n in range(4):
        mixed = list(exs)
        for _ in range(len(mixed) // 4):  # local disorder, as a proxy sees answers complete out of order
            i = rnd.randrange(len(mixed) - 3)
            j = i + rnd.randrange(1, 4)
            mixed[i], mixed[j] = mixed[j], mixed[i]
        path = _write(tmp_path / f"j{n}.ndjson", mixed)
        expected, _ = _single(path, Config(keep_events=False))
        sharded = shard.check_journal(path, Config(keep_events=False), 3)
        if sharded is not None:
            assert _report(sharded) == expected


def test_corrupt_line_falls_back_to_one_process(tmp_path: Path) -> None:
    lines = _write(tmp_path / "j.ndjson", _capture()).read_text().splitlines()
    lines.insert(5, '{"type":"exchange","flow":"x","method":"POST","url":"https://a.hb-api.omtrdc.net/api/v1/sess')
    path = tmp_path / "bad.ndjson"
    path.write_text("\n".join(lines) + "\n")
    assert shard.check_journal(path, Config(keep_events=False), 2) is None


def test_cli_jobs_give_the_same_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(shard, "MIN_SIZE", 0)
    good = _write(tmp_path / "j.ndjson", _capture())
    bad = tmp_path / "bad.ndjson"
    bad.write_text(good.read_text() + "{oops\n" + good.read_text().splitlines()[3] + "\n")
    for path in (good, bad):
        outputs = []
        for jobs in ("1", "2"):
            out = tmp_path / f"r{jobs}.json"
            code = cli.main(["check", str(path), "--jobs", jobs, "--json", str(out), "--quiet"])
            _, err = capsys.readouterr()
            outputs.append((code, err, json.loads(out.read_text())))
        assert outputs[0] == outputs[1]
    assert cli.main(["check", str(good), "--jobs", "-1"]) == 2


# --- HAR and .mitm files: every worker reads the whole capture, sorted, and judges its share ------------


def _write_har(path: Path, exchanges: list[Exchange], tail: str = "]}}\n") -> Path:
    from datetime import UTC, datetime

    entries = []
    for ex in exchanges:
        started = datetime.fromtimestamp(ex.timestamp_start, UTC).isoformat(timespec="microseconds")
        entry: dict[str, Any] = {
            "_id": ex.flow_id, "startedDateTime": started, "time": 20,
            "request": {"method": ex.method, "url": ex.url,
                        "headers": [{"name": k, "value": v} for k, v in ex.request_headers]},
        }
        if ex.request_body is not None:
            entry["request"]["postData"] = {"mimeType": "application/json",
                                            "text": ex.request_body.decode("utf-8", "replace")}
        if ex.response_status is not None:
            entry["response"] = {"status": ex.response_status,
                                 "headers": [{"name": k, "value": v} for k, v in ex.response_headers],
                                 "content": {"size": 0, "text": (ex.response_body or b"").decode("utf-8", "replace")}}
        entries.append(json.dumps(entry))
    path.write_text('{"log":{"version":"1.2","entries":[\n' + ",\n".join(entries) + "\n" + tail)
    return path


def _assert_same_capture(path: Path, config: Config, jobs: int, fmt: str) -> None:
    expected, single = _single(path, config)
    sharded = shard.check_journal(path, config, jobs, fmt=fmt)
    assert sharded is not None, f"the {fmt} file was not sharded"
    assert _report(sharded) == expected
    assert [s.key for s in sharded.sessions] == [s.key for s in single.sessions]
    assert sharded.exchanges_seen == single.exchanges_seen


@pytest.mark.parametrize("jobs", [2, 3])
def test_sharded_har_equals_single_process(tmp_path: Path, jobs: int) -> None:
    exs = _capture()
    _assert_same_capture(_write_har(tmp_path / "c.har", exs), Config(keep_events=False), jobs, "har")
    shuffled = list(exs)
    random.Random(jobs).shuffle(shuffled)  # read back sorted by startedDateTime, in every worker alike
    _assert_same_capture(_write_har(tmp_path / "s.har", shuffled), Config(keep_events=False), jobs, "har")


def test_sharded_har_of_scenarios_with_options(tmp_path: Path) -> None:
    names = sorted(SCENARIOS)
    exs = [ex for i, name in enumerate(names) for ex in simulate_offline(name, index=i % 3, t0_ms=1_767_225_600_000 + i)]
    path = _write_har(tmp_path / "c.har", exs)
    for options in ({}, {"ignore": ["session-restarted"]}, {"tunables": ["idle_timeout=30s"]}):
        _assert_same_capture(path, Config.from_options(keep_events=False, **options), 2, "har")


def test_a_truncated_har_falls_back_to_one_process(tmp_path: Path) -> None:
    path = _write_har(tmp_path / "t.har", _capture(), tail='{"startedDateTime": "2025')
    assert shard.check_journal(path, Config(keep_events=False), 2, fmt="har") is None


def test_sharded_mitm_equals_single_process(tmp_path: Path) -> None:
    from mitmproxy import io as mitm_io

    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    flows = []
    for name in sorted(fixtures.glob("*.mitm")):
        with name.open("rb") as fh:
            flows += list(mitm_io.FlowReader(fh).stream())
    random.Random(1).shuffle(flows)
    path = tmp_path / "all.mitm"
    with path.open("wb") as fh:
        writer = mitm_io.FlowWriter(fh)
        for flow in flows:
            writer.add(flow)
    for jobs in (2, 3):
        _assert_same_capture(path, Config(keep_events=False), jobs, "mitm")


def test_cli_jobs_give_the_same_report_for_har_and_mitm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(shard, "MIN_SIZE", 0)
    calls: list[str] = []
    real = shard.check_journal
    monkeypatch.setattr(shard, "check_journal", lambda *a, **k: calls.append(a[4] if len(a) > 4 else "") or real(*a, **k))
    good = _write_har(tmp_path / "good.har", _capture())
    cut = _write_har(tmp_path / "cut.har", _capture(), tail='{"startedDateTime": "2025')
    mitm = Path(__file__).resolve().parent.parent / "fixtures" / "faulty-ad-outside-break.mitm"
    for path in (good, cut, mitm):
        outputs = []
        for jobs in ("1", "2"):
            out = tmp_path / f"r{jobs}.json"
            code = cli.main(["check", str(path), "--jobs", jobs, "--json", str(out), "--quiet"])
            _, err = capsys.readouterr()
            outputs.append((code, err, json.loads(out.read_text())))
        assert outputs[0] == outputs[1]
    assert calls == ["har", "har", "mitm"]  # the sharded path was taken (and the cut file fell back)


def test_default_jobs_shard_a_har_only_with_4_cpus_or_more(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shard, "MIN_SIZE", 0)
    calls: list[str] = []
    real = shard.check_journal
    monkeypatch.setattr(shard, "check_journal", lambda *a, **k: calls.append(a[4]) or real(*a, **k))
    har = _write_har(tmp_path / "good.har", _capture())
    journal = _write(tmp_path / "j.ndjson", _capture())
    for cpus, want in ((2, ["journal"]), (4, ["har", "journal"])):
        monkeypatch.setattr(shard, "default_jobs", lambda cpus=cpus: cpus)
        calls.clear()
        for path in (har, journal):
            assert cli.main(["check", str(path), "--quiet", "--fail-on", "never", "--json", str(tmp_path / "r.json")]) == 0
        assert calls == want, cpus


def test_media_edge_calls_are_judged_by_one_process(tmp_path: Path) -> None:
    """Edge sessions are keyed by the answers of their calls, which the router does not follow: a capture
    with Edge calls falls back to one process (journal and HAR alike), and the CLI's result is the same."""
    edge = edge_vod().exchanges
    mixed = sorted([*_capture(), *edge], key=lambda ex: ex.timestamp_start)
    path = _write(tmp_path / "mixed.ndjson", mixed)
    assert shard.check_journal(path, Config(keep_events=False), 2) is None
    expected, single = _single(path, Config(keep_events=False))
    assert {s["protocol"] for s in expected["sessions"]} == {"rest", "edge"}
    rest_only = _write(tmp_path / "rest.ndjson", _capture())
    assert shard.check_journal(rest_only, Config(keep_events=False), 2) is not None  # REST still shards


def test_check_file_shards_a_journal_past_its_first_progress_tick(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The sharded check reports progress every 1024 lines through Capture.position; when that raised, every
    journal of more lines than that was quietly judged again in one process."""
    monkeypatch.setattr(shard, "MIN_SIZE", 0)
    exchanges: list[Exchange] = []
    for n in range(120):  # 9 calls a session: over 1024 lines
        exchanges += _session(f"{n:02d}" * 16, 1_700_000_000_000 + 1000 * n, media=f"m{n}")
    path = _write(tmp_path / "long.ndjson", exchanges)
    assert len(path.read_text().splitlines()) > 1024
    results: list[Any] = []
    real = shard.check_journal
    monkeypatch.setattr(shard, "check_journal", lambda *a, **k: results.append(real(*a, **k)) or results[-1])
    config = Config(keep_events=False)
    an, error = check.check_file(str(path), config, jobs=2)
    assert error is None and results and results[0] is an
    assert _report(an) == _single(path, config)[0]
