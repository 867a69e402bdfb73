"""Exports of the window: JSON report, HTML report, timeline PNG, journal (no dialogs here).

``redact=True`` (the export dialog's "Redact identifiers") writes the file through one
:class:`mcscope.io.redact.Redactor`: visitor and customer ids, cookies, credentials and client addresses become
pseudonyms, stable within the file, and the file says it was redacted (the JSON report's ``"redacted"``
member, the journal header's, a comment and a line under the HTML report's title). Timeline pictures carry no
identifiers (media, ad and chapter names, event types and times).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcscope.core.model import Exchange
from mcscope.gui.htmlreport import problem_rank, render_html
from mcscope.io import report as reports
from mcscope.io.journal import exchange_to_record, journal_header
from mcscope.io.redact import Redactor, redact_exchanges

if TYPE_CHECKING:
    from mcscope.core.session import Session
    from mcscope.gui.dataset import Dataset

log = logging.getLogger(__name__)

#: session -> PNG bytes of its timeline (None: no picture)
ImageFn = Callable[["Session"], bytes | None]


def build_report(dataset: Dataset) -> dict[str, Any]:
    """The JSON report (architecture.md) of what the window shows: the same writer as ``mcscope check``."""
    parts = dataset.parts
    if parts and not dataset.live:  # one Analyzer per file: every session and finding names its file
        return reports.build_report({str(p.source): p.analyzer for p in parts})
    return reports.build_report(dataset.analyzer, sources=list(dataset.sources))


def _atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    reports.write_file(Path(path), data)


def report_redactor(dataset: Dataset) -> Redactor:
    """A Redactor that knows the ids of every session on screen (finding messages may quote them)."""
    r = Redactor()
    r.learn_sessions(dataset.analyzer.sessions)
    return r


def write_json_report(dataset: Dataset, path: str | os.PathLike[str], redact: bool = False) -> None:
    if not redact:
        reports.write_report("json", build_report(dataset), path)
        return
    r = report_redactor(dataset)
    text = r.mark("json", reports.render("json", r.report(build_report(dataset)), "error"))
    _atomic_write(path, text.encode("utf-8"))


#: bytes of timeline pictures an HTML report may carry (the report stays small enough to attach)
IMAGE_BUDGET = 160_000


def offending_bodies(dataset: Dataset, report: dict[str, Any]) -> dict[str, bytes]:
    """Request bodies (by flow id) of the first finding of every rule group in ``report``."""
    wanted = reports.offending_flows(report)
    out: dict[str, bytes] = {}
    if not wanted:
        return out
    for ex in dataset.exchanges:
        if ex.flow_id in wanted and ex.request_body is not None:
            out[ex.flow_id] = ex.request_body
    return out


def write_html_report(dataset: Dataset, path: str | os.PathLike[str], image_for: ImageFn | None = None,
                      max_images: int = 200, image_budget: int = IMAGE_BUDGET, redact: bool = False) -> None:
    """The HTML report; timeline pictures (problem sessions first) until ``image_budget`` bytes are used."""
    report = build_report(dataset)
    images: dict[str, bytes] = {}
    left_out = 0
    if image_for is not None:
        by_key = {str(s.key): s for s in dataset.analyzer.sessions}
        ordered = sorted(report.get("sessions", []), key=problem_rank)
        used = 0
        for item in ordered[:max_images]:
            s = by_key.get(str(item.get("key")))
            if s is None:
                continue
            if used >= image_budget:
                left_out += 1
                continue
            png = image_for(s)
            if png:
                used += len(png)
                images[str(s.key)] = png
                if s.sid:
                    images[str(s.sid)] = png
        left_out += max(0, len(ordered) - max_images)
    title = "mcscope report"
    if dataset.sources:
        names = [Path(p).name for p in dataset.sources]
        title += " — " + (", ".join(names) if len(names) <= 3 else f"{len(names)} capture files")
    times: dict[str, float] = {}
    for src in dataset.sources:
        try:
            times[src] = os.stat(src).st_mtime
        except OSError:
            pass
    note = (f"timeline pictures of {left_out:,} sessions left out to keep the file small" if left_out else "")
    bodies = offending_bodies(dataset, report)
    r = report_redactor(dataset) if redact else None
    if r is not None:
        report = r.report(report)
        bodies = {flow: r.body(body) or b"" for flow, body in bodies.items()}
        images = {r.text(key): png for key, png in images.items()}  # as the report's keys are redacted
        note = " · ".join(n for n in (str(r.notice()["note"]), note) if n)
    text = render_html(report, images, title=title, bodies=bodies, file_times=times, note=note)
    if r is not None:
        text = r.mark("html", text)
    _atomic_write(path, reports.printable(text).encode("utf-8"))


def write_journal(exchanges: Iterable[Exchange], path: str | os.PathLike[str], redact: bool = False) -> int:
    """Write an mcscope NDJSON journal; returns the number of exchanges written.

    ``redact``: every exchange through one Redactor (:func:`mcscope.io.redact.redact_exchanges`), the header
    says so (``"redacted": {"by": "mcscope", ...}``)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    n = 0
    header = journal_header(source="mcscope gui")
    if redact:
        r = Redactor()
        redacted = redact_exchanges(exchanges, r)
        first = next(redacted, None)  # the learning pass has run: the notice counts every pseudonym
        header["redacted"] = r.notice()
        exchanges = _chain(first, redacted)
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(header, ensure_ascii=False) + "\n")
        for ex in exchanges:
            fh.write(json.dumps(exchange_to_record(ex), ensure_ascii=False, separators=(",", ":")) + "\n")
            n += 1
    os.replace(tmp, path)
    return n


def _chain(first: Exchange | None, rest: Iterable[Exchange]) -> Iterator[Exchange]:
    if first is not None:
        yield first
    yield from rest
