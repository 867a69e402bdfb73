"""Reports of a check: the JSON report (architecture.md), JUnit XML, Markdown, a terminal summary, exit codes.

Everything here works on the JSON report dict built by :func:`build_report`, so a report loaded back from
disk renders the same way as one fresh from an Analyzer.
"""

from __future__ import annotations

import json
import math
import os
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from mcscope import __version__
from mcscope.core import status as st
from mcscope.core.model import Finding, Severity

_LABELS = ("error", "warning", "info")
_PLURAL = {"error": "errors", "warning": "warnings", "info": "infos"}


class _SessionLike(Protocol):
    events: list[Any]
    findings: list[Finding]

    def to_report(self) -> dict[str, Any]: ...


class AnalyzerLike(Protocol):
    sessions: list[Any]
    transport_findings: list[Finding]


# --------------------------------------------------------------------------------------------------
# Building the JSON report


def build_report(
    analyzer: AnalyzerLike | Mapping[str, AnalyzerLike],
    sources: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The JSON report of architecture.md.

    ``analyzer`` is one Analyzer fed with every source, or a mapping ``{source: Analyzer}`` (one per
    capture file; then every session and transport finding also carries ``"source"``).
    """
    if isinstance(analyzer, Mapping):
        parts = list(analyzer.items())
        srcs = list(sources) if sources is not None else [name for name, _ in parts]
    else:
        parts = [(None, analyzer)]
        srcs = list(sources or [])
    sessions: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for source, an in parts:
        for session in an.sessions:
            item = _session_report(session)
            if source is not None:
                item["source"] = source
            sessions.append(item)
        for f in an.transport_findings:
            fd = f.to_dict()
            if source is not None:
                fd["source"] = source
            findings.append(fd)
    return {
        "tool": {"name": "mcscope", "version": __version__},
        "sources": srcs,
        "summary": _summary(sessions, findings),
        "sessions": sessions,
        "findings": findings,
    }


def _session_report(session: Any) -> dict[str, Any]:
    item = dict(session.to_report())
    item.setdefault("findings", [f.to_dict() for f in session.findings])
    if "ignored_events" not in item:
        counts = item.get("counts")
        if isinstance(counts, Mapping) and isinstance(counts.get("ignored"), int):
            item["ignored_events"] = counts["ignored"]  # kept even when events are not (keep_events=False)
        else:
            events = getattr(session, "events", None) or []
            item["ignored_events"] = sum(1 for e in events if getattr(e, "ignored", False))
    return item


def _summary(sessions: list[dict[str, Any]], transport: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(f.get("severity") for f in iter_findings({"sessions": sessions, "findings": transport}))
    return {
        "sessions": len(sessions),
        "events": sum(_int(s.get("events")) for s in sessions),
        "errors": counts.get("error", 0),
        "warnings": counts.get("warning", 0),
        "infos": counts.get("info", 0),
        "ignored_events": sum(_int(s.get("ignored_events")) for s in sessions),
    }


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, list):
        return len(value)
    return 0


def iter_findings(report: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    """Every finding of a report: the sessions' then the transport ones."""
    for s in report.get("sessions", []):
        yield from s.get("findings", [])
    yield from report.get("findings", [])


# --------------------------------------------------------------------------------------------------
# Exit-code policy


def fail_threshold(fail_on: str | Severity | None) -> Severity | None:
    """``--fail-on`` as a Severity, or None for ``never``."""
    if fail_on is None or isinstance(fail_on, Severity):
        return fail_on
    text = str(fail_on).strip().lower()
    if text == "never":
        return None
    return Severity.parse(text)


def _severity_of(label: Any) -> Severity | None:
    try:
        return Severity.parse(str(label))
    except ValueError:
        return None


def failing_findings(report: Mapping[str, Any], fail_on: str | Severity | None) -> list[dict[str, Any]]:
    threshold = fail_threshold(fail_on)
    if threshold is None:
        return []
    out = []
    for f in iter_findings(report):
        sev = _severity_of(f.get("severity"))
        if sev is not None and sev >= threshold:
            out.append(f)
    return out


def exit_code(report_or_analyzer: Mapping[str, Any] | AnalyzerLike, fail_on: str | Severity | None = "error") -> int:
    """0 when nothing is at or above ``fail_on`` (``never`` -> always 0), else 1."""
    threshold = fail_threshold(fail_on)
    if threshold is None:
        return 0
    if isinstance(report_or_analyzer, Mapping):
        return 1 if failing_findings(report_or_analyzer, threshold) else 0
    an = report_or_analyzer
    findings: list[Finding] = list(an.transport_findings)
    for s in an.sessions:
        findings.extend(s.findings)
    return 1 if any(f.severity >= threshold for f in findings) else 0


# --------------------------------------------------------------------------------------------------
# JUnit XML


def _session_title(s: Mapping[str, Any]) -> str:
    media = s.get("media") or {}
    name = media.get("name") or media.get("id")
    key = s.get("sid") or s.get("key") or "?"
    return f"session {key}" + (f" ({name})" if name else "")


def _finding_line(f: Mapping[str, Any]) -> str:
    where = []
    if f.get("event") is not None:
        where.append(f"event {f['event']}")
    if f.get("ts") is not None:
        where.append(f"ts {f['ts']}")
    if f.get("flow"):
        where.append(f"flow {f['flow']}")
    text = f"[{f.get('severity', '?')}] {f.get('rule', '?')}: {f.get('message', '')}"
    if f.get("ignored"):
        text += " (ignored by Adobe" + (f": {f['consequence']}" if f.get("consequence") else "") + ")"
    if where:
        text += f" [{', '.join(where)}]"
    return text


def _duration(s: Mapping[str, Any]) -> float:
    first, last = s.get("first_ts"), s.get("last_ts")
    if isinstance(first, int | float) and isinstance(last, int | float) and last >= first:
        value = (last - first) / 1000.0
        if math.isfinite(value) and value < 1e9:
            return value
    return 0.0


def _testcase(
    suite: ET.Element, classname: str, name: str, findings: list[dict[str, Any]], threshold: Severity | None,
    time: float = 0.0, status: str | None = None,
) -> int:
    case = ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{time:.3f}")
    if status is not None:
        props = ET.SubElement(case, "properties")
        ET.SubElement(props, "property", name="status", value=status)
    failures = 0
    others: list[str] = []
    for f in findings:
        sev = _severity_of(f.get("severity"))
        if threshold is not None and sev is not None and sev >= threshold:
            failures += 1
            fail = ET.SubElement(
                case, "failure", type=str(f.get("rule", "")), message=f"{f.get('rule')}: {f.get('message', '')}"
            )
            fail.text = _finding_line(f)
        else:
            others.append(_finding_line(f))
    if others:
        ET.SubElement(case, "system-out").text = "\n".join(others)
    return failures


def to_junit(report: Mapping[str, Any], fail_on: str | Severity | None = "error") -> str:
    """JUnit XML: a testsuite per capture file, a testcase per session (plus one for transport findings),
    a ``<failure>`` per finding at or above ``fail_on``; lower findings go to ``<system-out>``."""
    threshold = fail_threshold(fail_on)
    sources = list(report.get("sources") or [])
    multi = any("source" in s for s in report.get("sessions", [])) or any(
        "source" in f for f in report.get("findings", [])
    )
    if not sources:
        sources = ["capture"]
    groups: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {src: ([], []) for src in sources}
    for s in report.get("sessions", []):
        src = s.get("source") if multi else sources[0]
        groups.setdefault(str(src), ([], []))[0].append(s)
    for f in report.get("findings", []):
        src = f.get("source") if multi else sources[0]
        groups.setdefault(str(src), ([], []))[1].append(f)

    root = ET.Element("testsuites", name="mcscope")
    total_tests = total_failures = 0
    for src, (sessions, transport) in groups.items():
        suite = ET.SubElement(root, "testsuite", name=src)
        stem = Path(src).name.replace(".", "_") or "capture"
        tests = failures = 0
        for s in sessions:
            tests += 1
            failures += _testcase(suite, f"mcscope.{stem}", _session_title(s), list(s.get("findings", [])),
                                  threshold, _duration(s), str(s.get("status") or "") or None)
        tests += 1
        failures += _testcase(suite, f"mcscope.{stem}", "transport (findings tied to no session)", transport,
                              threshold)
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total_tests += tests
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --------------------------------------------------------------------------------------------------
# Markdown (CI job summary)


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("`", "'")


def _counts(findings: Iterable[Mapping[str, Any]]) -> Counter[str]:
    return Counter(str(f.get("severity")) for f in findings)


def to_markdown(report: Mapping[str, Any], fail_on: str | Severity | None = "error", top: int = 10) -> str:
    summary = report.get("summary", {})
    failed = exit_code(report, fail_on) != 0
    verdict = "❌ failed" if failed else "✅ passed"
    level = str(fail_on) if not isinstance(fail_on, Severity) else fail_on.label
    lines = [
        f"## mcscope check: {verdict} (fail on: {level})",
        "",
        "Sources: " + (", ".join(f"`{_md(s)}`" for s in report.get("sources", [])) or "none"),
        "",
        "| Sessions | Events | Errors | Warnings | Infos | Ignored events |",
        "|---:|---:|---:|---:|---:|---:|",
        "| {sessions} | {events} | {errors} | {warnings} | {infos} | {ignored_events} |".format(
            **{k: summary.get(k, 0) for k in ("sessions", "events", "errors", "warnings", "infos", "ignored_events")}
        ),
        "",
    ]
    sessions = report.get("sessions", [])
    if sessions:
        lines += [
            "### Sessions",
            "",
            "| Session | Media | Status | Events | Errors | Warnings | Infos | Ignored events |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        for s in sessions:
            c = _counts(s.get("findings", []))
            media = s.get("media") or {}
            label = media.get("name") or media.get("id") or ""
            sid = str(s.get("sid") or s.get("key") or "?")
            lines.append(
                f"| `{_md(sid[:16])}` | {_md(label)} | {_md(st.label(str(s.get('status', ''))))} "
                f"| {_int(s.get('events'))} "
                f"| {c['error']} | {c['warning']} | {c['info']} | {_int(s.get('ignored_events'))} |"
            )
        lines.append("")
    transport = report.get("findings", [])
    if transport:
        c = _counts(transport)
        lines += [f"Transport findings (tied to no session): {c['error']} errors, {c['warning']} warnings, "
                  f"{c['info']} infos.", ""]
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in iter_findings(report):
        by_rule.setdefault(str(f.get("rule")), []).append(f)
    if by_rule:
        ranked = sorted(
            by_rule.items(),
            key=lambda kv: (-(_severity_of(kv[1][0].get("severity")) or 0), -len(kv[1]), kv[0]),
        )
        lines += ["### Top findings", "", "| Rule | Severity | Count | Example |", "|---|---|---:|---|"]
        for rule, items in ranked[:top]:
            ex = items[0]
            note = " (ignored by Adobe)" if ex.get("ignored") else ""
            lines.append(f"| `{_md(rule)}` | {_md(ex.get('severity'))} | {len(items)} | {_md(ex.get('message'))}{note} |")
        if len(ranked) > top:
            lines.append(f"\n…and {len(ranked) - top} more rules.")
        lines.append("")
    else:
        lines += ["No findings.", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Terminal summary

_COLOURS = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m", "ok": "\x1b[32m", "dim": "\x1b[2m",
            "bold": "\x1b[1m"}
_RESET = "\x1b[0m"


def to_text(
    report: Mapping[str, Any],
    fail_on: str | Severity | None = "error",
    *,
    colour: bool = False,
    max_per_session: int = 15,
    show_info: bool = True,
) -> str:
    """A readable summary for a terminal (ANSI colours only when ``colour``)."""

    def paint(text: str, style: str) -> str:
        return f"{_COLOURS[style]}{text}{_RESET}" if colour else text

    def sev(label: str) -> str:
        return paint(label, label) if label in _COLOURS else label

    out: list[str] = []
    for s in report.get("sessions", []):
        c = _counts(s.get("findings", []))
        media = s.get("media") or {}
        name = media.get("name") or media.get("id") or ""
        head = f"{_session_title(s) if not name else 'session ' + str(s.get('sid') or s.get('key'))}"
        src = f" [{s['source']}]" if s.get("source") else ""
        out.append(
            paint(head, "bold") + (f"  {name}" if name else "") + src
            + f"\n  {st.label(str(s.get('status', '?')))}, {_int(s.get('events'))} events, "
            + ", ".join(f"{c[lbl]} {_PLURAL[lbl]}" for lbl in _LABELS)
            + (f", {_int(s.get('ignored_events'))} ignored events" if _int(s.get("ignored_events")) else "")
        )
        shown = [f for f in s.get("findings", []) if show_info or f.get("severity") != "info"]
        for f in shown[:max_per_session]:
            out.append("    " + _text_finding(f, sev))
        if len(shown) > max_per_session:
            out.append(paint(f"    … and {len(shown) - max_per_session} more", "dim"))
    transport = [f for f in report.get("findings", []) if show_info or f.get("severity") != "info"]
    if transport:
        out.append(paint("transport (findings tied to no session)", "bold"))
        for f in transport[:max_per_session]:
            out.append("    " + _text_finding(f, sev))
        if len(transport) > max_per_session:
            out.append(paint(f"    … and {len(transport) - max_per_session} more", "dim"))
    summary = report.get("summary", {})
    failed = exit_code(report, fail_on) != 0
    totals = (
        f"{summary.get('sessions', 0)} sessions, {summary.get('events', 0)} events: "
        + ", ".join(f"{summary.get(_PLURAL[lbl], 0)} {_PLURAL[lbl]}" for lbl in _LABELS)
        + f", {summary.get('ignored_events', 0)} ignored events"
    )
    out.append("")
    out.append(paint("FAIL", "error") + " " + totals if failed else paint("OK", "ok") + " " + totals)
    return "\n".join(out) + "\n"


def _text_finding(f: Mapping[str, Any], sev: Any) -> str:
    label = str(f.get("severity", "?"))
    where = f" (event {f['event']})" if f.get("event") is not None else ""
    ignored = " [ignored by Adobe" + (f": {f['consequence']}" if f.get("consequence") else "") + "]" if f.get(
        "ignored") else ""
    return f"{sev(label)} {f.get('rule')}{where}: {f.get('message', '')}{ignored}"


# --------------------------------------------------------------------------------------------------
# Writing: one renderer and one writer for `mcscope check`, the proxy's reports and the window's export

#: The report files a front door can write, by option name (``--json`` / ``mcscope_json`` …).
REPORT_KINDS = ("json", "junit", "markdown")


def to_json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"


def render(kind: str, report: Mapping[str, Any], fail_on: str | Severity | None = "error") -> str:
    """The report as ``kind`` (one of :data:`REPORT_KINDS`), always encodable as UTF-8 (see printable)."""
    if kind == "json":
        text = to_json(report)
    elif kind == "junit":
        text = to_junit(report, fail_on)
    elif kind == "markdown":
        text = to_markdown(report, fail_on)
    else:
        raise ValueError(f"unknown report kind {kind!r} (known: {', '.join(REPORT_KINDS)})")
    return printable(text)


def printable(text: str) -> str:
    r"""``text`` with lone surrogates (from undecodable bytes in a URL or header) written as ``\udXXX``:
    the same escape JSON uses, so a JSON report stays valid and means the same string."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def write_report(kind: str, report: Mapping[str, Any], path: str | Path, fail_on: str | Severity | None = "error"
                 ) -> None:
    """Write the report atomically (a reader never sees half a file); OSError when it cannot."""
    target = Path(path).expanduser()
    data = render(kind, report, fail_on).encode("utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
