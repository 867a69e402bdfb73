"""The details pane: HTML for one event (request/response, findings explained) or one session (metrics).

Plain functions building HTML strings for a QTextBrowser, so they test without widgets.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from datetime import datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from mcscope.core import edge_exchange as ee
from mcscope.core import edge_spec as es
from mcscope.core.model import Exchange, Finding, Severity
from mcscope.core.rules.catalogue import RULES
from mcscope.gui import style
from mcscope.gui.metricsview import metric_label, metric_value
from mcscope.gui.timeline.data import session_title
from mcscope.io.report import group_findings, group_where

if TYPE_CHECKING:
    from mcscope.core.session import Session
    from mcscope.core.state import Event

MAX_BODY_CHARS = 20_000
MAX_SESSION_FINDINGS = 30  # rule groups shown for a session
MAX_OCCURRENCES = 200  # findings listed inside one expanded group
#: Bodies stay monospace with their line breaks, but a line longer than the pane wraps (at a space, else
#: anywhere: QTextBrowser's default wrap mode) instead of making the whole pane scroll sideways.
PRE = '<pre style="white-space:pre-wrap">'


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


def _clip(text: str) -> str:
    text = text.replace("\x00", "\u2400")  # a NUL would end the pane's text
    if len(text) > MAX_BODY_CHARS:
        text = text[:MAX_BODY_CHARS] + f"\n… ({len(text) - MAX_BODY_CHARS} more characters)"
    return text


def pretty_json(value: Any) -> str:
    """``value`` as indented JSON (what a body held), clipped; never raises."""
    try:
        return _clip(json.dumps(value, indent=2, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):
        return _clip(repr(value))


def pretty_body(body: bytes | None) -> str:
    if body is None:
        return "(body not captured)"
    if not body:
        return "(empty)"
    text = body.decode("utf-8", "replace")
    try:
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        pass
    return _clip(text)


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
        f"<h4>Response {_e(status)}</h4>{_headers(ex.response_headers)}{PRE}{_e(pretty_body(ex.response_body))}</pre>"
        if status is not None
        else f"<h4>No response</h4><p>{_e(ex.error or '')}</p>"
    )
    return (
        f"<h4>Request</h4><p><code>{_e(ex.method)} {_e(ex.url)}</code></p>{_headers(ex.request_headers)}"
        f"{PRE}{_e(pretty_body(ex.request_body))}</pre>{resp}"
    )


def _is_edge(value: object) -> bool:
    return style.protocol_of(value) == "edge"


def exchange_html_for(event: Event, ex: Exchange | None) -> str:
    """The exchange as the event's protocol reads it: Media Edge API calls through :func:`edge_exchange_html`."""
    return edge_exchange_html(ex, event) if _is_edge(event) and ex is not None else exchange_html(ex)


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
    if _is_edge(event):
        facts.append(_e(style.PROTOCOL_NAME["edge"]))
    return (
        f"<h3>{title}</h3><p>{' · '.join(facts)}</p>{ignored}"
        f"<h4>Findings</h4>{findings_html(event.findings)}"
        f"{exchange_html_for(event, exchange)}"
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
    name = session_title(session)
    protocol = style.protocol_of(session)
    facts = [
        ("Session id", session.sid or session.key),
        ("Protocol", style.PROTOCOL_NAME[protocol]),
        ("Location hint", (getattr(session, "edge_hint", None) or "none (calls go to /ee/)") if protocol == "edge"
         else None),
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


def rule_severities(rule: str, protocol: str | None = None) -> list[tuple[str, Severity | None]]:
    """(protocol, default severity or None where the rule is not judged) of ``rule``: ``protocol``'s first when
    given, else REST then Edge. Empty for a rule not in the catalogue."""
    info = RULES.get(rule)
    if info is None:
        return []
    order = ("edge", "rest") if protocol == "edge" else ("rest", "edge")
    return [(p, info.severity_for(p)) for p in order]


def _default_severity_html(rule: str, protocol: str | None) -> str:
    """The rule's default severity: with ``protocol`` (the session's), the one that applies there in colour and
    the other protocol's after it, muted; without, both side by side."""
    parts = []
    for i, (p, sev) in enumerate(rule_severities(rule, protocol)):
        name = style.PROTOCOL_TEXT[p]
        if sev is None:
            parts.append(f'<span style="color:{style.TEXT_MUTED}">not judged on {_e(name)}</span>')
            continue
        label = sev.label
        badge = f"{_e(style.SEVERITY_GLYPH.get(label, ''))} {_e(label)}"
        if protocol is not None and i > 0:
            parts.append(f'<span style="color:{style.TEXT_MUTED}">{_e(name)}: {badge}</span>')
        else:
            parts.append(f'<b style="color:{style.SEVERITY_FG.get(label, style.TEXT)}">{badge}</b> on {_e(name)}')
    return " · ".join(parts)


def rule_html(rule: str, protocol: str | None = None) -> str:
    """The explanation of one rule (the catalogue entry) with its default severity on ``protocol`` ("rest" or
    "edge": the session's) first, or on both protocols when None."""
    info = RULES.get(rule)
    if info is None:
        return f"<h3><code>{_e(rule)}</code></h3><p>This rule is not in the catalogue.</p>"
    return (
        f"<h3><code>{_e(info.id)}</code></h3>"
        f"<p>{_default_severity_html(rule, protocol)} · {_e(info.family)} · reference {_e(info.ref)}"
        + (" · <b>Adobe ignores what it flags</b>" if info.ignored else "") + "</p>"
        f"<p>{_e(str(info.description).replace('*', ''))}</p>"
        + (f"<p><i>Adobe: {_e(info.consequence)}</i></p>" if info.consequence else "")
    )


def finding_text(f: Finding) -> str:
    """One finding as plain text (the "copy finding" menu)."""
    where = [style.PROTOCOL_NAME["edge"]] if _is_edge(f) else []  # REST lines stay as they always were
    if f.event is not None:
        where.append(f"event {f.event}")
    text = f"{f.severity.label} {f.rule}" + (f" ({', '.join(where)})" if where else "") + f": {f.message}"
    if f.ignored:
        text += " [ignored by Adobe" + (f": {f.consequence}" if f.consequence else "") + "]"
    if f.sid:
        text += f"\nsession {f.sid}"
    return text


def group_text(findings: Iterable[Finding], rule: str) -> str:
    """A rule group as plain text: the headline, then every occurrence."""
    for g in group_findings(findings):
        if g["rule"] == rule:
            where = ", ".join(w for w in ((style.PROTOCOL_NAME["edge"] if _is_edge(g["first"]) else ""),
                                           group_where(g)) if w)
            lines = [f"{g['severity']} {rule}" + (f" ({where})" if where else "") + f": {g['first'].message}"]
            lines += [f"  {finding_text(f).splitlines()[0]}" for f in g["findings"][:MAX_OCCURRENCES]]
            return "\n".join(lines)
    return ""


# --------------------------------------------------------------------------------------- Media Edge API
MAX_REPORT_DETAILS = 100  # report.details entries listed per error


def _text(value: object) -> str | None:
    """A JSON scalar as text (None for objects, lists, null: garbage where a string belongs is not shown)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return None


def report_details(item: dict[str, Any]) -> list[tuple[str, str]] | str | None:
    """``report.details`` of an Edge error as (JSONPath, reason) pairs, or its text when the Edge sent a string
    (media-edge.md §1.7; the 207 schema's ``report.report`` spelling too). None: there is none."""
    report = item.get("report")
    if not isinstance(report, dict):
        return None
    details = report.get("details")
    if details is None:
        details = report.get("report")
    if isinstance(details, str):
        return details
    if not isinstance(details, list):
        return None
    pairs = []
    for d in details:
        if isinstance(d, dict):
            pairs.append((_text(d.get("name")) or "", _text(d.get("reason")) or _text(d.get("message")) or ""))
        elif _text(d) is not None:
            pairs.append(("", str(_text(d))))
    return pairs


def problem_html(item: dict[str, Any], kind: str = "error") -> str:
    """One Edge error (a problem+json answer, or an entry of a 207's ``errors[]``/``warnings[]``): its type,
    status, title, detail, and each ``report.details`` JSONPath with its reason as a list."""
    sev = "warning" if kind == "warning" else "error"
    code = ee.error_code(item)
    title = _text(item.get("title"))
    status = _text(item.get("status"))
    head = " ".join(p for p in (f"<code>{_e(code)}</code>" if code else "", f"<b>{_e(title)}</b>" if title else "",
                                f"(status {_e(status)})" if status else "") if p)
    parts = [f'<div style="background:{style.SEVERITY_BG[sev]};padding:4px 6px;margin:4px 0">'
             f'<b style="color:{style.SEVERITY_FG[sev]}">{_e(style.SEVERITY_GLYPH[sev])} '
             f"{'Warning' if sev == 'warning' else 'Error'}</b> {head or '(no type or title)'}"]
    detail = _text(item.get("detail"))
    if detail:
        parts.append(f"<br>{_e(detail)}")
    report = item.get("report")
    if isinstance(report, dict):
        where = [f"event index {_e(_text(report.get('eventIndex')))}" if _text(report.get("eventIndex")) else "",
                 f"request {_e(_text(report.get('requestId')))}" if _text(report.get("requestId")) else ""]
        if any(where):
            parts.append(f'<br><span style="color:{style.TEXT_MUTED}">{" · ".join(w for w in where if w)}</span>')
    details = report_details(item)
    if isinstance(details, str):
        parts.append(f"<br>{_e(details)}")
    elif details:
        rows = "".join(
            "<li>" + (f"<code>{_e(name)}</code>" if name else "") + (": " if name and reason else "")
            + _e(reason) + "</li>" for name, reason in details[:MAX_REPORT_DETAILS])
        more = len(details) - min(len(details), MAX_REPORT_DETAILS)
        parts.append(f"<ul style=\"margin:2px 0\">{rows}</ul>"
                     + (f"… and {more:,} more" if more else ""))
    parts.append("</div>")
    return "".join(parts)


def _handles_html(handles: list[Any]) -> list[str]:
    rows = []
    for h in handles:
        if not isinstance(h, dict):
            continue
        kind = _text(h.get("type")) or "(no type)"
        payload = h.get("payload")
        items = [p for p in payload if isinstance(p, dict)] if isinstance(payload, list) else []
        if kind == es.NEW_SESSION_HANDLE:
            sids = [_text(p.get("sessionId")) for p in items]
            shown = ", ".join(f"<code>{_e(sid)}</code>" for sid in sids if sid) or "<b>no sessionId</b>"
            index = _text(h.get("eventIndex"))
            rows.append(f"New session: {shown}" + (f" (event index {_e(index)})" if index else ""))
        elif kind == es.LOCATION_HINT_HANDLE:
            for p in items:
                hint, scope, ttl = _text(p.get("hint")), _text(p.get("scope")), _text(p.get("ttlSeconds"))
                rows.append(f"Location hint{f' ({_e(scope)})' if scope else ''}: <b>{_e(hint or '(none)')}</b>"
                            + (f" for {_e(ttl)} s" if ttl else ""))
        else:
            rows.append(f"Handle <code>{_e(kind)}</code> ({len(items)} item{'s' if len(items) != 1 else ''})")
    return rows


def _is_problem(record: dict[str, Any]) -> bool:
    return isinstance(record.get("type"), str) and "status" in record


def answer_has_problems(body: bytes | None) -> bool:
    """The Edge answered a problem+json or a 207 with errors or warnings."""
    for record in ee.response_records(body):
        if isinstance(record, dict) and (_is_problem(record) or any(
                isinstance(record.get(k), list) and any(isinstance(i, dict) for i in record[k])
                for k in ("errors", "warnings"))):
            return True
    return False


def edge_answer_html(body: bytes | None, with_body: bool = True) -> str:
    """What the Edge answered, readable: the handles (new session id, location hint), every error and
    warning (problem+json or a 207's lists), then (``with_body``) the body itself, streamed records one by one."""
    records = [r for r in ee.response_records(body) if isinstance(r, dict)]
    parts: list[str] = []
    handles: list[str] = []
    for record in records:
        if _is_problem(record):
            parts.append(problem_html(record))
        h = record.get("handle")
        if isinstance(h, list):
            handles += _handles_html(h)
        for key in ("errors", "warnings"):
            items = record.get(key)
            if isinstance(items, list):
                parts += [problem_html(i, key[:-1]) for i in items if isinstance(i, dict)]
    head = f"<ul style=\"margin:2px 0\">{''.join(f'<li>{row}</li>' for row in handles)}</ul>" if handles else ""
    return head + "".join(parts) + (f"{PRE}{_e(readable_body(body))}</pre>" if with_body else "")


def readable_body(body: bytes | None) -> str:
    """An answer's body for people: streamed ``\\u0000{json}\\n`` records one after the other, each indented;
    anything else as :func:`pretty_body`."""
    if not body or b"\x00" not in body:
        return pretty_body(body)
    records = ee.response_records(body)
    if not records:
        return pretty_body(body)
    return _clip(f"(streamed: {len(records)} record{'s' if len(records) != 1 else ''})\n"
                 + "\n".join(pretty_json(r) for r in records))


def _call_facts(call: ee.EdgeCall, event: Event | None) -> str:
    endpoint = f"/va/v1/{call.path_segment}" if call.kind in (ee.VA, ee.DOWNLOADED) else "/v1/interact"
    if call.pre_prod:
        endpoint = "pre-production " + endpoint
    n = len(call.events)
    position = _position(call, event)
    if n > 1 and position is not None:
        endpoint += f" (media event {position + 1} of {n})"
    facts = [("Endpoint", endpoint),
             ("Location hint", call.hint or "none (sent to /ee/)"),
             ("configId", call.config_id or "missing"),
             ("requestId", call.request_id)]
    rows = "".join(f"<tr><td>{_e(k)}</td><td><b>{_e(v)}</b></td></tr>" for k, v in facts if v)
    return f'<table cellspacing="0" cellpadding="1">{rows}</table>'


def _position(call: ee.EdgeCall, event: Event | None) -> int | None:
    xdm = getattr(event, "xdm", None)
    if xdm is None:
        return None
    for i, x in enumerate(call.events):
        if x == xdm:
            return i
    return None


def edge_exchange_html(ex: Exchange | None, event: Event | None = None) -> str:
    """A Media Edge API exchange: the URL with its location hint and configId, the event's XDM
    (``events[i].xdm``) apart from the rest of the envelope, and the answer made readable; an answer with
    errors or warnings comes first (it says what the Edge refused)."""
    if ex is None:
        return exchange_html(None)
    call = ee.parse(ex)
    xdm = getattr(event, "xdm", None)
    if xdm is None and call.events:
        xdm = call.events[0]
    payload = call.payload
    req = [f"<h4>Request</h4><p><code>{_e(ex.method)} {_e(ex.url)}</code></p>{_call_facts(call, event)}"
           f"{_headers(ex.request_headers)}"]
    rest = ""  # the envelope around the events: long (meta, identityMap) and rarely the point, so last
    if isinstance(xdm, dict):
        position = _position(call, event)
        req.append(f"<h4>XDM event (<code>events[{position if position is not None else 0}].xdm</code>)</h4>"
                   f"{PRE}{_e(pretty_json(xdm))}</pre>")
    if isinstance(payload, dict):
        others = {k: v for k, v in payload.items() if k != "events"}
        if others:
            rest = f"<h4>Rest of the request body</h4>{PRE}{_e(pretty_json(others))}</pre>"
    else:  # no envelope to take apart: the body as it came
        req.append(f"{PRE}{_e(pretty_body(ex.request_body))}</pre>")
    status = ex.response_status
    if status is None:
        resp = f"<h4>No response</h4><p>{_e(ex.error or '')}</p>"
    else:
        head = f"<h4>Response {_e(status)}{_e(_phrase(status))}</h4>{_headers(ex.response_headers)}"
        if answer_has_problems(ex.response_body):  # what the Edge refused first, its raw body after the request
            return (head + edge_answer_html(ex.response_body, with_body=False) + "".join(req)
                    + f"<h4>Response body</h4>{PRE}{_e(readable_body(ex.response_body))}</pre>" + rest)
        resp = head + edge_answer_html(ex.response_body)
    return "".join(req) + resp + rest


def _phrase(status: int) -> str:
    try:
        return " " + HTTPStatus(status).phrase
    except ValueError:
        return ""
