"""Conformance: Media Edge API traffic of Adobe's Edge Media SDK tests and the Media Edge docs through ``mcscope check``.

Each capture in ``captures/`` is judged by the real command and its findings (rule id -> severity) must equal
``expected.json`` exactly: the SDKs' traffic raises no error or warning, and every documentation defect of
media-edge.md §1.10 that traffic can show is found by the rule recorded for it.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from mcscope import cli
from tests.conformance.edge import make_edge_conformance as gen

HERE = Path(__file__).resolve().parent
CAPTURES = HERE / "captures"
EXPECTED = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))
SCENARIOS: dict[str, dict] = EXPECTED["scenarios"]
SOURCE_REPOS = {gen.EDGEMEDIA_IOS, gen.EDGEMEDIA_ANDROID, gen.EDGE_ANDROID, gen.DOCS, gen.ALLOY, gen.ROKU}
SDK_PREFIXES = ("ios-", "android-", "roku-", "alloy-")  # traffic of Adobe's SDKs (their tests), not of the docs


def findings_of(path: Path, tmp_path: Path) -> tuple[int, dict[str, set[str]], list[dict]]:
    out = tmp_path / "report.json"
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        code = cli.main(["check", str(path), "--json", str(out)])
    report = json.loads(out.read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for finding in [f for s in report["sessions"] for f in s["findings"]] + report["findings"]:
        found.setdefault(finding["rule"], set()).add(finding["severity"])
    return code, found, report["sessions"]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_capture_matches_expected(name: str, tmp_path: Path) -> None:
    code, found, sessions = findings_of(CAPTURES / f"{name}.har", tmp_path)
    expected = {rule: {sev} for rule, sev in SCENARIOS[name]["findings"].items()}
    assert found == expected
    assert all(s["protocol"] == "edge" for s in sessions)
    errors = any("error" in sevs for sevs in expected.values())  # check's default --fail-on error
    assert code == (1 if errors else 0)


@pytest.mark.parametrize("name", sorted(n for n in SCENARIOS if n.startswith(SDK_PREFIXES)))
def test_sdk_traffic_raises_no_error_or_warning(name: str) -> None:
    """Adobe's SDKs' traffic: infos only, but for what the test's own data puts there (a mocked error answer, a
    synthetic id, an instant clock), each named with its reason in ``test_data``."""
    entry = SCENARIOS[name]
    serious = {rule for rule, sev in entry["findings"].items() if sev != "info"}
    assert serious == set(entry.get("test_data", {})), name
    assert all(entry.get("test_data", {}).values())


def test_every_documented_defect_is_found_or_explained() -> None:
    for name, entry in SCENARIOS.items():
        for defect, rule in entry.get("defects", {}).items():
            if rule is None:
                assert defect in entry["not_found"], (name, defect)
            else:
                assert rule in entry["findings"], (name, defect)


def test_every_capture_has_expectations() -> None:
    assert sorted(p.stem for p in CAPTURES.glob("*.har")) == sorted(SCENARIOS)


def test_every_expected_rule_is_explained() -> None:
    used = {rule for entry in SCENARIOS.values() for rule in entry["findings"]}
    assert used <= set(EXPECTED["why"])


def test_captures_name_their_source() -> None:
    sources = json.loads((HERE / "sources.json").read_text(encoding="utf-8"))["scenarios"]
    for path in CAPTURES.glob("*.har"):
        log = json.loads(path.read_text(encoding="utf-8"))["log"]
        source = log["_mcscope_source"]
        assert (source["repository"], source["commit"]) in SOURCE_REPOS and len(source["commit"]) == 40
        assert source["paths"] and source["test"]
        assert sources[path.stem]["repository"] == source["repository"]
        assert all(entry["_mcscope_filled"] and entry["_comment"] for entry in log["entries"])


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    written = gen.write_all(tmp_path / "captures")
    for path in written:
        committed = HERE / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), committed.name
    assert len([p for p in written if p.suffix == ".har"]) == len(list(CAPTURES.glob("*.har")))
