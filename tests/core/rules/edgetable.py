"""The case-table framework for Media Edge API captures (``tests.edge_builder.EdgeCapture``).

    E = EdgeTable()                               # the Edge cases of every family

    @E.fires("playhead-type", event=1)            # at the rule's Edge default severity unless given
    def float_playhead(): ...

    test_edge_fires, test_edge_quiet = E.tests()

Cases are ordinary ``casetable.Case``s (same checks: event, severity, sid, flow, message, ignored mark and
consequence); they register in ``EDGE_FIRES`` / ``EDGE_QUIET``, which ``test_coverage.py`` checks against every
rule judged on Edge traffic (``catalogue.EDGE_RULES``). Case ids start with ``edge:``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcscope.core.config import Config
from mcscope.core.model import Severity
from mcscope.core.rules.catalogue import EDGE_RULES, RULES
from tests.core.rules import casetable

EDGE_FIRES: dict[str, list[str]] = {}
EDGE_QUIET: dict[str, list[str]] = {}


@dataclass
class EdgeCase(casetable.Case):
    @property
    def id(self) -> str:
        return f"edge:{self.rule}:{self.name or self.build.__name__.strip('_')}"

    def check(self) -> Any:
        an = super().check()
        for s in an.sessions:
            assert s.protocol == "edge", f"{s.key} is a {s.protocol} session"
        return an


class EdgeTable(casetable.Table):
    def __init__(self) -> None:
        super().__init__("edge")

    def fires(self, rule: str, name: str = "", *, event: Any, severity: Severity | None = None,
              config: Config | None = None) -> Callable[[Any], Any]:
        return self._edge_case(rule, True, name, event=event, severity=severity or RULES[rule].edge_severity,
                               config=config)

    def quiet(self, rule: str, name: str = "", *, config: Config | None = None) -> Callable[[Any], Any]:
        return self._edge_case(rule, False, name, config=config)

    def _edge_case(self, rule: str, fires: bool, name: str, **kw: Any) -> Callable[[Any], Any]:
        assert rule in EDGE_RULES, f"{rule} is not judged on Edge traffic"
        assert not self.closed, "a case registered after E.tests()"

        def deco(fn: Any) -> Any:
            case = EdgeCase(rule, fn, fires, name, **kw)
            self.cases.append(case)
            casetable.CASES.append(case)
            (EDGE_FIRES if fires else EDGE_QUIET).setdefault(rule, []).append(case.id)
            return fn

        return deco


def covers_edge(rule: str, fires: bool = False, quiet: bool = False) -> Callable[[Any], Any]:
    assert rule in EDGE_RULES, rule

    def deco(fn: Any) -> Any:
        if fires:
            EDGE_FIRES.setdefault(rule, []).append(fn.__name__)
        if quiet:
            EDGE_QUIET.setdefault(rule, []).append(fn.__name__)
        return fn

    return deco
