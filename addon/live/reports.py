"""The end of an analysed capture: the report dict, the report files and the exit code."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
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
    """Build the report of a finished analyzer and write the requested files (atomically)."""
    rep = report.build_report(analyzer, list(request.sources))
    code = int(report.exit_code(rep, request.fail_on))
    for kind, target in request.outputs.items():
        if not target:
            continue
        try:
            _write(kind, rep, Path(target).expanduser(), request.fail_on)
            log.info("mcscope %s report: %s", kind, target)
        except OSError as exc:
            log.warning("mcscope: cannot write the %s report %s: %s", kind, target, exc)
            code = max(code, EXIT_USAGE)
    return Outcome(rep, code)


def _write(kind: str, rep: dict[str, Any], path: Path, fail_on: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "json":
        text = json.dumps(rep, indent=2, ensure_ascii=False) + "\n"
    elif kind == "junit":
        text = report.to_junit(rep, fail_on)
    else:
        text = report.to_markdown(rep, fail_on)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
