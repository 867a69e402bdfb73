"""Exports of the window: JSON report, HTML report, timeline PNG, journal (no dialogs here)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcscope.core.model import Exchange
from mcscope.gui.htmlreport import render_html
from mcscope.io import report as reports
from mcscope.io.journal import exchange_to_record, journal_header

if TYPE_CHECKING:
    from mcscope.core.session import Session
    from mcscope.gui.dataset import Dataset

log = logging.getLogger(__name__)

#: session -> PNG bytes of its timeline (None: no picture)
ImageFn = Callable[["Session"], bytes | None]


def build_report(dataset: Dataset) -> dict[str, Any]:
    """The JSON report (architecture.md) of what the window shows: the same writer as ``mcscope check``."""
    return reports.build_report(dataset.analyzer, sources=list(dataset.sources))


def _atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_json_report(dataset: Dataset, path: str | os.PathLike[str]) -> None:
    reports.write_report("json", build_report(dataset), path)


def write_html_report(dataset: Dataset, path: str | os.PathLike[str], image_for: ImageFn | None = None,
                      max_images: int = 200) -> None:
    report = build_report(dataset)
    images: dict[str, bytes] = {}
    if image_for is not None:
        for s in list(dataset.analyzer.sessions)[:max_images]:
            png = image_for(s)
            if png:
                images[str(s.key)] = png
                if s.sid:
                    images[str(s.sid)] = png
    title = "mcscope report"
    if dataset.sources:
        title += " — " + ", ".join(Path(p).name for p in dataset.sources)
    _atomic_write(path, reports.printable(render_html(report, images, title=title)).encode("utf-8"))


def write_journal(exchanges: Iterable[Exchange], path: str | os.PathLike[str]) -> int:
    """Write an mcscope NDJSON journal; returns the number of exchanges written."""
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
