from __future__ import annotations

import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcscope import cli
from mcscope.commands import check
from mcscope.io.capture import read_exchanges
from mcscope.io.journal import exchange_to_record, journal_header

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
CLEAN = sorted(FIXTURES.glob("clean-*.har")) + sorted(FIXTURES.glob("clean-*.mitm"))
FAULTY = {
    "faulty-ad-outside-break": "ad-outside-break",
    "faulty-ts-seconds": "ts-units",
    "faulty-events-after-end": "event-after-end",
}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def rules_of(report: dict) -> set[str]:
    rules = {f["rule"] for s in report["sessions"] for f in s["findings"]}
    return rules | {f["rule"] for f in report["findings"]}


# --- usage ----------------------------------------------------------------------------------------


def test_rules_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--rules"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) > 80
    assert any(line.split()[:2] == ["ad-outside-break", "error"] for line in lines)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "no capture file given"),
        (["--ignore", "no-such-rule", "x.har"], "unknown rule id 'no-such-rule'"),
        (["--severity", "no-such-rule=info", "x.har"], "unknown rule id 'no-such-rule'"),
        (["--severity", "ping-interval=fatal", "x.har"], "unknown severity"),
        (["--severity", "ping-interval", "x.har"], "RULE=LEVEL"),
        (["--set", "no_such=1", "x.har"], "unknown tunable"),
        (["--set", "idle_timeout=soon", "x.har"], "not a number"),
        (["--json", "-", "--junit", "-", "x.har"], "only one of"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv: list[str], message: str, capsys) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_bad_fail_on_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["check", "--fail-on", "sometimes", "x.har"])
    assert info.value.code == 2


# --- input errors ---------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_json = tmp_path / "r.json"
    code, _, err = run([str(FIXTURES / "clean-vod.har"), str(tmp_path / "nope.har"), "--json", str(out_json)],
                       capsys)
    assert code == 2
    assert "nope.har: no such file" in err
    report = json.loads(out_json.read_text())
    assert report["summary"]["sessions"] == 1  # the readable file is still judged


def test_unknown_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.har"
    bad.write_text("these are my notes\n")
    code, _, err = run([str(bad)], capsys)
    assert code == 2
    assert "unknown format" in err


def test_truncated_capture_reports_what_was_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = (FIXTURES / "clean-vod.mitm").read_bytes()
    cut = tmp_path / "cut.mitm"
    cut.write_bytes(data[: len(data) // 2])
    out_json = tmp_path / "r.json"
    code, _, err = run([str(cut), "--json", str(out_json)], capsys)
    assert code == 2
    assert "stopped after" in err and "judged the" in err
    report = json.loads(out_json.read_text())
    assert report["summary"]["sessions"] == 1
    assert report["summary"]["events"] > 5


# --- judging --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_clean_fixtures_pass_at_warning_level(path: Path, tmp_path: Path, capsys) -> None:
    out_json = tmp_path / "r.json"
    code, out, _ = run([str(path), "--fail-on", "warning", "--json", str(out_json)], capsys)
    report = json.loads(out_json.read_text())
    problems = [f for s in report["sessions"] for f in s["findings"] if f["severity"] != "info"]
    problems += [f for f in report["findings"] if f["severity"] != "info"]
    assert problems == []
    assert code == 0
    assert report["summary"]["sessions"] == 1
    assert report["summary"]["ignored_events"] == 0


@pytest.mark.parametrize("name", sorted(FAULTY))
@pytest.mark.parametrize("suffix", [".har", ".mitm"])
def test_faulty_fixtures_fail(name: str, suffix: str, tmp_path: Path, capsys) -> None:
    out_json = tmp_path / "r.json"
    code, out, _ = run([str(FIXTURES / (name + suffix)), "--fail-on", "warning", "--json", str(out_json)], capsys)
    report = json.loads(out_json.read_text())
    assert FAULTY[name] in rules_of(report)
    assert code == 1
    assert FAULTY[name] in out  # terminal summary names the rule


def test_ignored_events_are_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_json = tmp_path / "r.json"
    run([str(FIXTURES / "faulty-events-after-end.har"), "--json", str(out_json)], capsys)
    report = json.loads(out_json.read_text())
    assert report["summary"]["ignored_events"] >= 2
    after_end = [f for f in report["sessions"][0]["findings"] if f["rule"] == "event-after-end"]
    assert after_end and all(f["ignored"] for f in after_end)


def test_warnings_do_not_fail_at_error_level(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([str(FIXTURES / "faulty-ts-seconds.har")], capsys)
    assert "ts-units" in out
    assert code == 0  # ts-units is a warning; --fail-on defaults to error


def test_fail_on_never(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run([str(FIXTURES / "faulty-ad-outside-break.har"), "--fail-on", "never"], capsys)
    assert code == 0


def test_ignore_and_severity_overrides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = str(FIXTURES / "faulty-ts-seconds.har")
    out_json = tmp_path / "r.json"
    run([src, "--ignore", "ts-units", "--json", str(out_json)], capsys)
    assert "ts-units" not in rules_of(json.loads(out_json.read_text()))
    run([src, "--severity", "ts-units=info", "--json", str(out_json)], capsys)
    report = json.loads(out_json.read_text())
    sevs = {f["severity"] for s in report["sessions"] for f in s["findings"] if f["rule"] == "ts-units"}
    assert sevs == {"info"}


def test_all_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(FIXTURES / "clean-vod.har"), str(FIXTURES / "faulty-ad-outside-break.mitm")]
    j, x, m = tmp_path / "r.json", tmp_path / "junit.xml", tmp_path / "summary.md"
    code, out, err = run([*files, "--json", str(j), "--junit", str(x), "--markdown", str(m)], capsys)
    assert code == 1
    assert err == ""  # no progress line when stderr is not a terminal
    report = json.loads(j.read_text())
    assert report["sources"] == files
    assert set(report) == {"tool", "sources", "summary", "sessions", "findings"}
    assert [s["source"] for s in report["sessions"]] == files
    root = ET.fromstring(x.read_text())
    assert [s.get("name") for s in root.findall("testsuite")] == files
    failures = root.findall(".//failure")
    assert failures and {f.get("type") for f in failures} >= {"ad-outside-break"}
    assert m.read_text().startswith("## mcscope check: ❌ failed")
    assert "OK" in out or "FAIL" in out


def test_json_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([str(FIXTURES / "clean-chapters.har"), "--json", "-"], capsys)
    assert code == 0
    assert json.loads(out)["summary"]["sessions"] == 1  # nothing but the JSON on stdout


def test_unwritable_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-file").write_text("")
    code, _, err = run([str(FIXTURES / "clean-vod.har"), "--json", str(tmp_path / "a-file" / "r.json")],
                       capsys)
    assert code == 2 and "cannot write report" in err


def test_missing_output_folders_are_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "ci" / "r.xml"
    code, _, _ = run([str(FIXTURES / "clean-vod.har"), "--junit", str(target)], capsys)
    assert code == 0 and target.read_text().startswith("<?xml")


def test_journal_gives_the_same_result_as_har(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = FIXTURES / "faulty-ad-outside-break.har"
    journal = tmp_path / "j.ndjson"
    lines = [json.dumps(journal_header())] + [json.dumps(exchange_to_record(e)) for e in read_exchanges(src)]
    journal.write_text("\n".join(lines) + "\n")
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    run([str(src), "--json", str(a)], capsys)
    run([str(journal), "--json", str(b)], capsys)
    ra, rb = json.loads(a.read_text()), json.loads(b.read_text())
    assert ra["summary"] == rb["summary"]
    assert [f["rule"] for f in ra["sessions"][0]["findings"]] == [f["rule"] for f in rb["sessions"][0]["findings"]]


def test_progress_only_on_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    class TTY(io.StringIO):
        def isatty(self) -> bool:
            return True

    class Cap:
        size, position = 100, 50

    stream = TTY()
    monkeypatch.setattr(check, "PROGRESS_AFTER", 0.0)
    progress = check._Progress("big.ndjson", Cap(), stream)
    progress.tick(256)
    progress.done()
    assert "reading big.ndjson:  50% 256 exchanges" in stream.getvalue()
    quiet = io.StringIO()
    p2 = check._Progress("big.ndjson", Cap(), quiet)
    p2.tick(256)
    assert quiet.getvalue() == ""


# --- the real command, as a subprocess ------------------------------------------------------------


def _mcscope(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mcscope", "check", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_subprocess_generated_fixtures(tmp_path: Path) -> None:
    files = sorted(str(p) for p in FIXTURES.glob("*.har")) + sorted(str(p) for p in FIXTURES.glob("*.mitm"))
    proc = _mcscope(*files, "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "j.xml"), cwd=REPO)
    assert proc.returncode == 1, proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["sessions"] == len(files)
    assert report["summary"]["errors"] > 0
    ET.fromstring((tmp_path / "j.xml").read_text())


def test_subprocess_external_fixtures(external_fixtures: Path, tmp_path: Path) -> None:
    files = sorted(str(p) for p in external_fixtures.glob("*.har"))
    proc = _mcscope(*files, "--json", str(tmp_path / "r.json"), "--markdown", str(tmp_path / "s.md"),
                    "--fail-on", "never", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["sources"] == files
    assert report["summary"]["sessions"] >= len(files) - 1
    # Adobe's verbatim examples contain unparseable JSON; the repaired copies do not.
    by_source: dict[str, set[str]] = {}
    for s in report["sessions"]:
        by_source.setdefault(s["source"], set()).update(f["rule"] for f in s["findings"])
    for f in report["findings"]:
        by_source.setdefault(f["source"], set()).add(f["rule"])
    tl1 = next(k for k in by_source if k.endswith("adobe-tl1-view-to-end.har"))
    tl1_fixed = next(k for k in by_source if k.endswith("adobe-tl1-view-to-end-repaired.har"))
    assert "body-not-json" in by_source[tl1]
    assert "body-not-json" not in by_source[tl1_fixed]
    assert (tmp_path / "s.md").read_text().startswith("## mcscope check")


# --- hostile input: every outcome is 0, 1 or 2, never a traceback ------------------------------------

_OUTPUTS = [[], ["--json", "-"], ["--junit", "-"], ["--markdown", "-"]]
_START_BODY = json.dumps({"eventType": "sessionStart", "playerTime": {"playhead": 0, "ts": 1700000000000},
                          "params": {"media.id": "m", "media.name": "n", "media.length": 10,
                                     "media.contentType": "vod", "media.playerName": "p", "media.channel": "c"}})


def _record(url: str = "http://h/api/v1/sessions", body: str = _START_BODY, status: int = 201,
            response_body: str = "", headers: list[list[str]] | None = None, t_start: str = "1700000000.0") -> str:
    rec = {"type": "exchange", "flow": "f", "method": "POST", "url": url, "t_start": 0, "t_end": None,
           "request": {"headers": [], "body": body},
           "response": {"status": status, "headers": headers if headers is not None else
                        [["Location", "/api/v1/sessions/abc"]], "body": response_body}}
    return json.dumps(rec).replace('"t_start": 0', f'"t_start": {t_start}')


def _journal_file(tmp_path: Path, *lines: str, tail: str = "\n") -> Path:
    path = tmp_path / "j.ndjson"
    path.write_text("\n".join([json.dumps(journal_header()), *lines]) + tail, encoding="utf-8", errors="surrogatepass")
    return path


@pytest.mark.parametrize("output", _OUTPUTS)
def test_a_deeply_nested_error_answer_is_judged(output: list[str], tmp_path: Path, capsys) -> None:
    path = _journal_file(tmp_path, _record(status=400, response_body="[" * 100_000 + "]" * 100_000,
                                           headers=[["Content-Type", "application/json"]]))
    code, out, err = run([str(path), *output], capsys)
    assert code == 1 and "Traceback" not in err  # the rejected sessionStart is a finding


@pytest.mark.parametrize("t_start", ["NaN", "Infinity", "1e400", "-1e308", "1e300"])
@pytest.mark.parametrize("output", _OUTPUTS)
def test_a_record_with_an_impossible_time_is_a_corrupt_line(t_start: str, output: list[str], tmp_path: Path,
                                                           capsys) -> None:
    path = _journal_file(tmp_path, _record(t_start=t_start), _record(t_start="1700000000.5"))
    code, _, err = run([str(path), *output], capsys)
    assert code == 2 and "1 corrupt journal line(s) skipped (first at line 2)" in err


@pytest.mark.parametrize("output", _OUTPUTS)
def test_a_lone_surrogate_in_a_url_is_written_escaped(output: list[str], tmp_path: Path, capsys) -> None:
    event = json.dumps({"eventType": "play", "playerTime": {"playhead": 1, "ts": 1700000001000}})
    path = _journal_file(tmp_path, _record(), _record(url="http://h/api/v1/sessions/\ud800x/events", body=event,
                                                      status=204, headers=[]))
    code, out, err = run([str(path), *output, "--fail-on", "never"], capsys)
    assert code == 0 and "Traceback" not in err
    out.encode("utf-8")  # printable: no lone surrogate reaches the terminal or a report
    if output[:1] == ["--json"]:
        report = json.loads(out)
        assert any("\ud800" in json.dumps(f, ensure_ascii=False) for s in report["sessions"] for f in s["findings"])
    if output[:1] == ["--junit"]:
        ET.fromstring(out)


def test_a_complete_garbage_last_line_is_corrupt_not_torn(tmp_path: Path, capsys) -> None:
    path = _journal_file(tmp_path, _record(), "x" * 1_000_000)
    code, _, err = run([str(path)], capsys)
    assert code == 2 and "corrupt journal line" in err


def test_unterminated_garbage_is_corrupt_but_a_torn_record_is_tolerated(tmp_path: Path, capsys) -> None:
    garbage = _journal_file(tmp_path, _record(), "\x00\x01 not a record", tail="")
    assert run([str(garbage)], capsys)[0] == 2
    torn = _journal_file(tmp_path, _record(), _record()[:40], tail="")
    code, _, err = run([str(torn), "--fail-on", "never"], capsys)
    assert code == 0, err


def test_a_restart_header_glued_to_a_torn_record_is_tolerated(tmp_path: Path, capsys) -> None:
    """Writers before this fix did not end a torn line before their new header: such journals still check."""
    glued = _record()[:50] + json.dumps(journal_header())
    event = json.dumps({"eventType": "play", "playerTime": {"playhead": 1, "ts": 1700000001000}})
    path = _journal_file(tmp_path, _record(), glued, _record(url="http://h/api/v1/sessions/abc/events", body=event,
                                                             status=204, headers=[]))
    code, out, err = run([str(path), "--json", "-", "--fail-on", "never"], capsys)
    assert code == 0, err
    assert json.loads(out)["summary"]["events"] == 2


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


def _check_exit(path: Path) -> int:
    """cli.main on ``path`` quietly; an exception here is the traceback a user would see."""
    return cli.main(["check", str(path), "-q", "--json", str(path.with_suffix(".json"))])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=st.fixed_dictionaries({"type": st.just("exchange")}, optional={
    k: _json_values for k in ("flow", "method", "url", "t_start", "t_end", "error", "live", "client", "request",
                              "response")}),
    good=st.booleans())
def test_fuzzed_journal_records_exit_0_1_or_2(record: dict, good: bool, tmp_path: Path) -> None:
    lines = [json.dumps(journal_header())]
    if good:
        lines.append(_record())
    lines.append(json.dumps(record))
    path = tmp_path / "fuzz.ndjson"
    path.write_text("\n".join(lines) + "\n")
    assert _check_exit(path) in (0, 1, 2)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=st.one_of(_json_values, st.fixed_dictionaries({"entries": st.lists(st.one_of(
    _json_values,
    st.fixed_dictionaries({"startedDateTime": _json_values, "time": _json_values,
                           "request": st.fixed_dictionaries({"url": st.sampled_from(
                               ["http://h/api/v1/sessions", "http://h/api/v1/sessions/s/events", "x"])},
                               optional={"method": _json_values, "headers": _json_values,
                                         "postData": _json_values}),
                           "response": _json_values}),
), max_size=4)})))
def test_fuzzed_har_structures_exit_0_1_or_2(log: object, tmp_path: Path) -> None:
    path = tmp_path / "fuzz.har"
    path.write_text(json.dumps({"log": log}))
    assert _check_exit(path) in (0, 1, 2)


def test_html_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(FIXTURES / "clean-vod.har"), str(FIXTURES / "faulty-ad-outside-break.har")]
    target = tmp_path / "out" / "report.html"
    code, out, _ = run([*files, "--html", str(target)], capsys)
    assert code == 1
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "Capture files" in page and "clean-vod.har" in page
    summary = page.index("Sessions (problems first)")
    faulty = page.index("Faulty: ad outside break", summary)
    assert faulty < page.index("Fixture VOD", summary)  # problem sessions first
    assert '<details class="g g-error"' in page and "ad-outside-break" in page
    assert "Request body of the first offending event" in page and "adStart" in page
    code, _, err = run([files[0], "--html", "-"], capsys)
    assert code == 2 and "--html needs a file name" in err


def test_all_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / "faulty-ts-seconds.har")
    _, out, _ = run([path, "--all"], capsys)
    assert "more rules" not in out
    assert out.count("ts-units") == 1  # grouped: one line per rule
    assert f"{path}: warning ts-units" in out


# --- unreadable input: said once, never as "no session found" or OK ---------------------------------------


def _bad_inputs(tmp_path: Path) -> dict[str, Path]:
    junk = tmp_path / "junk.har"
    junk.write_bytes(bytes(range(256)) * 20)
    empty = tmp_path / "empty.har"
    empty.write_bytes(b"")
    log5 = tmp_path / "log5.har"
    log5.write_text('{"log": 5}')
    folder = tmp_path / "folder.har"
    folder.mkdir()
    return {"missing": tmp_path / "nope.har", "directory": folder, "junk": junk, "empty": empty, "log5": log5}


@pytest.mark.parametrize("kind", ["missing", "directory", "junk", "empty", "log5"])
def test_an_unreadable_file_is_not_a_file_without_sessions(kind: str, tmp_path: Path, capsys) -> None:
    path = _bad_inputs(tmp_path)[kind]
    code, out, err = run([str(path)], capsys)
    assert code == 2
    assert "no Media Collection session" not in out
    assert "OK" not in out and "FAIL" not in out
    assert out == "ERROR: 1 of 1 file could not be read\n"
    assert len(err.splitlines()) == 1 and err.startswith(f"mcscope check: {path}: ")
    assert "judged the" not in err  # nothing was judged


def test_unreadable_among_readable_files(tmp_path: Path, capsys) -> None:
    bad = _bad_inputs(tmp_path)
    nosession = tmp_path / "nosession.har"
    nosession.write_text('{"log": {"version": "1.2", "entries": []}}')
    clean = FIXTURES / "clean-vod.har"
    code, out, err = run([str(clean), str(bad["log5"]), str(nosession), str(bad["missing"])], capsys)
    assert code == 2
    assert f"{nosession}: no Media Collection session found" in out  # readable: still gets its line
    assert str(bad["log5"]) not in out and str(bad["missing"]) not in out
    assert out.splitlines()[-1] == ("ERROR: 2 of 4 files could not be read; what was read: 1 session, 28 events: "
                                    "0 errors, 0 warnings, 0 infos, 0 ignored events")
    assert err.count("mcscope check: ") == 2


def test_a_readable_file_without_sessions_is_still_ok(tmp_path: Path, capsys) -> None:
    nosession = tmp_path / "nosession.har"
    nosession.write_text('{"log": {"version": "1.2", "entries": []}}')
    code, out, err = run([str(nosession)], capsys)
    assert code == 0 and err == ""
    assert out.splitlines()[0] == f"{nosession}: no Media Collection session found"
    assert out.splitlines()[-1].startswith("OK 0 sessions")


def test_a_truncated_file_is_an_error_not_ok(tmp_path: Path, capsys) -> None:
    data = (FIXTURES / "clean-vod.mitm").read_bytes()
    cut = tmp_path / "cut.mitm"
    cut.write_bytes(data[: len(data) // 2])
    code, out, err = run([str(cut)], capsys)
    assert code == 2
    last = out.splitlines()[-1]
    assert last.startswith("ERROR: 1 of 1 file could be read only in part; what was read: 1 session, ")
    assert "session " in out.splitlines()[0]  # what was read is still shown


def test_jobs_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    for jobs in ("0", "-3"):
        code, out, err = run([str(FIXTURES / "clean-vod.har"), "-j", jobs], capsys)
        assert code == 2 and out == ""
        assert err.strip() == f"mcscope check: --jobs must be 1 or more, not {jobs} (leave it out for one process per CPU)"
    code, _, err = run([str(FIXTURES / "clean-vod.har"), "-j", "1", "-q"], capsys)
    assert code == 0, err


def test_the_error_verdict_in_colour(tmp_path: Path) -> None:
    from mcscope.io import report as rpt

    report = rpt.build_report({"a.har": check.check_file(str(FIXTURES / "clean-vod.har"), default_config())[0],
                               "b.har": check.check_file(str(tmp_path / "nope.har"), default_config())[0]})
    text = check.terminal_summary(report, "error", colour=True, show_info=True, max_per_session=15,
                                  unreadable={"b.har"}, partial=0)
    last = text.splitlines()[-1]
    assert last.startswith("\x1b[31mERROR: 1 of 2 files could not be read; what was read: 1 session, 28 events")
    assert "OK" not in last and "b.har" not in text


def default_config() -> Any:  # the Config of a plain check
    from mcscope.core.config import Config

    return Config.from_options(keep_events=False)


def test_markdown_and_junit_reports_say_the_input_error(tmp_path: Path, capsys) -> None:
    missing, clean = tmp_path / "nope.har", FIXTURES / "clean-vod.har"
    md, xml, js = tmp_path / "r.md", tmp_path / "r.xml", tmp_path / "r.json"
    code, _, _ = run([str(clean), str(missing), "--markdown", str(md), "--junit", str(xml), "--json", str(js)],
                     capsys)
    assert code == 2
    text = md.read_text()
    assert text.startswith("## mcscope check: ⚠️ input error") and "passed" not in text.splitlines()[0]
    assert f"- {missing}: no such file" in text
    suites = {s.get("name"): s for s in ET.fromstring(xml.read_text()).iter("testsuite")}
    bad = suites[str(missing)]
    assert bad.find("testcase/skipped") is None  # it was not read: not "no session found"
    assert bad.find("testcase/error").get("message") == f"{missing}: no such file"
    assert (bad.get("tests"), bad.get("errors"), bad.get("skipped")) == ("1", "1", "0")
    assert suites[str(clean)].get("errors") == "0"
    assert json.loads(js.read_text())["sources"] == [str(clean), str(missing)]  # JSON as before


def test_reports_of_a_clean_check_are_unchanged(tmp_path: Path, capsys) -> None:
    from mcscope.io import report as rpt

    clean = FIXTURES / "clean-vod.har"
    md = tmp_path / "r.md"
    code, out, _ = run([str(clean), "--markdown", str(md)], capsys)
    assert code == 0
    analyzer, _ = check.check_file(str(clean), default_config())
    assert md.read_text() == rpt.render("markdown", rpt.build_report({str(clean): analyzer}), "error")
    code, out, _ = run([str(clean), "--junit", "-"], capsys)
    assert code == 0 and "<error" not in out and 'errors="0"' in out
