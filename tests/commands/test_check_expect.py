"""mcscope check --expect REFERENCE (differs-from-reference in every report format) and --redact."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mcscope import cli
from mcscope.io.redact import NOTE
from mcscope.sim.simulate import simulate_offline
from tests.commands.test_diff import write
from tests.io.test_redact import identified_capture, leaks

SCENARIO = "vod-preroll-midroll"
RULE = "differs-from-reference"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    later = 1_767_225_600_000 + 7 * 86_400_000
    dropped = simulate_offline(SCENARIO, t0_ms=later)
    del dropped[40]
    return {
        "reference": write(tmp_path / "reference.ndjson", simulate_offline(SCENARIO)),
        "same": write(tmp_path / "same.ndjson", simulate_offline(SCENARIO, t0_ms=later)),
        "dropped": write(tmp_path / "dropped.ndjson", dropped),
        "other": write(tmp_path / "other.ndjson", simulate_offline("live")),
        "both": write(tmp_path / "both.ndjson", simulate_offline(SCENARIO) + simulate_offline("live")),
    }


def rules(report: dict) -> list[str]:
    return [f["rule"] for s in report["sessions"] for f in s["findings"]] + [f["rule"] for f in report["findings"]]


def test_the_same_playback_passes(files, capsys) -> None:
    code, out, err = run([files["same"], "--expect", files["reference"], "--json", "-"], capsys)
    assert code == 0, err
    assert RULE not in rules(json.loads(out))


def test_a_difference_is_a_finding_in_every_format(files, tmp_path: Path, capsys) -> None:
    j, x, m = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "r.md"
    code, out, _ = run([files["dropped"], "--expect", files["reference"], "--json", str(j), "--junit", str(x),
                        "--markdown", str(m)], capsys)
    assert code == 1
    report = json.loads(j.read_text())
    found = [f for s in report["sessions"] for f in s["findings"] if f["rule"] == RULE]
    assert found and found[0]["severity"] == "error" and "missing from the capture" in found[0]["message"]
    failures = [f.get("type") for f in ET.fromstring(x.read_text()).iter("failure")]
    assert RULE in failures
    assert RULE in m.read_text()
    assert RULE in out and "1 session matched, 1 differs" in out  # the terminal summary


def test_severity_and_ignore_apply(files, capsys) -> None:
    code, out, _ = run([files["dropped"], "--expect", files["reference"], "--severity", f"{RULE}=warning",
                        "--json", "-"], capsys)
    assert code == 0  # ping-interval is a warning too
    assert {f["severity"] for s in json.loads(out)["sessions"] for f in s["findings"] if f["rule"] == RULE} == {
        "warning"}
    code, out, _ = run([files["dropped"], "--expect", files["reference"], "--ignore", RULE, "--json", "-"], capsys)
    assert RULE not in rules(json.loads(out))


def test_tolerances_apply(files, capsys) -> None:
    code, _, _ = run([files["dropped"], "--expect", files["reference"], "--skip-event", "ping", "--ignore",
                      "ping-interval", "-q"], capsys)
    assert code == 0


def test_unmatched_sessions_are_said(files, capsys) -> None:
    code, out, _ = run([files["both"], "--expect", files["same"], "--json", "-"], capsys)
    assert code == 1
    report = json.loads(out)
    live = next(s for s in report["sessions"] if s["media"]["id"] == "live-news")
    (f,) = [f for f in live["findings"] if f["rule"] == RULE]
    assert "no reference session" in f["message"] and "live-news" in f["message"]
    code, out, _ = run([files["same"], "--expect", files["both"], "--json", "-"], capsys)
    assert code == 1
    report = json.loads(out)
    (f,) = [f for f in report["findings"] if f["rule"] == RULE]  # a reference session without a capture
    assert "has no session in the capture" in f["message"] and "live-news" in f["message"]
    code, out, _ = run([files["same"], "--expect", files["both"]], capsys)
    assert "reference session" in out and "has no session in the capture" in out


def test_explicit_pairs(files, capsys) -> None:
    report = json.loads(run([files["other"], "--json", "-", "--fail-on", "never"], capsys)[1])
    sid = report["sessions"][0]["sid"]
    ref = json.loads(run([files["reference"], "--json", "-"], capsys)[1])["sessions"][0]["sid"]
    code, out, _ = run([files["other"], "--expect", files["reference"], "--expect-session", f"{sid}={ref}",
                        "--json", "-"], capsys)
    assert code == 1
    messages = [f["message"] for s in json.loads(out)["sessions"] for f in s["findings"] if f["rule"] == RULE]
    assert messages and not any("no reference session" in m for m in messages)  # compared, not unmatched


@pytest.mark.parametrize(("extra", "message"), [
    (["--expect", "no-such.har"], "no-such.har"),
    (["--expect-session", "nonsense"], "SID=REFERENCE_SID"),
    (["--expect-session", "abc=def"], "no session"),
    (["--time-tolerance", "-2"], "must be 0 or more"),
])
def test_bad_expect_input_exits_2(extra: list[str], message: str, files, capsys) -> None:
    argv = [files["same"], *(["--expect", files["reference"]] if extra[0] != "--expect" else []), *extra]
    code, _, err = run(argv, capsys)
    assert code == 2 and message in err


# --- --redact ---------------------------------------------------------------------------------------


def test_redact_every_report_format(tmp_path: Path, capsys) -> None:
    capture = write(tmp_path / "ids.ndjson", identified_capture().exchanges)
    j, x, m = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "r.md"
    code, out, err = run([capture, "--json", str(j), "--junit", str(x), "--markdown", str(m)], capsys)
    assert leaks(j.read_text())  # unredacted, the report quotes install ids and the client
    code, out, err = run([capture, "--redact", "--json", str(j), "--junit", str(x), "--markdown", str(m)], capsys)
    assert code in (0, 1), err
    for path in (j, x, m):
        text = path.read_text()
        assert leaks(text) == [], path.name
        assert NOTE in text or '"redacted"' in text, path.name
    assert json.loads(j.read_text())["redacted"]["pseudonyms"]
    assert leaks(out) == [] and leaks(err) == []  # the terminal summary too
    for kind in ("--json", "--junit", "--markdown"):
        code, out, _ = run([capture, "--redact", kind, "-"], capsys)
        assert leaks(out) == [] and NOTE in out, kind


def test_redact_with_expect(tmp_path: Path, capsys) -> None:
    exchanges = identified_capture().exchanges
    capture = write(tmp_path / "ids.ndjson", exchanges)
    reference = write(tmp_path / "ref.ndjson", exchanges[:4])
    code, out, err = run([capture, "--expect", reference, "--redact", "--json", "-"], capsys)
    assert leaks(out) == [] and leaks(err) == []
    assert RULE in out


def test_redact_html(tmp_path: Path, capsys) -> None:
    """--redact --html: the request bodies the page embeds are redacted too, and the page says so."""
    capture = write(tmp_path / "ids.ndjson", identified_capture().exchanges)
    page = tmp_path / "r.html"
    code, _, err = run([capture, "-q", "--html", str(page)], capsys)
    plain = page.read_text()
    assert code in (0, 1), err
    assert "Request body of the first offending event" in plain
    assert {"ecid", "install_1", "install_2", "customer", "aid", "visitor_id"} <= set(leaks(plain))  # honest
    code, out, err = run([capture, "--redact", "--html", str(page), "--json", str(tmp_path / "r.json")], capsys)
    assert code in (0, 1), err
    text = page.read_text()
    assert leaks(text) == [] and leaks(out) == [] and leaks(err) == []
    assert "Request body of the first offending event" in text and "redacted-ecid-1" in text
    assert text.count(NOTE) == 2  # a comment at the top and the line under the title
    # one pseudonym table for every output of one check
    assert "redacted-app-2" in text and "redacted-app-2" in (tmp_path / "r.json").read_text()
