"""mcscope diff: exit codes, session choice, the JSON document, Markdown and terminal output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcscope import cli
from mcscope.core.model import Exchange
from mcscope.sim.simulate import simulate_offline
from tests.io.test_redact import identified_capture, journal_text, leaks

SCENARIO = "vod-preroll-midroll"


def write(path: Path, exchanges: list[Exchange]) -> str:
    path.write_text(journal_text(exchanges), encoding="utf-8")
    return str(path)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["diff", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def pair(tmp_path: Path) -> tuple[str, str, str]:
    """A: the scenario; B: the same one day later with one content ping dropped; C: A a day later."""
    a = write(tmp_path / "a.ndjson", simulate_offline(SCENARIO))
    later = simulate_offline(SCENARIO, t0_ms=1_767_225_600_000 + 86_400_000)
    c = write(tmp_path / "c.ndjson", later)
    del later[40]
    b = write(tmp_path / "b.ndjson", later)
    return a, b, c


def test_equivalent_exits_0(pair, capsys) -> None:
    a, _, c = pair
    code, out, err = run([a, c], capsys)
    assert code == 0, err
    assert "EQUIVALENT: 1 compared, 1 equivalent" in out and "content_time" in out


def test_different_exits_1_and_says_what(pair, capsys) -> None:
    a, b, _ = pair
    code, out, _ = run([a, b], capsys)
    assert code == 1
    assert "is missing from B" in out and "finding ping-interval appears" in out and out.rstrip().endswith(
        "0 only in B")


def test_json_document(pair, tmp_path: Path, capsys) -> None:
    a, b, _ = pair
    target = tmp_path / "out" / "diff.json"
    code, _, _ = run([a, b, "--json", str(target), "-q"], capsys)
    assert code == 1
    doc = json.loads(target.read_text())
    assert (doc["format"], doc["version"], doc["a"], doc["b"], doc["equivalent"]) == ("mcscope-diff", 1, a, b, False)
    assert doc["summary"] == {"compared": 1, "equivalent": 0, "different": 1, "unmatched_a": 0, "unmatched_b": 0}
    assert doc["tolerances"]["playhead"] == 1.0 and "visitor.marketingCloudUserId" in doc["tolerances"]["ignore_keys"]
    (comp,) = doc["comparisons"]
    assert comp["matched_by"] == "media.id" and comp["counts"]["missing"] == 1
    statuses = {r["status"] for r in comp["rows"]}
    assert statuses == {"same", "changed", "missing"}
    missing = next(r for r in comp["rows"] if r["status"] == "missing")
    assert missing["b"] is None and missing["eventType"] == "ping" and missing["t"]["a"] > 0
    assert comp["findings"]["appeared"] == ["ping-interval"]
    assert comp["metrics"]["a"].keys() == comp["metrics"]["b"].keys()
    assert [d["kind"] for d in comp["differences"]] == ["missing", "changed", "findings"]
    code, out, _ = run([a, b, "--json", "-"], capsys)
    assert json.loads(out)["comparisons"][0]["counts"] == comp["counts"]


def test_markdown(pair, capsys) -> None:
    a, b, _ = pair
    code, out, _ = run([a, b, "--markdown", "-"], capsys)
    assert code == 1
    assert out.startswith("## mcscope diff: ❌ different")
    assert "| missing |" in out and "| What Adobe will count | A | B | |" in out


def test_tolerance_flags(tmp_path: Path, capsys) -> None:
    from tests.builder import Capture

    def capture(jitter: int) -> list[Exchange]:
        c = Capture()
        c.start()
        c.ev("play", dt=1000)
        c.ev("ping", dt=10_000 + jitter)
        c.ev("ping", dt=10_000 - jitter)
        c.ev("sessionComplete", dt=1000)
        return c.exchanges

    a, b = write(tmp_path / "a.ndjson", capture(0)), write(tmp_path / "b.ndjson", capture(1500))
    assert run([a, b, "-q"], capsys)[0] == 1
    assert run([a, b, "-q", "--playhead-tolerance", "2"], capsys)[0] == 0
    assert run([a, b, "-q", "--playhead-tolerance", "2", "--time-tolerance", "1"], capsys)[0] == 1
    assert run([a, b, "-q", "--skip-event", "ping"], capsys)[0] == 0


def test_two_sessions_of_one_capture(tmp_path: Path, capsys) -> None:
    path = write(tmp_path / "two.ndjson", identified_capture().exchanges)
    code, _, err = run([path, path], capsys)
    assert code == 2 and "name two of its sessions" in err
    code, out, err = run([path, path, "--session", "#1", "--session", "tttt"], capsys)
    assert code == 1, err  # the second session has fewer events
    assert "(matched: chosen with --session)" in out
    code, _, err = run([path, path, "--session", "nope", "--session", "#2"], capsys)
    assert code == 2 and "no session 'nope'" in err
    code, _, err = run([path, path, "--session", "#1", "--session", "#9"], capsys)
    assert code == 2 and "no #9" in err


def test_one_session_picks_its_counterpart(pair, capsys) -> None:
    a, _, c = pair
    sid = json.loads(run([a, c, "--json", "-"], capsys)[1])["comparisons"][0]["a"]["sid"]
    code, out, _ = run([a, c, "--session", sid[:8]], capsys)
    assert code == 0 and "(matched: the only session on each side)" in out


@pytest.mark.parametrize("argv", [["missing.har", "missing2.har"], ["--time-tolerance", "-1"]])
def test_bad_input_exits_2(argv: list[str], pair, capsys) -> None:
    a, b, _ = pair
    full = argv if argv[0] == "missing.har" else [a, b, *argv]
    code, out, err = run(full, capsys)
    assert code == 2 and out == "" and err.startswith("mcscope diff:")


def test_a_file_without_sessions_is_bad_input(tmp_path: Path, pair, capsys) -> None:
    empty = tmp_path / "empty.ndjson"
    empty.write_text(journal_text([]))
    code, _, err = run([pair[0], str(empty)], capsys)
    assert code == 2 and "no Media Collection session" in err


def test_unmatched_sessions_are_said(tmp_path: Path, pair, capsys) -> None:
    two = write(tmp_path / "two.ndjson", identified_capture().exchanges[:-1])  # without its Edge call
    code, out, _ = run([pair[0], two], capsys)
    assert code == 1
    assert out.count("no counterpart") == 3  # episode-101 in A; two sessions of episode-1 in B


def test_redact(tmp_path: Path, capsys) -> None:
    exchanges = identified_capture().exchanges
    a = write(tmp_path / "a.ndjson", exchanges)
    b = write(tmp_path / "b.ndjson", exchanges[:4])  # the first session
    md = tmp_path / "d.md"
    code, out, _ = run([a, b, "--session", "#1", "--ignore-key", "nothing", "--redact", "--json", "-",
                        "--markdown", str(md)], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["redacted"]["by"] == "mcscope"
    assert leaks(out) == [] and leaks(md.read_text()) == [] and "identifiers redacted" in md.read_text()


def _edge_files(tmp_path: Path) -> dict[str, str]:
    from tests.edge_builder import edge_vod, session_details

    dropped = edge_vod().exchanges
    del dropped[-3]
    two = edge_vod()
    two.sid = "b" * 64
    two.start(session_details(name="another-episode"), dt=1000)
    two.ev("play", dt=10)
    two.ev("sessionComplete", dt=5000)
    return {
        "reference": write(tmp_path / "edge-ref.ndjson", edge_vod().exchanges),
        "same": write(tmp_path / "edge-same.ndjson", edge_vod().exchanges),
        "dropped": write(tmp_path / "edge-dropped.ndjson", dropped),
        "two": write(tmp_path / "edge-two.ndjson", two.exchanges),
    }


def _expect_findings(argv: list[str], capsys) -> tuple[int, list[dict]]:
    code = cli.main(["check", *argv, "--json", "-"])
    out, _ = capsys.readouterr()
    report = json.loads(out)
    found = [f for s in report["sessions"] for f in s["findings"]] + report["findings"]
    return code, [f for f in found if f["rule"] == "differs-from-reference"]


def test_check_expect_on_edge_sessions(tmp_path: Path, capsys) -> None:
    files = _edge_files(tmp_path)
    code, found = _expect_findings([files["same"], "--expect", files["reference"]], capsys)
    assert code == 0 and found == []
    code, found = _expect_findings([files["dropped"], "--expect", files["reference"]], capsys)
    assert code == 1 and found
    assert {(f["severity"], f["protocol"]) for f in found} == {("error", "edge")}  # the Edge default
    code, found = _expect_findings([files["dropped"], "--expect", files["reference"],
                                    "--severity", "differs-from-reference=warning", "--fail-on", "error"], capsys)
    assert code == 0 and {f["severity"] for f in found} == {"warning"}


def test_check_expect_unmatched_edge_reference_session(tmp_path: Path, capsys) -> None:
    files = _edge_files(tmp_path)
    code, found = _expect_findings([files["same"], "--expect", files["two"]], capsys)
    assert code == 1
    unmatched = [f for f in found if f["sid"] is None and "no session in the capture" in f["message"]]
    assert unmatched and unmatched[0]["protocol"] == "edge" and unmatched[0]["severity"] == "error"


def test_a_migration_from_rest_to_edge_compares_equivalent(tmp_path: Path, capsys) -> None:
    """The same scripted playback sent over REST and by an Edge Media SDK (matched by media id across files)."""
    from mcscope.sim.edge_wire import MEDIA_SDK
    from mcscope.sim.script import Scenario
    from mcscope.sim.simulate import scenarios_of

    rest = scenarios_of("all")[SCENARIO]
    a = write(tmp_path / "rest.ndjson", simulate_offline(SCENARIO))
    b = write(tmp_path / "edge.ndjson", simulate_offline(Scenario("edge", rest.script, "", client=MEDIA_SDK)))
    code, out, err = run([a, b, "--json", str(tmp_path / "d.json"), "--markdown", str(tmp_path / "d.md")], capsys)
    assert code == 0, out + err
    assert "REST vs Media Edge: compared in what both protocols carry" in out
    doc = json.loads((tmp_path / "d.json").read_text())
    (c,) = doc["comparisons"]
    assert c["protocols"] == {"a": "rest", "b": "edge"} and c["cross_protocol"] and c["equivalent"]
    assert "REST vs Media Edge" in (tmp_path / "d.md").read_text()
    edited = [ex for ex in simulate_offline(Scenario("edge", rest.script, "", client=MEDIA_SDK))
              if b"media.adStart" not in (ex.request_body or b"")]  # the Edge build lost its adStart calls
    code, out, _ = run([a, write(tmp_path / "edge2.ndjson", edited)], capsys)
    assert code == 1 and "adStart" in out


def test_how_sessions_were_matched_in_words(tmp_path: Path, pair, capsys) -> None:
    a, _, c = pair
    code, out, err = run([a, c], capsys)
    assert "(matched by media id)" in out and "media.id)" not in out, err
    code, out, _ = run([a, c, "--markdown", "-"], capsys)
    assert "Matched by media id;" in out
    sid = json.loads(run([a, c, "--json", "-"], capsys)[1])["comparisons"][0]["a"]["sid"]
    code, out, _ = run([a, c, "--session", sid[:8], "--markdown", "-"], capsys)
    assert "Matched: the only session on each side;" in out
    doc = json.loads(run([a, c, "--session", sid[:8], "--json", "-"], capsys)[1])
    assert doc["comparisons"][0]["matched_by"] == "only"  # the JSON keeps its values


def test_a_missing_file_is_named_once(tmp_path: Path, pair, capsys) -> None:
    missing = str(tmp_path / "nope.har")
    code, out, err = run([pair[0], missing], capsys)
    assert code == 2 and out == ""
    assert err == f"mcscope diff: {missing}: no such file\n"


def test_expect_names_a_missing_reference_once(tmp_path: Path, pair, capsys) -> None:
    missing = str(tmp_path / "nope.har")
    code = cli.main(["check", pair[0], "--expect", missing])
    _, err = capsys.readouterr()
    assert code == 2
    assert err == f"mcscope check: {missing}: no such file\n"
