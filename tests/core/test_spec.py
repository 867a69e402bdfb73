"""The rule catalogue in code matches ``shared/spec/rules.md`` (the public interface). That the rule tests
cover every rule both ways is ``tests/addon/rules/test_coverage.py``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mcscope.core import spec
from mcscope.core.config import TUNABLES, parse_tunable
from mcscope.core.model import Severity
from mcscope.core.rules.catalogue import FAMILIES, RULES

RULES_MD = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "rules.md"
ROW_RE = re.compile(r"^\|\s*`([a-z0-9-]+)`\s*\|([^|]*)\|(.*)\|([^|]*)\|\s*$")
SECTION_RE = re.compile(r"^## (\d+)\. ")


def _rules_md() -> str:
    if not RULES_MD.is_file():
        pytest.skip(f"{RULES_MD} not found (expected shared/ beside the repository)")
    return RULES_MD.read_text(encoding="utf-8")


def _rows() -> dict[str, tuple[int, str, bool, str, str]]:
    """rule id -> (section number, severity, ignored, condition, ref) from the rules.md tables."""
    rows: dict[str, tuple[int, str, bool, str, str]] = {}
    section = 0
    for line in _rules_md().splitlines():
        m = SECTION_RE.match(line)
        if m:
            section = int(m.group(1))
            continue
        m = ROW_RE.match(line)
        if not m:
            continue
        rid, sev, cond, ref = (g.strip() for g in m.groups())
        marks = [p.strip() for p in sev.split(",")]
        assert rid not in rows, f"rule {rid} listed twice in rules.md"
        rows[rid] = (section, marks[0], "ignored" in marks[1:], cond, ref)
    return rows


def test_rules_md_is_parsed():
    rows = _rows()
    assert len(rows) > 90
    assert rows["http-method"][:3] == (1, "error", False)
    assert rows["event-after-end"][:3] == (4, "error", True)


def test_every_rule_of_rules_md_is_in_the_catalogue():
    missing = sorted(set(_rows()) - set(RULES))
    assert missing == [], f"rules.md ids missing from addon/rules/catalogue.py: {missing}"


def test_every_catalogue_rule_is_in_rules_md():
    extra = sorted(set(RULES) - set(_rows()))
    assert extra == [], f"catalogue ids not in rules.md: {extra}"


def test_default_severities_match():
    wrong = {rid: (RULES[rid].severity.label, sev) for rid, (_, sev, _, _, _) in _rows().items()
             if rid in RULES and RULES[rid].severity != Severity.parse(sev)}
    assert wrong == {}, "catalogue vs rules.md severity"


def test_ignored_marks_match():
    wrong = {rid: (RULES[rid].ignored, ignored) for rid, (_, _, ignored, _, _) in _rows().items()
             if rid in RULES and RULES[rid].ignored != ignored}
    assert wrong == {}, "catalogue vs rules.md ignored mark"
    for rid, info in RULES.items():
        assert bool(info.consequence) == info.ignored, f"{rid}: an ignored rule needs its consequence, and only it"


def test_families_follow_the_rules_md_sections():
    wrong = {rid: (RULES[rid].family, FAMILIES[section - 1]) for rid, (section, *_) in _rows().items()
             if rid in RULES and RULES[rid].family != FAMILIES[section - 1]}
    assert wrong == {}


def test_refs_and_descriptions_match():
    rows = _rows()
    for rid, (_, _, _, cond, ref) in rows.items():
        if rid not in RULES:
            continue
        assert RULES[rid].ref == ref, rid
        assert RULES[rid].description == cond.replace("`", ""), rid


TUNABLE_PHRASES = {
    "main ping interval": ("main_ping_interval",),
    "ad ping interval": ("ad_ping_interval",),
    "ping tolerance": ("ping_tolerance",),
    "idle timeout": ("idle_timeout",),
    "playhead timeout": ("playhead_timeout",),
    "max session age": ("max_session_age",),
    "reorder window": ("reorder_window_s", "reorder_window_events"),
    "long gap": ("long_gap",),
    "clock skew": ("clock_skew",),
}


def test_tunable_defaults_match_rules_md():
    text = _rules_md()
    line = text.split("## Tunables", 1)[1].split("\n## ", 1)[0]
    items = [p.strip() for p in " ".join(line.splitlines()[1:]).split("·")]
    seen = set()
    for item in items:
        phrase = next(p for p in TUNABLE_PHRASES if item.startswith(p))
        values = [v.strip() for v in item[len(phrase):].split("/")]
        for name, value in zip(TUNABLE_PHRASES[phrase], values, strict=True):
            number = value.rstrip(".").replace(" events", "").replace(" ", "")
            assert parse_tunable(name, number) == TUNABLES[name][0], (name, value)
            seen.add(name)
    assert seen == set(TUNABLES)


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

