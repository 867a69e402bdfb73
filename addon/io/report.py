"""Reports of a check: the JSON report (architecture.md), JUnit XML, Markdown, a terminal summary, exit codes.

Everything here works on the JSON report dict built by :func:`build_report`, so a report loaded back from
disk renders the same way as one fresh from an Analyzer.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
            protocol = item["protocol"] = getattr(session, "protocol", "rest")  # every session and finding: rest|edge
            for sf in item["findings"]:
                if isinstance(sf, dict):
                    sf["protocol"] = protocol
            if source is not None:
                item["source"] = source
            sessions.append(item)
        for f in an.transport_findings:
            fd = f.to_dict()
            fd["protocol"] = getattr(f, "protocol", "rest")
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


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 warning``, ``2 warnings`` (``many`` for irregular plurals)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


_SEV_RANK = {"error": 3, "warning": 2, "info": 1}


def group_findings(findings: Iterable[Any]) -> list[dict[str, Any]]:
    """Findings grouped by rule, worst severity first, then in order of first appearance.

    Accepts report dicts or ``Finding`` objects. Each group: ``rule``, ``severity`` (worst label), ``count``,
    ``first``/``last`` (the first and last finding), ``first_event``/``last_event`` (lowest/highest event
    index, None when no finding names one), ``events`` (distinct event indices in order), ``ignored`` (any
    finding ignored by Adobe), ``findings`` (all of them, in order).
    """
    groups: dict[str, dict[str, Any]] = {}
    for f in findings:
        get = f.get if isinstance(f, Mapping) else lambda k, _f=f: getattr(_f, k, None)
        rule = str(get("rule"))
        sev = get("severity")
        label = str(getattr(sev, "label", sev))
        event = get("event")
        g = groups.get(rule)
        if g is None:
            g = groups[rule] = {"rule": rule, "severity": label, "count": 0, "first": f, "last": f,
                                "first_event": None, "last_event": None, "events": [], "ignored": False,
                                "findings": [], "order": len(groups)}
        g["count"] += 1
        g["last"] = f
        g["findings"].append(f)
        if _SEV_RANK.get(label, 0) > _SEV_RANK.get(g["severity"], 0):
            g["severity"] = label
        if isinstance(event, int) and not isinstance(event, bool):
            if g["first_event"] is None or event < g["first_event"]:
                g["first_event"] = event
            if g["last_event"] is None or event > g["last_event"]:
                g["last_event"] = event
            if not g["events"] or g["events"][-1] != event:
                g["events"].append(event)
        g["ignored"] = g["ignored"] or bool(get("ignored"))
    out = sorted(groups.values(), key=lambda g: (-_SEV_RANK.get(g["severity"], 0), g["order"]))
    for g in out:
        del g["order"]
    return out


def group_where(g: Mapping[str, Any]) -> str:
    """Where a group's findings are: ``event 5``, ``events 3 to 40``, ``2 times, events 3 to 40``."""
    first, last, count = g.get("first_event"), g.get("last_event"), int(g.get("count") or 0)
    if first is None:
        return plural(count, "time") if count > 1 else ""
    span = f"event {first}" if first == last else f"events {first} to {last}"
    return f"{count:,} times, {span}" if count > 1 else span


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
    if f.get("protocol"):
        where.append(f"protocol {f['protocol']}")
    text = f"[{f.get('severity', '?')}] {f.get('rule', '?')}: {f.get('message', '')}"
    if f.get("ignored"):
        text += " (ignored by Adobe" + (f": {f['consequence']}" if f.get("consequence") else "") + ")"
    if where:
        text += f" [{', '.join(where)}]"
    return text


def _testcase(
    suite: ET.Element, classname: str, name: str, findings: list[dict[str, Any]], threshold: Severity | None,
    time: float = 0.0, status: str | None = None, protocol: str | None = None,
) -> int:
    case = ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{time:.3f}")
    if status is not None or protocol is not None:
        props = ET.SubElement(case, "properties")
        if status is not None:
            ET.SubElement(props, "property", name="status", value=status)
        if protocol is not None:
            ET.SubElement(props, "property", name="protocol", value=protocol)
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


def to_junit(report: Mapping[str, Any], fail_on: str | Severity | None = "error",
             times: Mapping[str, float] | None = None) -> str:
    """JUnit XML: a testsuite per capture file, a testcase per session (plus one for transport findings
    when there are any; a file without sessions gets one skipped testcase saying so), a ``<failure>`` per
    finding at or above ``fail_on``; lower findings go to ``<system-out>``.

    ``times`` maps a source to the seconds its check took: the suite's ``time``, shared evenly among its
    testcases (a session's media duration is not test time). Each session's testcase has ``status`` and
    ``protocol`` (rest|edge) properties; each finding's text names its protocol."""
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
        tests = failures = skipped = 0
        spent = float((times or {}).get(src, 0.0) or 0.0)
        share = spent / max(1, len(sessions) + (1 if transport else 0))
        for s in sessions:
            tests += 1
            failures += _testcase(suite, f"mcscope.{stem}", _session_title(s), list(s.get("findings", [])),
                                  threshold, share, str(s.get("status") or "") or None,
                                  str(s.get("protocol") or "") or None)
        if transport:
            tests += 1
            failures += _testcase(suite, f"mcscope.{stem}", "transport (findings tied to no session)",
                                  transport, threshold, share)
        if not sessions and not transport:
            tests += 1
            skipped += 1
            case = ET.SubElement(suite, "testcase", classname=f"mcscope.{stem}", name="no session",
                                 time=f"{spent:.3f}")
            ET.SubElement(case, "skipped", message="no Media Collection session found in this file")
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
        suite.set("time", f"{spent:.3f}")
        total_tests += tests
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    root.set("time", f"{sum(float(v or 0) for v in (times or {}).values()):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --------------------------------------------------------------------------------------------------
# Markdown (CI job summary)


_PROTOCOL_LABELS = {"rest": "REST", "edge": "Edge"}


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
            "| Session | Protocol | Source | Media | Status | Events | Errors | Warnings | Infos | Ignored events |",
            "|---|---|---|---|---|---:|---:|---:|---:|---:|",
        ]
        only = (report.get("sources") or [""])[0] if len(report.get("sources") or []) == 1 else ""
        full: list[str] = []
        for s in sessions:
            c = _counts(s.get("findings", []))
            media = s.get("media") or {}
            label = media.get("name") or media.get("id") or ""
            sid = str(s.get("sid") or s.get("key") or "?")
            src = Path(str(s.get("source") or only)).name if (s.get("source") or only) else ""
            lines.append(
                f"| `{_md(sid[:12])}…` | {_md(_PROTOCOL_LABELS.get(str(s.get('protocol')), s.get('protocol') or ''))} "
                f"| {_md(src)} | {_md(label)} | {_md(st.label(str(s.get('status', ''))))} "
                f"| {_int(s.get('events'))} | {c['error']} | {c['warning']} | {c['info']} "
                f"| {_int(s.get('ignored_events'))} |"
            )
            full.append(f"- `{_md(sid)}` {_md(label)}" + (f" ({_md(src)})" if src else ""))
        lines += ["", "<details><summary>Full session ids</summary>", "", *full, "", "</details>", ""]
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
        lines += ["### Top findings", "", "| Rule | Severity | Protocol | Count | Example |", "|---|---|---|---:|---|"]
        for rule, items in ranked[:top]:
            ex = items[0]
            note = " (ignored by Adobe)" if ex.get("ignored") else ""
            protocols = ", ".join(_PROTOCOL_LABELS.get(p, p) for p in sorted({str(f.get("protocol") or "rest")
                                                                             for f in items}))
            lines.append(f"| `{_md(rule)}` | {_md(ex.get('severity'))} | {_md(protocols)} | {len(items)} "
                         f"| {_md(ex.get('message'))}{note} |")
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
    max_per_session: int | None = 15,
    show_info: bool = True,
    more_hint: str = "mcscope check --all lists them all",
) -> str:
    """A readable summary for a terminal (ANSI colours only when ``colour``).

    Findings are grouped by rule (worst first) and every finding line starts with its capture file, the
    way a compiler names the file of an error; a file that yields no session still gets a line.
    ``max_per_session`` caps the rules listed per session (None: all of them).
    """

    def paint(text: str, style: str) -> str:
        return f"{_COLOURS[style]}{text}{_RESET}" if colour else text

    def sev(label: str) -> str:
        return paint(label, label) if label in _COLOURS else label

    def findings_block(findings: list[Mapping[str, Any]], src: str | None) -> None:
        shown = [f for f in findings if show_info or f.get("severity") != "info"]
        groups = group_findings(shown)
        cap = len(groups) if max_per_session is None else max_per_session
        prefix = f"{src}: " if src else ""
        for g in groups[:cap]:
            out.append("    " + prefix + _text_group(g, sev))
        if len(groups) > cap:
            rest = groups[cap:]
            n = sum(g["count"] for g in rest)
            out.append(paint(f"    … and {plural(len(rest), 'more rule')} ({plural(n, 'finding')}); "
                             f"{more_hint}", "dim"))

    out: list[str] = []
    for src, sessions, transport in _by_source(report):
        if src is not None and not sessions and not transport:
            out.append(paint(f"{src}: no Media Collection session found", "bold"))
            continue
        for s in sessions:
            c = _counts(s.get("findings", []))
            media = s.get("media") or {}
            name = media.get("name") or media.get("id") or ""
            head = _session_title(s) if not name else "session " + str(s.get("sid") or s.get("key"))
            ignored = _int(s.get("ignored_events"))
            out.append(
                paint(head, "bold") + (f"  {name}" if name else "") + (f" [{src}]" if src else "")
                + f"\n  {st.label(str(s.get('status', '?')))}, {plural(_int(s.get('events')), 'event')}, "
                + ", ".join(plural(c[lbl], lbl) for lbl in _LABELS)
                + (f", {plural(ignored, 'ignored event')}" if ignored else "")
            )
            findings_block(list(s.get("findings", [])), src)
        shown = [f for f in transport if show_info or f.get("severity") != "info"]
        if shown:
            out.append(paint("transport (findings tied to no session)", "bold") + (f" [{src}]" if src else ""))
            findings_block(shown, src)
    summary = report.get("summary", {})
    failed = exit_code(report, fail_on) != 0
    totals = (
        f"{plural(summary.get('sessions', 0), 'session')}, {plural(summary.get('events', 0), 'event')}: "
        + ", ".join(plural(summary.get(_PLURAL[lbl], 0), lbl) for lbl in _LABELS)
        + f", {plural(summary.get('ignored_events', 0), 'ignored event')}"
    )
    out.append("")
    out.append(paint("FAIL", "error") + " " + totals if failed else paint("OK", "ok") + " " + totals)
    return "\n".join(out) + "\n"


def _by_source(report: Mapping[str, Any]) -> list[tuple[str | None, list[dict[str, Any]], list[dict[str, Any]]]]:
    """(source, its sessions, its transport findings) in the order of ``report["sources"]``.

    A report built from one Analyzer (no per-item ``source``) is one group, named by its only source."""
    sessions = list(report.get("sessions", []))
    transport = list(report.get("findings", []))
    sources = [str(x) for x in report.get("sources") or []]
    per_item = any("source" in s for s in sessions) or any("source" in f for f in transport)
    if not per_item:
        only = sources[0] if len(sources) == 1 else None
        return [(only, sessions, transport)] if (sessions or transport or only) else []
    groups: dict[str | None, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
        src: ([], []) for src in sources}
    for s in sessions:
        groups.setdefault(str(s["source"]) if s.get("source") else None, ([], []))[0].append(s)
    for f in transport:
        groups.setdefault(str(f["source"]) if f.get("source") else None, ([], []))[1].append(f)
    return [(src, ss, tf) for src, (ss, tf) in groups.items()]


def _text_group(g: Mapping[str, Any], sev: Any) -> str:
    f = g["first"]
    label = str(g.get("severity", "?"))
    where = group_where(g)
    ignored = " [ignored by Adobe" + (f": {f['consequence']}" if f.get("consequence") else "") + "]" if g.get(
        "ignored") else ""
    return f"{sev(label)} {g.get('rule')}" + (f" ({where})" if where else "") + f": {f.get('message', '')}{ignored}"


# --------------------------------------------------------------------------------------------------
# Writing: one renderer and one writer for `mcscope check`, the proxy's reports and the window's export

#: The report files a front door can write, by option name (``--json`` / ``mcscope_json`` …).
REPORT_KINDS = ("json", "junit", "markdown")


def to_json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"


def _json_chunks(report: Mapping[str, Any]) -> Iterator[bytes]:
    """``printable(to_json(report))`` as UTF-8, piece by piece: a report of tens of thousands of sessions is
    never held whole as text and again as bytes (lone surrogates are single characters, so escaping each
    piece escapes the whole)."""
    pending: list[str] = []
    size = 0
    for piece in json.JSONEncoder(indent=2, ensure_ascii=False, default=str).iterencode(report):
        pending.append(piece)
        size += len(piece)
        if size >= 1 << 16:
            yield printable("".join(pending)).encode("utf-8")
            pending, size = [], 0
    pending.append("\n")
    yield printable("".join(pending)).encode("utf-8")


def render(kind: str, report: Mapping[str, Any], fail_on: str | Severity | None = "error",
           times: Mapping[str, float] | None = None) -> str:
    """The report as ``kind`` (one of :data:`REPORT_KINDS`), always encodable as UTF-8 (see printable).

    ``times``: seconds each source's check took (the JUnit ``time`` attributes)."""
    if kind == "json":
        text = to_json(report)
    elif kind == "junit":
        text = to_junit(report, fail_on, times)
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


def offending_flows(report: Mapping[str, Any]) -> set[str]:
    """Flow ids of the first finding of every rule group (the request bodies an HTML report shows)."""
    flows: set[str] = set()
    for findings in [s.get("findings", []) for s in report.get("sessions", [])] + [report.get("findings", [])]:
        for g in group_findings(findings):
            flow = g["first"].get("flow")
            if flow:
                flows.add(str(flow))
    return flows


def write_report(kind: str, report: Mapping[str, Any], path: str | Path, fail_on: str | Severity | None = "error",
                 times: Mapping[str, float] | None = None) -> None:
    """Write the report atomically (a reader never sees half a file); OSError when it cannot. A JSON report
    is written as it is encoded (the same bytes as ``render``)."""
    if kind == "json":
        write_file(path, _json_chunks(report))
    else:
        write_file(path, render(kind, report, fail_on, times).encode("utf-8"))


def write_file(path: str | Path, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (bytes, or pieces of bytes) atomically (a temporary file beside it, then a rename),
    creating missing folders; every report and export mcscope writes goes through here. OSError when it
    cannot (the temporary file is removed)."""
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            if isinstance(data, bytes | bytearray):
                fh.write(data)
            else:
                fh.writelines(data)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
