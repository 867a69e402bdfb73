"""The end of an analysed capture: the report dict, the report files and the exit code."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mcscope.core.session import Analyzer
from mcscope.core.verdict import EXIT_USAGE
from mcscope.io import report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportRequest:
    """What to produce when the capture ends (report kind -> file, '' = none)."""

    outputs: Mapping[str, str] = field(default_factory=dict)
    fail_on: str = "error"
    sources: tuple[str, ...] = ("live capture",)


@dataclass(frozen=True)
class Outcome:
    """The report (None when the capture was not analysed) and the exit code of ``mcscope proxy``."""

    report: dict[str, Any] | None = None
    exit_code: int = 0


def write_reports(analyzer: Analyzer, request: ReportRequest) -> Outcome:
    """Build the report of a finished analyzer and write the requested files (atomically, io.report)."""
    rep = report.build_report(analyzer, list(request.sources))
    code = int(report.exit_code(rep, request.fail_on))
    for kind, target in request.outputs.items():
        if not target:
            continue
        try:
            report.write_report(kind, rep, target, request.fail_on)
            log.info("mcscope %s report: %s", kind, target)
        except OSError as exc:
            log.warning("mcscope: cannot write the %s report %s: %s", kind, target, exc)
            code = max(code, EXIT_USAGE)
    return Outcome(rep, code)
