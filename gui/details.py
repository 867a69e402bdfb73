"""The details pane: HTML for one event (request/response, findings explained) or one session (metrics).

Plain functions building HTML strings for a QTextBrowser, so they test without widgets.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from mcscope.core.model import Exchange, Finding
from mcscope.gui import style
from mcscope.gui.metricsview import metric_label, metric_value

MAX_BODY_CHARS = 20_000
MAX_SESSION_FINDINGS = 30



def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _sev(f: Finding | dict[str, Any]) -> str:
    sev = f.get("severity") if isinstance(f, dict) else f.severity
    return style.severity_label(sev) or "info"


def _get(f: Finding | dict[str, Any], name: str) -> Any:
    return f.get(name) if isinstance(f, dict) else getattr(f, name, None)


def rule_info(rule: str) -> Any:
    try:
        from mcscope.core.rules.catalogue import RULES
    except Exception:
        return None
    return RULES.get(rule)


def findings_html(findings: Iterable[Finding | dict[str, Any]], with_event: bool = False) -> str:
    items = []
    for f in findings:
        sev = _sev(f)
        rule = str(_get(f, "rule") or "")
        info = rule_info(rule)
        colour = style.SEVERITY_FG.get(sev, style.TEXT)
        bg = style.SEVERITY_BG.get(sev, "#ffffff")
        ignored = _get(f, "ignored")
        consequence = _get(f, "consequence") or (getattr(info, "consequence", None) if info else None)
        parts = [
            f'<div style="background:{bg};padding:4px 6px;margin:4px 0">'
            f'<b style="color:{colour}">{_e(sev.upper())}</b> <code>{_e(rule)}</code>'
            + (f' <span style="color:{style.IGNORED_HATCH}"><b>ignored by Adobe</b></span>' if ignored else "")
            + (f" · event #{_e(_get(f, 'event'))}" if with_event and _get(f, "event") is not None else "")
            + f"<br>{_e(_get(f, 'message'))}"
        ]
        if info is not None and getattr(info, "description", None):
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


def wall(ts_ms: Any) -> str:
    if not isinstance(ts_ms, int | float) or isinstance(ts_ms, bool):
        return ""
    try:
        return datetime.fromtimestamp(ts_ms / 1000).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    except (OverflowError, OSError, ValueError):
        return str(ts_ms)


def event_html(event: Any, exchange: Exchange | None) -> str:
    title = f"#{_e(event.index)} {_e(event.event_type or '(unknown event)')}"
    facts = []
    if event.playhead is not None:
        facts.append(f"playhead {_e(event.playhead)}")
    if event.ts is not None:
        facts.append(f"ts {_e(event.ts)} ({_e(wall(event.ts))})")
    if event.status is not None:
        facts.append(f"HTTP {_e(event.status)}")
    ignored = ""
    if getattr(event, "ignored", False):
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


def _seconds(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.1f} s" if value % 1 else f"{int(value):,} s"
    return None if value is None else str(value)


def session_html(session: Any) -> str:
    media = session.media or {}
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
    try:
        metrics = session.metrics()
    except Exception as exc:
        metrics = {"unavailable": str(exc)}
    findings = sorted(session.findings, key=lambda f: -int(style_sev_int(f)))
    shown = findings[:MAX_SESSION_FINDINGS]
    more = len(findings) - len(shown)
    tail = f'<p style="color:{style.TEXT_MUTED}">… and {more} more (see the events table)</p>' if more > 0 else ""
    head = f"Findings ({len(findings)})" if findings else "Findings"
    return (
        f"<h3>{_e(name)}</h3><table>{rows}</table>"
        f"<h4>{head}</h4>{findings_html(shown, with_event=True)}{tail}{metrics_html(metrics)}"
    )


def style_sev_int(f: Finding | dict[str, Any]) -> int:
    return {"error": 3, "warning": 2, "info": 1}.get(_sev(f), 0)
