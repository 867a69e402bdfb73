"""The details pane: HTML for one event (request/response, findings explained) or one session (metrics).

Plain functions building HTML strings for a QTextBrowser, so they test without widgets.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mcscope.core.model import Exchange, Finding
from mcscope.core.rules.catalogue import RULES
from mcscope.gui import style
from mcscope.gui.metricsview import metric_label, metric_value
from mcscope.io.report import group_findings, group_where

if TYPE_CHECKING:
    from mcscope.core.session import Session
    from mcscope.core.state import Event

MAX_BODY_CHARS = 20_000
MAX_SESSION_FINDINGS = 30  # rule groups shown for a session
MAX_OCCURRENCES = 200  # findings listed inside one expanded group


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def findings_html(findings: Iterable[Finding], with_event: bool = False) -> str:
    items = []
    for f in findings:
        sev = f.severity.label
        rule = f.rule
        info = RULES.get(rule)
        colour = style.SEVERITY_FG.get(sev, style.TEXT)
        bg = style.SEVERITY_BG.get(sev, "#ffffff")
        consequence = f.consequence or (info.consequence if info else None)
        parts = [
            f'<div style="background:{bg};padding:4px 6px;margin:4px 0">'
            f'<b style="color:{colour}">{_e(style.SEVERITY_GLYPH.get(sev, ""))} {_e(sev.upper())}</b> '
            f'<a href="rule:{_e(rule)}"><code>{_e(rule)}</code></a>'
            + (f' <span style="color:{style.IGNORED_HATCH}"><b>ignored by Adobe</b></span>' if f.ignored else "")
            + (f" · event #{_e(f.event)}" if with_event and f.event is not None else "")
            + f"<br>{_e(f.message)}"
        ]
        if info is not None and info.description:
            desc = str(info.description).replace("*", "")
            parts.append(f'<br><span style="color:{style.TEXT_MUTED}">Rule: {_e(desc)}</span>')
        if consequence:
            parts.append(f"<br><i>Adobe: {_e(consequence)}</i>")
        parts.append("</div>")
        items.append("".join(parts))
    if not items:
        return f'<p style="color:{style.TEXT_MUTED}">No findings.</p>'
    return "".join(items)


def pretty_body(body: bytes | None) -> str:
    if body is None:
        return "(body not captured)"
    if not body:
        return "(empty)"
    text = body.decode("utf-8", "replace")
    try:
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        pass
    if len(text) > MAX_BODY_CHARS:
        text = text[:MAX_BODY_CHARS] + f"\n… ({len(text) - MAX_BODY_CHARS} more characters)"
    return text


def _headers(headers: list[tuple[str, str]]) -> str:
    if not headers:
        return ""
    rows = "".join(
        f"<tr><td><b>{_e(k)}</b></td><td>{_e(v)}</td></tr>" for k, v in headers
    )
    return f'<table cellspacing="0" cellpadding="1">{rows}</table>'


def exchange_html(ex: Exchange | None) -> str:
    if ex is None:
        return f'<p style="color:{style.TEXT_MUTED}">The HTTP exchange is not available.</p>'
    status = ex.response_status
    resp = (
        f"<h4>Response {_e(status)}</h4>{_headers(ex.response_headers)}<pre>{_e(pretty_body(ex.response_body))}</pre>"
        if status is not None
        else f"<h4>No response</h4><p>{_e(ex.error or '')}</p>"
    )
    return (
        f"<h4>Request</h4><p><code>{_e(ex.method)} {_e(ex.url)}</code></p>{_headers(ex.request_headers)}"
        f"<pre>{_e(pretty_body(ex.request_body))}</pre>{resp}"
    )


def wall(ts_ms: int | None) -> str:
    if ts_ms is None:
        return ""
    try:
        return datetime.fromtimestamp(ts_ms / 1000).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    except (OverflowError, OSError, ValueError):
        return str(ts_ms)


def event_html(event: Event, exchange: Exchange | None) -> str:
    title = f"#{_e(event.index)} {_e(event.event_type or '(unknown event)')}"
    facts = []
    if event.playhead is not None:
        facts.append(f"playhead {_e(event.playhead)}")
    if event.ts is not None:
        facts.append(f"ts {_e(event.ts)} ({_e(wall(event.ts))})")
    if event.status is not None:
        facts.append(f"HTTP {_e(event.status)}")
    ignored = ""
    if event.ignored:
        ignored = (
            f'<p style="background:{style.IGNORED_FILL};padding:4px"><b>Adobe ignores this event</b>: '
            f"{_e(event.ignored_reason or '')}</p>"
        )
    return (
        f"<h3>{title}</h3><p>{' · '.join(facts)}</p>{ignored}"
        f"<h4>Findings</h4>{findings_html(event.findings)}"
        f"{exchange_html(exchange)}"
    )


def metrics_html(metrics: dict[str, Any]) -> str:
    if not metrics:
        return ""
    rows = "".join(
        f"<tr><td>{_e(metric_label(k))}</td>"
        f"<td align=\"right\"><b>{_e(metric_value(k, v))}</b></td></tr>"
        for k, v in metrics.items()
    )
    return f'<h4>What Adobe will count</h4><table cellspacing="0" cellpadding="2">{rows}</table>'


def _seconds(value: object) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.1f} s" if value % 1 else f"{int(value):,} s"
    return None if value is None else str(value)


def groups_html(findings: Iterable[Finding], expanded: frozenset[str] | set[str] = frozenset(),
                limit: int = MAX_SESSION_FINDINGS) -> str:
    """Findings grouped by rule, errors first: one card per rule with its count and first/last event.

    Links: ``group:RULE`` expands or folds a card (the window keeps ``expanded``), ``event:N`` selects an
    event, ``rule:RULE`` opens the rule's explanation."""
    groups = group_findings(findings)
    if not groups:
        return f'<p style="color:{style.TEXT_MUTED}">No findings.</p>'
    items = []
    for g in groups[:limit]:
        f: Finding = g["first"]
        sev = g["severity"]
        rule = g["rule"]
        info = RULES.get(rule)
        colour = style.SEVERITY_FG.get(sev, style.TEXT)
        bg = style.SEVERITY_BG.get(sev, style.BACKGROUND)
        is_open = rule in expanded
        toggle = "▾" if is_open else "▸"
        count = f" ×{g['count']:,}" if g["count"] > 1 else ""
        where = []
        if g["first_event"] is not None:
            where.append(f'first <a href="event:{g["first_event"]}">#{g["first_event"]}</a>')
            if g["last_event"] != g["first_event"]:
                where.append(f'last <a href="event:{g["last_event"]}">#{g["last_event"]}</a>')
        parts = [
            f'<div style="background:{bg};padding:4px 6px;margin:4px 0">'
            f'<a href="group:{_e(rule)}" style="text-decoration:none">{toggle}</a> '
            f'<b style="color:{colour}">{_e(style.SEVERITY_GLYPH.get(sev, ""))} {_e(sev.upper())}</b> '
            f'<a href="rule:{_e(rule)}"><code>{_e(rule)}</code></a><b>{count}</b>'
            + (f' <span style="color:{style.IGNORED_HATCH}"><b>ignored by Adobe</b></span>' if g["ignored"] else "")
            + (f" · {' · '.join(where)}" if where else "")
            + f"<br>{_e(f.message)}"
        ]
        consequence = f.consequence or (info.consequence if info else None)
        if is_open:
            if info is not None and info.description:
                desc = str(info.description).replace("*", "")
                parts.append(f'<br><span style="color:{style.TEXT_MUTED}">Rule: {_e(desc)}</span>')
            if consequence:
                parts.append(f"<br><i>Adobe: {_e(consequence)}</i>")
            if g["count"] > 1:
                rows = []
                for one in g["findings"][:MAX_OCCURRENCES]:
                    ev = one.event
                    link = f'<a href="event:{ev}">#{ev}</a> ' if ev is not None else ""
                    rows.append(f"{link}{_e(one.message)}")
                more = g["count"] - min(g["count"], MAX_OCCURRENCES)
                if more:
                    rows.append(f"… and {more:,} more (filter the events by this rule)")
                parts.append('<br><span style="font-size:small">' + "<br>".join(rows) + "</span>")
        elif consequence:
            parts.append(f"<br><i>Adobe: {_e(consequence)}</i>")
        parts.append("</div>")
        items.append("".join(parts))
    rest = groups[limit:]
    if rest:
        n = sum(g["count"] for g in rest)
        items.append(f'<p style="color:{style.TEXT_MUTED}">… and {len(rest)} more rules ({n:,} findings; '
                     "see the events table)</p>")
    return "".join(items)


def session_html(session: Session, expanded: frozenset[str] | set[str] = frozenset(), source: str = "") -> str:
    media = session.media
    name = media.get("name") or media.get("id") or session.key
    facts = [
        ("Session id", session.sid or session.key),
        ("Status", style.status_text(session.status)),
        ("File", source),
        ("Events", len(session.events)),
        ("Content type", media.get("contentType")),
        ("Length", _seconds(media.get("length"))),
        ("Player", media.get("playerName")),
        ("Stream", media.get("streamType")),
        ("Client", session.client),
    ]
    rows = "".join(f"<tr><td>{_e(k)}</td><td><b>{_e(v)}</b></td></tr>" for k, v in facts if v not in (None, ""))
    metrics = session.metrics()
    findings = session.findings
    n_rules = len({f.rule for f in findings})
    head = (f"Findings ({len(findings):,} in {n_rules} rule{'s' if n_rules != 1 else ''})" if findings
            else "Findings")
    return (
        f"<h3>{_e(name)}</h3><table>{rows}</table>"
        f"<h4>{head}</h4>{groups_html(findings, expanded)}{metrics_html(metrics)}"
    )


def rule_html(rule: str) -> str:
    """The explanation of one rule (the catalogue entry)."""
    info = RULES.get(rule)
    if info is None:
        return f"<h3><code>{_e(rule)}</code></h3><p>This rule is not in the catalogue.</p>"
    sev = info.severity.label
    return (
        f"<h3><code>{_e(info.id)}</code></h3>"
        f'<p><b style="color:{style.SEVERITY_FG.get(sev, style.TEXT)}">{_e(style.SEVERITY_GLYPH.get(sev, ""))} '
        f"{_e(sev)}</b> · {_e(info.family)} · reference {_e(info.ref)}"
        + (" · <b>Adobe ignores what it flags</b>" if info.ignored else "") + "</p>"
        f"<p>{_e(str(info.description).replace('*', ''))}</p>"
        + (f"<p><i>Adobe: {_e(info.consequence)}</i></p>" if info.consequence else "")
    )


def finding_text(f: Finding) -> str:
    """One finding as plain text (the "copy finding" menu)."""
    where = f" (event {f.event})" if f.event is not None else ""
    text = f"{f.severity.label} {f.rule}{where}: {f.message}"
    if f.ignored:
        text += " [ignored by Adobe" + (f": {f.consequence}" if f.consequence else "") + "]"
    if f.sid:
        text += f"\nsession {f.sid}"
    return text


def group_text(findings: Iterable[Finding], rule: str) -> str:
    """A rule group as plain text: the headline, then every occurrence."""
    for g in group_findings(findings):
        if g["rule"] == rule:
            where = group_where(g)
            lines = [f"{g['severity']} {rule}" + (f" ({where})" if where else "") + f": {g['first'].message}"]
            lines += [f"  {finding_text(f).splitlines()[0]}" for f in g["findings"][:MAX_OCCURRENCES]]
            return "\n".join(lines)
    return ""
