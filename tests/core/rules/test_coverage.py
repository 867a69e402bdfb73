"""Every rule of the catalogue is tested both ways: it fires, and it stays silent on a near miss."""

from __future__ import annotations

import importlib
import pkgutil

import tests.core.rules as family_tests
from mcscope.core.rules.catalogue import EDGE_RULES, RULES
from tests.core.rules import casetable, edgetable

# importing every family's test module registers its cases (and its ``covers`` tests) with casetable
FAMILY_MODULES = [importlib.import_module(f"{family_tests.__name__}.{m.name}")
                  for m in pkgutil.iter_modules(family_tests.__path__)
                  if m.name.startswith("test_") and m.name != __name__.rsplit(".", 1)[-1]]


def test_every_rule_fires_and_has_a_near_miss() -> None:
    assert FAMILY_MODULES
    rest = {rid for rid, info in RULES.items() if info.rest}
    assert sorted(rest - set(casetable.FIRES)) == [], "rules never shown to fire"
    assert sorted(rest - set(casetable.QUIET)) == [], "rules without a near miss"


# Rules judged on Edge traffic that no Edge capture can make fire yet, each with the reason (a follow-up).
EDGE_GAPS: dict[str, str] = {}


def test_every_edge_rule_fires_and_has_a_near_miss_on_edge_traffic() -> None:
    assert sorted(EDGE_RULES - set(edgetable.EDGE_FIRES) - set(EDGE_GAPS)) == [], "Edge rules never shown to fire"
    assert sorted(EDGE_RULES - set(edgetable.EDGE_QUIET) - set(EDGE_GAPS)) == [], "Edge rules without a near miss"
    assert set(EDGE_GAPS) <= EDGE_RULES and not set(EDGE_GAPS) & set(edgetable.EDGE_FIRES)


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in casetable.CASES]
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []
