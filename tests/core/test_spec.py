"""The rule catalogue in code matches ``shared/spec/rules.md`` (the public interface). That the rule tests
cover every rule both ways is ``tests/core/rules/test_coverage.py``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mcscope.core import spec
from mcscope.core.config import TUNABLES, Config, ConfigError, parse_tunable
from mcscope.core.model import Severity
from mcscope.core.rules.catalogue import EDGE_ONLY, EDGE_RULES, FAMILIES, MCSCOPE_DEFINED, RULES

RULES_MD = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "rules.md"
ROW_RE = re.compile(r"^\|\s*`([a-z0-9-]+)`\s*\|([^|]*)\|(.*)\|([^|]*)\|\s*$")
LEVELS = ("error", "warning", "info")
SECTION_RE = re.compile(r"^## (\d+)\. ")


def _rules_md() -> str:
    if not RULES_MD.is_file():
        pytest.skip(f"{RULES_MD} not found (expected shared/ beside the repository)")
    return RULES_MD.read_text(encoding="utf-8")


def _rows() -> dict[str, tuple[int, str, bool, str, str]]:
    """rule id -> (section number, severity, ignored, condition, ref) from the rules.md tables.

    Every table row of a numbered section that names a rule must parse, and its severity column must be a
    level optionally followed by ", ignored": a row this reader cannot read fails instead of going unchecked.
    """
    rows: dict[str, tuple[int, str, bool, str, str]] = {}
    section = 0
    for line in _rules_md().splitlines():
        m = SECTION_RE.match(line)
        if m:
            section = int(m.group(1))
            continue
        if line.startswith("## "):
            section = 0  # an unnumbered section: prose, no rule tables
        if not line.startswith("| `") or not section:
            continue
        m = ROW_RE.match(line)
        assert m, f"rules.md row not understood: {line}"
        rid, sev, cond, ref = (g.strip() for g in m.groups())
        level, *marks = (p.strip() for p in sev.split(","))
        assert level in LEVELS and set(marks) <= {"ignored"}, f"{rid}: severity column {sev!r}"
        assert rid not in rows, f"rule {rid} listed twice in rules.md"
        rows[rid] = (section, level, "ignored" in marks, cond, ref)
    return rows


def _diff(column: str, expected: dict[str, object], actual: dict[str, object]) -> list[str]:
    return [f"{rid} {column}: catalogue {actual[rid]!r}, rules.md {want!r}"
            for rid, want in expected.items() if rid in actual and actual[rid] != want]


def test_rules_md_is_parsed():
    rows = _rows()
    assert len(rows) > 90
    assert rows["http-method"][:3] == (1, "error", False)
    assert rows["event-after-end"][:3] == (4, "error", True)


def test_every_rule_of_rules_md_is_in_the_catalogue():
    missing = sorted(set(_rows()) - set(RULES))
    assert missing == [], f"rules.md ids missing from addon/core/rules/catalogue.py: {missing}"


def test_every_catalogue_rule_is_in_rules_md():
    """Every rule is rules.md's, except the few mcscope defines itself (MCSCOPE_DEFINED), named explicitly."""
    extra = sorted(set(RULES) - set(_rows()) - MCSCOPE_DEFINED - EDGE_ONLY)
    assert extra == [], f"catalogue ids not in rules.md: {extra}"


def test_mcscope_defined_rules_are_not_in_rules_md():
    """A rule of MCSCOPE_DEFINED is about a capture, not Adobe's API: once rules.md lists it, it must leave
    MCSCOPE_DEFINED (and be checked against rules.md like every other rule)."""
    assert set(RULES) >= MCSCOPE_DEFINED
    assert sorted(MCSCOPE_DEFINED & set(_rows())) == []
    for rid in MCSCOPE_DEFINED:
        info = RULES[rid]
        assert info.ref == "mcscope" and info.family == "reference" and not info.ignored, rid
    assert [rid for rid, info in RULES.items() if info.ref == "mcscope"] == sorted(MCSCOPE_DEFINED)


def test_default_severities_match():
    rows = _rows()
    wrong = _diff("severity", {rid: row[1] for rid, row in rows.items()},
                  {rid: info.severity.label for rid, info in RULES.items()})
    assert wrong == [], "catalogue vs rules.md severity"
    config = Config()  # what a finding gets when the user overrides nothing
    for rid, row in rows.items():
        if rid in RULES:
            assert config.severity_of(rid) == Severity.parse(row[1]), rid


def test_ignored_marks_match():
    wrong = _diff("ignored", {rid: row[2] for rid, row in _rows().items()},
                  {rid: info.ignored for rid, info in RULES.items()})
    assert wrong == [], "catalogue vs rules.md ignored mark"
    for rid, info in RULES.items():
        assert bool(info.consequence) == info.ignored, f"{rid}: an ignored rule needs its consequence, and only it"


def test_families_follow_the_rules_md_sections():
    wrong = {rid: (RULES[rid].family, FAMILIES[section - 1]) for rid, (section, *_) in _rows().items()
             if rid in RULES and RULES[rid].family != FAMILIES[section - 1]}
    assert wrong == {}


def test_refs_and_descriptions_match():
    rows = _rows()
    wrong = _diff("ref", {rid: row[4] for rid, row in rows.items()}, {rid: i.ref for rid, i in RULES.items()})
    wrong += _diff("description", {rid: row[3].replace("`", "") for rid, row in rows.items()},
                   {rid: info.description for rid, info in RULES.items()})
    assert wrong == [], "catalogue vs rules.md\n" + "\n".join(wrong)


TUNABLE_PHRASES = {
    "main ping interval": ("main_ping_interval",),
    "ad ping interval": ("ad_ping_interval",),
    "maximum accepted ad ping interval": ("max_ad_ping_interval",),
    "ping tolerance": ("ping_tolerance",),
    "idle timeout": ("idle_timeout",),
    "playhead timeout": ("playhead_timeout",),
    "max session age": ("max_session_age",),
    "reorder window": ("reorder_window_s", "reorder_window_events"),
    "long gap": ("long_gap",),
    "clock skew": ("clock_skew",),
}
# "1 s (recommended)", "24 h", "10 events": a number, a unit, an optional remark in parentheses.
TUNABLE_VALUE_RE = re.compile(r"^([0-9]*\.?[0-9]+)\s*(ms|s|min|h|events)\s*(\([^()]*\))?$")
UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0}


def _tunables_md() -> list[str]:
    """The items of the rules.md "Tunables" paragraph: "main ping interval 10 s", ..."""
    block = _rules_md().split("## Tunables", 1)[1].split("\n## ", 1)[0]
    text = " ".join(block.splitlines()[1:]).strip().removesuffix(".")
    return [p.strip() for p in text.split("·")]


def _tunable_value(name: str, text: str) -> float:
    m = TUNABLE_VALUE_RE.match(text.strip())
    assert m, f"tunable {name}: rules.md value {text!r} not understood"
    number, unit = float(m.group(1)), m.group(2)
    assert (unit == "events") == (TUNABLES[name][1] == "events"), f"{name}: rules.md unit {unit}"
    return number if unit == "events" else number * UNIT_SECONDS[unit]


def test_tunable_defaults_match_rules_md():
    seen: dict[str, float] = {}
    for item in _tunables_md():
        phrases = [p for p in TUNABLE_PHRASES if item.startswith(p + " ")]
        assert phrases, f"rules.md tunable {item!r} has no entry in TUNABLE_PHRASES"
        phrase = max(phrases, key=len)
        values = item[len(phrase):].split("/")
        for name, value in zip(TUNABLE_PHRASES[phrase], values, strict=True):
            assert name not in seen, f"{name} listed twice in rules.md"
            seen[name] = _tunable_value(name, value)
    assert set(seen) == set(TUNABLES), "tunables of rules.md vs addon/core/config.py"
    wrong = {name: (TUNABLES[name][0], value) for name, value in seen.items() if TUNABLES[name][0] != value}
    assert wrong == {}, "config default vs rules.md"


def test_tunable_reader_reads_remarks_and_units():
    assert _tunable_value("ad_ping_interval", "1 s (recommended)") == 1.0
    assert _tunable_value("max_session_age", "24 h") == 86400.0
    assert _tunable_value("reorder_window_events", "10 events") == 10.0
    for junk in ("1s(recommended)x", "about 1 s", "1", "10 s / 2"):
        with pytest.raises(AssertionError):
            _tunable_value("ad_ping_interval", junk)
    with pytest.raises(AssertionError):
        _tunable_value("reorder_window_events", "10 s")


def test_config_parser_rejects_remarks():
    """The remark belongs to the spec's prose: the option parser takes numbers and units only."""
    with pytest.raises(ConfigError):
        parse_tunable("ad_ping_interval", "1s(recommended)")


def test_spec_tables_are_consistent():
    assert len(spec.EVENT_TYPES) == 20  # rules.md: "one of the 20 known types"
    assert spec.PARAMS_REQUIRED <= spec.EVENT_TYPES and spec.NO_PARAMS <= spec.EVENT_TYPES
    assert not spec.PARAMS_REQUIRED & spec.NO_PARAMS
    assert "ping" not in spec.NO_PARAMS  # ping has its own rule (ping-params)
    assert set(spec.CUSTOM_METADATA_EVENTS) == {"sessionStart", "adStart", "chapterStart"}
    assert set(spec.SESSION_START_REQUIRED) == {
        "analytics.trackingServer", "analytics.reportSuite", "visitor.marketingCloudOrgId", "media.id",
        "media.length", "media.contentType", "media.playerName", "media.channel"}
    assert set(spec.QOE_INTEGER_KEYS) == {"media.qoe.bitrate", "media.qoe.droppedFrames",
                                          "media.qoe.framesPerSecond", "media.qoe.timeToStart"}
    assert spec.LOCATION_RE.pattern == "^/api/[^/]+/sessions/([^/]+)$"



# --- rules.md §13: the Media Edge API tables of media-edge.md §3 ------------------------------------------------
EDGE_MD = RULES_MD.parent / "media-edge.md"
EDGE_SUBSECTION_FAMILY = {1: "transport", 2: "envelope", 3: "session-start"}


def _edge_md_section() -> str:
    if not EDGE_MD.is_file():
        pytest.skip(f"{EDGE_MD} not found (expected shared/ beside the repository)")
    text = EDGE_MD.read_text(encoding="utf-8")
    return text.split("## 3. Proposed validation rules for Media Edge", 1)[1].split("\n## 4.", 1)[0]


def _edge_rows() -> dict[str, tuple[int, str, bool, str, str]]:
    """rule id -> (subsection, severity or "as REST" or "—", ignored, condition, ref) of media-edge.md §3; a row
    naming several ids gives each the row's values."""
    rows: dict[str, tuple[int, str, bool, str, str]] = {}
    sub = 0
    for line in _edge_md_section().splitlines():
        m = re.match(r"^### 3\.(\d)", line)
        if m:
            sub = int(m.group(1))
            continue
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 4, f"media-edge.md §3 row not understood: {line}"
        ids = re.findall(r"`([a-z0-9-]+)`", cells[0].split("(")[0])
        level, *marks = (p.strip() for p in cells[1].split(","))
        assert level in (*LEVELS, "as REST", "—") and set(marks) <= {"ignored"}, f"{ids}: severity {cells[1]!r}"
        for rid in ids:
            assert rid not in rows, f"{rid} listed twice in media-edge.md §3"
            rows[rid] = (sub, level, "ignored" in marks, cells[2], cells[3])
    return rows


def _edge_lists() -> tuple[set[str], set[str]]:
    """(the §3.4 "Reuse unchanged" ids, the "Not applicable on Edge" ids)."""
    section = _edge_md_section()
    reuse = section.split("Reuse unchanged", 1)[1].split("Reused with an Edge-specific condition", 1)[0]
    not_applicable = section.split("Not applicable on Edge", 1)[1]
    ids = set(re.findall(r"`([a-z0-9-]+)`", not_applicable))  # also names body keys and the rule that replaces them
    return set(re.findall(r"`([a-z0-9-]+)`", reuse)), {r for r in ids if r in RULES and not r.startswith("edge-")}


def test_edge_tables_are_parsed():
    rows = _edge_rows()
    assert rows["edge-content-type"][:3] == (1, "error", False)
    assert rows["edge-path-event-mismatch"][:3] == (1, "error", True)
    assert rows["param-type"][1] == "error" and rows["show-type"][1] == "—"
    reuse, not_applicable = _edge_lists()
    assert "stall" in reuse and "ts-units" in not_applicable


def test_edge_rules_are_the_catalogues():
    rows = _edge_rows()
    reuse, not_applicable = _edge_lists()
    edge_ids = {rid for rid in rows if rid.startswith("edge-")}
    assert sorted(edge_ids ^ EDGE_ONLY) == [], "edge-* ids: media-edge.md §3 vs the catalogue"
    applied = {rid for rid, row in rows.items() if row[1] != "—"} | reuse
    # mcscope's own (the proxy kept no body; check --expect's comparison), judged on both protocols
    extra = {"body-not-captured"} | MCSCOPE_DEFINED
    assert sorted(EDGE_RULES - applied - extra) == [], "judged on Edge, not in media-edge.md §3"
    assert sorted(applied - EDGE_RULES) == [], "media-edge.md §3 rules the catalogue does not judge on Edge"
    assert not EDGE_RULES & not_applicable
    for rid in (*not_applicable, *(r for r, row in rows.items() if row[1] == "—")):
        assert RULES[rid].edge_severity is None and RULES[rid].severity_for("edge") is None, rid


def test_edge_severities_match():
    rows = _edge_rows()
    reuse, _ = _edge_lists()
    wrong = []
    for rid, (_, level, ignored, _cond, _ref) in rows.items():
        info = RULES[rid]
        if level == "—":
            continue
        want = info.severity if level == "as REST" else Severity.parse(level)
        if info.edge_severity != want:
            wrong.append(f"{rid}: catalogue {info.edge_severity}, media-edge.md {level}")
        if ignored != info.ignored:
            wrong.append(f"{rid}: ignored {info.ignored}, media-edge.md {ignored}")
    for rid in reuse:
        if RULES[rid].edge_severity != RULES[rid].severity:
            wrong.append(f"{rid}: reused unchanged, yet Edge {RULES[rid].edge_severity} vs REST {RULES[rid].severity}")
    assert wrong == []
    assert RULES["param-type"].severity_for("rest") == Severity.WARNING  # the Decisions section's example
    assert RULES["param-type"].severity_for("edge") == Severity.ERROR
    assert RULES["edge-content-type"].severity_for("rest") is None


def test_edge_only_rules_match_their_rows():
    rows = _edge_rows()
    wrong = []
    for rid in EDGE_ONLY:
        sub, _, _, cond, ref = rows[rid]
        info = RULES[rid]
        if info.description != cond.replace("`", "").replace("**", ""):
            wrong.append(f"{rid} description")
        if info.ref != ref.replace("`", ""):
            wrong.append(f"{rid} ref")
        if sub in EDGE_SUBSECTION_FAMILY and info.family != EDGE_SUBSECTION_FAMILY[sub]:
            wrong.append(f"{rid} family {info.family}, §3.{sub}")
        if info.rest or bool(info.consequence) != info.ignored:
            wrong.append(f"{rid} rest/consequence")
    assert wrong == []
