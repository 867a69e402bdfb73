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

if TYPE_CHECKING:
    from mcscope.core.session import Session
    from mcscope.core.state import Event

MAX_BODY_CHARS = 20_000
MAX_SESSION_FINDINGS = 30


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
            f'<b style="color:{colour}">{_e(sev.upper())}</b> <code>{_e(rule)}</code>'
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


def session_html(session: Session) -> str:
    media = session.media
    name = media.get("name") or media.get("id") or session.key
    facts = [
        ("Session id", session.sid or session.key),
        ("Status", style.STATUS_TEXT.get(session.status, session.status)),
        ("Events", len(session.events)),
        ("Content type", media.get("contentType")),
        ("Length", _seconds(media.get("length"))),
        ("Player", media.get("playerName")),
        ("Stream", media.get("streamType")),
        ("Client", session.client),
    ]
    rows = "".join(f"<tr><td>{_e(k)}</td><td><b>{_e(v)}</b></td></tr>" for k, v in facts if v not in (None, ""))
    metrics = session.metrics()
    findings = sorted(session.findings, key=lambda f: -int(f.severity))
    shown = findings[:MAX_SESSION_FINDINGS]
    more = len(findings) - len(shown)
    tail = f'<p style="color:{style.TEXT_MUTED}">… and {more} more (see the events table)</p>' if more > 0 else ""
    head = f"Findings ({len(findings)})" if findings else "Findings"
    return (
        f"<h3>{_e(name)}</h3><table>{rows}</table>"
        f"<h4>{head}</h4>{findings_html(shown, with_event=True)}{tail}{metrics_html(metrics)}"
    )

