"""Every rule of the sequencing families is tested both ways: it fires, and it stays silent on a near miss."""

from __future__ import annotations

import pytest

from addon.rules.catalogue import RULES
from tests.addon.rules import test_ads, test_chapters, test_pings, test_playback, test_qoe, test_states

MODULES = {
    "pings": test_pings,
    "playback": test_playback,
    "ads": test_ads,
    "chapters": test_chapters,
    "states": test_states,
    "qoe": test_qoe,
}


@pytest.mark.parametrize("family", sorted(MODULES))
def test_every_rule_fires_and_has_a_near_miss(family: str) -> None:
    module = MODULES[family]
    expected = {rid for rid, info in RULES.items() if info.family == family}
    assert expected, f"no rules in family {family}"
    fires = {case.rule for case in module.FIRES}
    quiet = {case.rule for case in module.QUIET}
    assert expected - fires == set(), f"{family}: rules never shown to fire"
    assert expected - quiet == set(), f"{family}: rules without a near miss"
    assert fires <= expected and quiet <= expected, f"{family}: cases for rules of another family"


def test_case_ids_are_unique() -> None:
    for module in MODULES.values():
        for table in (module.FIRES, module.QUIET):
            names = [case.id for case in table]
            assert len(names) == len(set(names)), names
