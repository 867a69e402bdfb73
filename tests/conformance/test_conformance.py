"""Conformance: traffic of Adobe's Android Media SDK (its unit tests' expected hits) through ``mcscope check``.

Each capture in ``captures/`` is judged by the real command (``mcscope.cli.main(["check", ...])``) and its
findings (rule id -> severity) must equal ``expected.json`` exactly: no missing and no unexpected rule id.
Expectations follow rules.md as written; where today's code differs, the scenario carries an ``xfail`` reason
in expected.json and runs as ``xfail(strict=True)``.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from mcscope import cli
from tests.conformance import make_conformance

HERE = Path(__file__).resolve().parent
CAPTURES = HERE / "captures"
EXPECTED = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))
SCENARIOS: dict[str, dict] = EXPECTED["scenarios"]


def findings_of(path: Path, tmp_path: Path) -> tuple[int, dict[str, set[str]]]:
    out = tmp_path / "report.json"
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        code = cli.main(["check", str(path), "--json", str(out)])
    report = json.loads(out.read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for finding in [f for s in report["sessions"] for f in s["findings"]] + report["findings"]:
        found.setdefault(finding["rule"], set()).add(finding["severity"])
    return code, found


def _params() -> list:
    params = []
    for name, entry in sorted(SCENARIOS.items()):
        marks = [pytest.mark.xfail(strict=True, reason=entry["xfail"])] if "xfail" in entry else []
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.mark.parametrize("name", _params())
def test_capture_matches_expected(name: str, tmp_path: Path) -> None:
    code, found = findings_of(CAPTURES / f"{name}.har", tmp_path)
    expected = {rule: {sev} for rule, sev in SCENARIOS[name]["findings"].items()}
    assert found == expected
    blocking = any(sev in ("error", "warning") for sevs in expected.values() for sev in sevs)
    assert code == (1 if blocking else 0)


def test_every_capture_has_expectations() -> None:
    assert sorted(p.stem for p in CAPTURES.glob("*.har")) == sorted(SCENARIOS)


def test_every_expected_rule_is_explained() -> None:
    used = {rule for entry in SCENARIOS.values() for rule in entry["findings"]}
    assert used <= set(EXPECTED["why"])


def test_captures_name_their_source() -> None:
    gen = make_conformance
    for path in CAPTURES.glob("*.har"):
        log = json.loads(path.read_text(encoding="utf-8"))["log"]
        source = log["_mcscope_source"]
        assert source["repository"] == "adobe/aepsdk-media-android"
        assert source["commit"] == gen.SOURCE_COMMIT and len(source["commit"]) == 40
        assert source["paths"] and source["test"].startswith("test_")
        assert all(entry["_mcscope_filled"] for entry in log["entries"])


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    gen = make_conformance
    written = gen.write_all(tmp_path / "captures")
    for path in written:
        committed = HERE / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), committed.name
    assert len([p for p in written if p.suffix == ".har"]) == len(list(CAPTURES.glob("*.har")))
