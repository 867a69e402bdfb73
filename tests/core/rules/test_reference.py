"""The mcscope-defined rule differs-from-reference (mcscope check --expect): fires on a difference beyond the
tolerances, stays silent within them. The comparison itself is tests/core/test_compare.py's."""

from __future__ import annotations

from mcscope.core.compare import apply_reference, compare_sessions
from mcscope.core.model import Severity
from mcscope.core.rules.catalogue import RULES
from mcscope.core.session import Session
from tests.builder import clean_vod
from tests.core.rules.casetable import covers
from tests.core.rules.edgetable import covers_edge
from tests.edge_builder import edge_vod

RULE = "differs-from-reference"


def _session() -> Session:
    return clean_vod().analyze().sessions[0]


@covers(RULE, fires=True)
def test_fires_on_a_dropped_event() -> None:
    c = clean_vod()
    del c.exchanges[-3]
    capture = c.analyze().sessions[0]
    assert apply_reference(capture, compare_sessions(_session(), capture)) >= 1
    found = [f for f in capture.findings if f.rule == RULE]
    assert found and found[0].severity.label == "error" and "missing from the capture" in found[0].message


@covers(RULE, quiet=True)
def test_quiet_on_the_same_playback() -> None:
    capture = _session()
    diff = compare_sessions(_session(), capture)
    assert diff.equivalent
    assert apply_reference(capture, diff) == 0
    assert RULE not in {f.rule for f in capture.findings}


def _edge_session() -> Session:
    return edge_vod().analyze().sessions[0]


@covers_edge(RULE, fires=True)
def test_fires_on_an_edge_session_missing_an_event() -> None:
    c = edge_vod()
    del c.exchanges[-3]
    capture = c.analyze().sessions[0]
    assert capture.protocol == "edge"
    assert apply_reference(capture, compare_sessions(_edge_session(), capture)) >= 1
    found = [f for f in capture.findings if f.rule == RULE]
    assert found and "missing from the capture" in found[0].message
    assert found[0].severity == RULES[RULE].severity_for("edge") == Severity.ERROR
    assert found[0].protocol == "edge"


@covers_edge(RULE, quiet=True)
def test_quiet_on_the_same_edge_playback() -> None:
    capture = _edge_session()
    diff = compare_sessions(_edge_session(), capture)
    assert diff.equivalent
    assert apply_reference(capture, diff) == 0
    assert RULE not in {f.rule for f in capture.findings}
