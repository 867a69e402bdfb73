"""Exports of the window: JSON report, HTML report, timeline PNG, journal (no dialogs here)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from addon.model import Exchange

log = logging.getLogger(__name__)

#: session key -> PNG bytes of its timeline
ImageFn = Callable[[Any], bytes | None]


def build_report(dataset: Any) -> dict[str, Any]:
    """The JSON report (architecture.md) of what the window shows, via addon.report when available."""
    an = dataset.analyzer
    try:
        from addon import report as report_mod

        build = getattr(report_mod, "build_report", None)
        if build is not None:
            return dict(build(an, sources=list(dataset.sources)))
    except ImportError:
        pass
    return fallback_report(an, dataset.sources)


def fallback_report(an: Any, sources: Iterable[str]) -> dict[str, Any]:
    from addon.cli import version

    sessions = [s.to_report() for s in an.sessions]
    summary = {"sessions": len(sessions), "events": 0, "errors": 0, "warnings": 0, "infos": 0,
               "ignored_events": 0}
    for s in an.sessions:
        summary["events"] += len(s.events)
        summary["ignored_events"] += sum(1 for e in s.events if e.ignored)
        for f in s.findings:
            key = {"error": "errors", "warning": "warnings", "info": "infos"}[f.severity.label]
            summary[key] += 1
    for f in an.transport_findings:
        key = {"error": "errors", "warning": "warnings", "info": "infos"}[f.severity.label]
        summary[key] += 1
    return {
        "tool": {"name": "mcscope", "version": version()},
        "sources": list(sources),
        "summary": summary,
        "sessions": sessions,
        "findings": [f.to_dict() for f in an.transport_findings],
    }


def _atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_json_report(dataset: Any, path: str | os.PathLike[str]) -> None:
    report = build_report(dataset)
    _atomic_write(path, (json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n").encode())


def write_html_report(dataset: Any, path: str | os.PathLike[str], image_for: ImageFn | None = None,
                      max_images: int = 200) -> None:
    from gui.htmlreport import render_html

    report = build_report(dataset)
    images: dict[str, bytes] = {}
    if image_for is not None:
        for s in list(dataset.analyzer.sessions)[:max_images]:
            try:
                png = image_for(s)
            except Exception:
                log.exception("could not draw the timeline of %s", s.key)
                png = None
            if png:
                images[str(s.key)] = png
                if s.sid:
                    images[str(s.sid)] = png
    title = "mcscope report"
    if dataset.sources:
        title += " — " + ", ".join(Path(p).name for p in dataset.sources)
    _atomic_write(path, render_html(report, images, title=title).encode("utf-8"))


def write_journal(exchanges: Iterable[Exchange], path: str | os.PathLike[str]) -> int:
    """Write an mcscope NDJSON journal; returns the number of exchanges written."""
    from addon.capture import exchange_to_record, journal_header

    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    n = 0
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(journal_header(source="mcscope gui"), ensure_ascii=False) + "\n")
        for ex in exchanges:
            fh.write(json.dumps(exchange_to_record(ex), ensure_ascii=False, separators=(",", ":")) + "\n")
            n += 1
    os.replace(tmp, path)
    return n
