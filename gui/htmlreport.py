"""The HTML report for bug tickets: one self-contained file (no external assets, images inline as base64).

Input is the JSON report dict (architecture.md "Report"; built by :mod:`mcscope.io.report`) plus, when
known, PNG bytes per session key (the timeline widget's ``grab()``), the request bodies of the first
offending event of every rule group (by flow id) and the capture files' modification times. No Qt here:
``mcscope check --html`` renders the same page.

Layout: the capture files, the totals, a summary table (problem sessions first, each linked to its
section), findings tied to no session, then one section per session (problem sessions first): facts,
timeline picture, findings grouped by rule (expandable, with the first offending request body; for a Media
Edge API session its XDM event) and what Adobe will count. Every session shows its protocol (REST or Edge) as
a badge in the summary table and its section header.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from mcscope.gui import style
from mcscope.gui.metricsview import metric_label, metric_value
from mcscope.io.report import group_findings, group_where, plural

#: characters of a request body shown per finding group
MAX_BODY = 3000
#: occurrences listed inside one expanded group
MAX_OCCURRENCES = 12

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#212121;margin:24px;max-width:1280px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:30px 0 6px;border-bottom:1px solid #ddd;padding-bottom:2px}
h3{font-size:15px;margin:14px 0 6px}a{color:#0b62a4}.muted{color:#616161}
.sum{display:flex;gap:10px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:6px 14px;min-width:80px}.card b{display:block;font-size:20px}
table{border-collapse:collapse;margin:6px 0;font-size:13px}table.sessions{width:100%}
table.sessions td:first-child{max-width:260px;overflow-wrap:anywhere}
td,th{border:1px solid #e0e0e0;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f5f5f5}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.error{color:#c62828;font-weight:600}.warning{color:#b36200;font-weight:600}.info{color:#1f5fbf}
tr.sev-error td.w{background:#fde2e2}tr.sev-warning td.w{background:#fff1d0}
td.bad{background:#fde2e2;color:#c62828;font-weight:600}td.warn{background:#fff1d0;color:#b36200;font-weight:600}
td.ign{background:#f8d7e6;color:#880e4f;font-weight:600}
.ign{background:#f8d7e6;color:#880e4f;border-radius:3px;padding:0 4px;font-size:12px}
.st{white-space:nowrap;font-weight:600}
img.tl{max-width:100%;border:1px solid #ddd;margin:6px 0}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
pre{background:#f6f8fa;border:1px solid #e0e0e0;padding:6px 8px;max-height:320px;overflow:auto;white-space:pre-wrap}
details.g{border:1px solid #e0e0e0;border-left:4px solid #bdbdbd;border-radius:4px;margin:5px 0;padding:3px 8px}
details.g-error{border-left-color:#c62828;background:#fffafa}details.g-warning{border-left-color:#f29900}
details.g-info{border-left-color:#3b82d6}details.g>summary{cursor:pointer;font-weight:400;color:#212121}
details.g ol{margin:4px 0;padding-left:22px;font-size:13px}
.proto{display:inline-block;font-size:11px;font-weight:700;line-height:14px;padding:0 5px;border-radius:3px;
vertical-align:2px;border:1px solid #5f6b73;color:#5f6b73;background:#fff}
.proto-edge{background:#006d77;border-color:#006d77;color:#fff;clip-path:polygon(5px 0,calc(100% - 5px) 0,100% 50%,
calc(100% - 5px) 100%,5px 100%,0 50%);padding:0 8px;border-radius:0}
h2 .proto{font-size:12px}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:-1px}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _date(epoch_ms: Any) -> str:
    if not isinstance(epoch_ms, int | float) or isinstance(epoch_ms, bool):
        return ""
    try:
        return datetime.fromtimestamp(epoch_ms / 1000).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return ""


def _light(name: str) -> Any:
    return style.light(name)


def _status(status: Any) -> str:
    st = str(status or "")
    color = _light("STATUS_COLOR").get(st, "#616161")
    return f'<span class="st" style="color:{color}">{_e(style.status_text(st))}</span>'


def _protocol(s: Mapping[str, Any]) -> str:
    """"edge" or "rest" (reports written before Media Edge support carry no protocol: REST)."""
    return style.protocol_of(s.get("protocol"))


def _badge(protocol: str) -> str:
    """REST: an outlined box; Edge: filled with pointed ends (the window's badge: shape tells them apart)."""
    return (f'<span class="proto proto-{_e(protocol)}" title="{_e(style.PROTOCOL_NAME[protocol])}">'
            f"{_e(style.PROTOCOL_TEXT[protocol])}</span>")


def _sev(label: str) -> str:
    return f'<span class="{_e(label)}">{_e(style.SEVERITY_GLYPH.get(label, ""))} {_e(label)}</span>'


def pretty(body: bytes | str | None, limit: int = MAX_BODY) -> str:
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than json reads
        pass
    if len(text) > limit:
        text = text[:limit] + f"\n… ({len(text) - limit:,} more characters)"
    return text


def _session_counts(s: Mapping[str, Any]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in s.get("findings") or []:
        label = str(f.get("severity"))
        if label in counts:
            counts[label] += 1
    ignored = s.get("ignored_events")
    counts["ignored"] = ignored if isinstance(ignored, int) else 0
    return counts


PROBLEM_STATUSES = frozenset({"timed-out", "gone", "rejected"})


def problem_rank(s: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """Sort key: errors, then warnings, ignored events and problem statuses first (stable otherwise)."""
    c = _session_counts(s)
    bad_status = 1 if s.get("status") in PROBLEM_STATUSES else 0
    return (-min(c["error"], 1), -min(c["warning"] + c["ignored"] + bad_status, 1), -c["error"], -c["warning"])


def edge_xdm(body: bytes | str) -> list[Any] | None:
    """The ``events[].xdm`` objects of a Media Edge API request body (None: not such a body)."""
    try:
        payload = json.loads(body)
    except (ValueError, TypeError, RecursionError):
        return None
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        return None
    xdm = [e["xdm"] for e in events if isinstance(e, dict) and isinstance(e.get("xdm"), dict)]
    return xdm or None


def _body_html(body: bytes | str, event: Any, protocol: str) -> str:
    """The first offending request: for Edge its XDM event (the envelope around it is the same in every
    request), else the body."""
    at = f" (event {_e(event)})" if event is not None else ""
    xdm = edge_xdm(body) if protocol == "edge" else None
    if xdm is None:
        return f"<div>Request body of the first offending event{at}:</div><pre>{_e(pretty(body))}</pre>"
    if len(xdm) == 1:
        return (f"<div>XDM of the first offending event{at}, <code>events[0].xdm</code>:</div>"
                f"<pre>{_e(pretty(json.dumps(xdm[0], ensure_ascii=False)))}</pre>")
    return (f"<div>XDM events of the request of the first offending event{at}, <code>events[].xdm</code>:</div>"
            f"<pre>{_e(pretty(json.dumps(xdm, ensure_ascii=False)))}</pre>")


def _groups_html(findings: list[Mapping[str, Any]], bodies: Mapping[str, bytes | str], open_first: bool = True,
                 protocol: str = "rest") -> str:
    if not findings:
        return '<p class="muted">No findings.</p>'
    from mcscope.core.rules.catalogue import RULES

    out = []
    for n, g in enumerate(group_findings(findings)):
        first = g["first"]
        label = g["severity"]
        where = group_where(g)
        info = RULES.get(g["rule"])
        ignored = ' <span class="ign">ignored by Adobe</span>' if g["ignored"] else ""
        head = (f"{_sev(label)} <code>{_e(g['rule'])}</code>"
                + (f' <span class="muted">({_e(where)})</span>' if where else "")
                + f"{ignored} — {_e(first.get('message'))}")
        inner = []
        if info is not None and info.description:
            inner.append(f'<div class="muted">Rule ({_e(info.ref)}): {_e(str(info.description).replace("*", ""))}'
                         "</div>")
        consequence = first.get("consequence") or (info.consequence if info else None)
        if consequence:
            inner.append(f"<div><i>Adobe: {_e(consequence)}</i></div>")
        if g["count"] > 1:
            same = all(f.get("message") == first.get("message") for f in g["findings"])
            if same and g["events"]:  # one message: the events are enough
                shown = ", ".join(str(ev) for ev in g["events"][:MAX_OCCURRENCES * 4])
                more = len(g["events"]) - min(len(g["events"]), MAX_OCCURRENCES * 4)
                inner.append(f"<div>Events: {_e(shown)}" + (f" … and {more:,} more" if more else "") + "</div>")
            else:
                items = "".join(
                    f"<li>{'event ' + _e(f.get('event')) + ': ' if f.get('event') is not None else ''}"
                    f"{_e(f.get('message'))}</li>" for f in g["findings"][:MAX_OCCURRENCES])
                more = g["count"] - min(g["count"], MAX_OCCURRENCES)
                inner.append(f"<ol>{items}</ol>" + (f'<p class="muted">… and {more:,} more</p>' if more else ""))
        body = bodies.get(str(first.get("flow") or ""))
        if body is not None:
            inner.append(_body_html(body, first.get("event"), style.protocol_of(first.get("protocol") or protocol)))
        opened = " open" if open_first and n == 0 and label == "error" else ""
        out.append(f'<details class="g g-{_e(label)}"{opened}><summary>{head}</summary>{"".join(inner)}</details>')
    return "".join(out)


def _metrics_table(metrics: Mapping[str, Any]) -> str:
    if not metrics:
        return ""
    rows = "".join(
        f"<tr><th>{_e(metric_label(k))}</th><td class=n>{_e(metric_value(k, v))}</td></tr>"
        for k, v in metrics.items()
    )
    return f"<table>{rows}</table>"


def _title(s: Mapping[str, Any]) -> str:
    media = s.get("media") or {}
    return str(media.get("name") or media.get("id") or s.get("sid") or s.get("key") or "session")


def _session_block(s: Mapping[str, Any], anchor: str, png: bytes | None, bodies: Mapping[str, bytes | str],
                   single_source: bool) -> str:
    media = s.get("media") or {}
    title = _title(s)
    protocol = _protocol(s)
    parts = [f'<h2 id="{anchor}">{_badge(protocol)} {_e(title)} {_status(s.get("status"))}</h2>']
    facts = [
        ("Protocol", style.PROTOCOL_NAME[protocol]),
        ("Session id", s.get("sid") or s.get("key")),
        ("File", None if single_source else s.get("source")),
        ("Started", _date(s.get("first_ts"))),
        ("Events", s.get("events")),
        ("Content type", media.get("contentType")),
        ("Length (s)", media.get("length")),
        ("Player", media.get("playerName")),
    ]
    parts.append(
        '<p class="muted">' + " · ".join(f"{_e(k)}: <b>{_e(v)}</b>" for k, v in facts if v not in (None, ""))
        + ' · <a href="#top">back to the summary</a></p>'
    )
    if png:
        b64 = base64.b64encode(png).decode("ascii")
        parts.append(f'<img class="tl" alt="timeline of {_e(title)}" src="data:image/png;base64,{b64}">')
    findings = list(s.get("findings") or [])
    parts.append(f"<h3>Findings ({len(findings):,})</h3>" if findings else "<h3>Findings</h3>")
    parts.append(_groups_html(findings, bodies, protocol=protocol))
    metrics = s.get("metrics") or {}
    if metrics:
        parts.append("<h3>What Adobe will count</h3>")
        parts.append(_metrics_table(metrics))
    return "\n".join(parts)


def _files_table(report: Mapping[str, Any], file_times: Mapping[str, float]) -> str:
    sources = [str(x) for x in report.get("sources") or []]
    if not sources:
        return ""
    sessions = list(report.get("sessions") or [])
    per_item = any("source" in s for s in sessions)
    rows = []
    for src in sources:
        mine = [s for s in sessions if (s.get("source") == src if per_item else True)]
        firsts = [s.get("first_ts") for s in mine if isinstance(s.get("first_ts"), int | float)]
        lasts = [s.get("last_ts") for s in mine if isinstance(s.get("last_ts"), int | float)]
        span = f"{_date(min(firsts))} → {_date(max(lasts))}" if firsts and lasts else ""
        mtime = file_times.get(src)
        saved = datetime.fromtimestamp(mtime).strftime("%Y-%m-%d %H:%M") if isinstance(mtime, int | float) else ""
        counts = {"error": 0, "warning": 0}
        for s in mine:
            c = _session_counts(s)
            counts["error"] += c["error"]
            counts["warning"] += c["warning"]
        what = plural(len(mine), "session") if mine else '<span class="warning">no session found</span>'
        rows.append(f"<tr><td><code>{_e(Path(src).name)}</code></td><td>{_e(saved)}</td><td>{_e(span)}</td>"
                    f"<td>{what}</td><td class=n>{counts['error']:,}</td><td class=n>{counts['warning']:,}</td></tr>")
    return ("<h3>Capture files</h3><table><tr><th>File</th><th>File date</th><th>Captured (first → last event)"
            "</th><th>Sessions</th><th>Errors</th><th>Warnings</th></tr>" + "".join(rows) + "</table>")


def _summary_table(sessions: list[tuple[str, Mapping[str, Any]]], single_source: bool) -> str:
    if not sessions:
        return '<p class="muted">No Media Collection sessions found.</p>'
    head = ("<tr><th>Session</th><th>Protocol</th><th>Status</th>" + ("" if single_source else "<th>File</th>")
            + "<th>Events</th><th>Errors</th><th>Warnings</th><th>Ignored</th><th>Worst finding</th></tr>")
    rows = []
    for anchor, s in sessions:
        c = _session_counts(s)
        groups = group_findings(s.get("findings") or [])
        worst = ""
        if groups:
            g = groups[0]
            worst = (f"{_sev(g['severity'])} <code>{_e(g['rule'])}</code>"
                     + (f" ×{g['count']:,}" if g["count"] > 1 else "")
                     + f' <span class="muted">{_e(str(g["first"].get("message") or "")[:90])}</span>')
        sev = "error" if c["error"] else "warning" if c["warning"] else ""
        rows.append(
            f'<tr class="sev-{sev}"><td class=w><a href="#{anchor}">{_e(_title(s))}</a><br>'
            f'<code class="muted">{_e(str(s.get("sid") or s.get("key") or "")[:12])}…</code></td>'
            f"<td>{_badge(_protocol(s))}</td><td>{_status(s.get('status'))}</td>"
            + ("" if single_source else f"<td><code>{_e(Path(str(s.get('source') or '')).name)}</code></td>")
            + f"<td class=n>{_e(_fmt(s.get('events') or 0))}</td>"
            f"<td class=\"n{' bad' if c['error'] else ''}\">{c['error']:,}</td>"
            f"<td class=\"n{' warn' if c['warning'] else ''}\">{c['warning']:,}</td>"
            f"<td class=\"n{' ign' if c['ignored'] else ''}\">{c['ignored']:,}</td><td>{worst}</td></tr>"
        )
    return f'<table class="sessions">{head}{"".join(rows)}</table>'


def _legend() -> str:
    mark = _light("SEVERITY_MARK")
    items = [("Playing", style.PLAYBACK["playing"]), ("Paused", style.PLAYBACK["paused"]),
             ("Buffering", style.PLAYBACK["buffering"]), ("Stalled", style.PLAYBACK["stalled"]),
             ("Ad break", style.ADBREAK), ("Ad", style.AD), ("Chapter", style.CHAPTER[1]),
             ("Ping gap", style.PING_GAP), ("Error", mark["error"]), ("Warning", mark["warning"]),
             ("Dropped by Adobe", _light("DROPPED_GREY"))]
    spans = "".join(f'<span><i style="background:{c}"></i>{_e(t)}</span>' for t, c in items)
    hatch = (f"repeating-linear-gradient(135deg,{_light('IGNORED_HATCH')} 0 2px,{_light('IGNORED_FILL')} 2px 6px)")
    spans += f'<span><i style="background:{hatch}"></i>Ignored by Adobe</span>'
    return f'<p class="legend muted">Timeline pictures: {spans}</p>'


def render_html(report: Mapping[str, Any], images: Mapping[str, bytes] | None = None,
                title: str = "mcscope report", bodies: Mapping[str, bytes | str] | None = None,
                file_times: Mapping[str, float] | None = None, note: str = "") -> str:
    """The whole report as one HTML string.

    ``images`` maps a session's sid or key to PNG bytes, ``bodies`` a flow id to its request body,
    ``file_times`` a source to its modification time (epoch seconds); ``note`` is a line under the title
    (e.g. why some timeline pictures were left out)."""
    images = images or {}
    bodies = bodies or {}
    tool = report.get("tool") or {}
    summary = report.get("summary") or {}
    sources = [str(x) for x in report.get("sources") or []]
    single = len(sources) <= 1
    cards = "".join(
        f'<div class="card"><b>{_e(_fmt(summary.get(k, 0)))}</b>{_e(label)}</div>'
        for k, label in (
            ("sessions", "sessions"), ("events", "events"), ("errors", "errors"),
            ("warnings", "warnings"), ("infos", "infos"), ("ignored_events", "events Adobe ignores"),
        )
    )
    numbered = [(f"s{i + 1}", s) for i, s in enumerate(report.get("sessions") or [])]
    ordered = sorted(numbered, key=lambda item: problem_rank(item[1]))
    generated = datetime.now().strftime("%Y-%m-%d %H:%M")
    body = [
        f'<h1 id="top">{_e(title)}</h1>',
        f'<p class="muted">{_e(tool.get("name", "mcscope"))} {_e(tool.get("version", ""))} · generated '
        f"{_e(generated)}" + (f" · {_e(note)}" if note else "") + "</p>",
        f'<div class="sum">{cards}</div>',
        _files_table(report, file_times or {}),
        "<h3>Sessions (problems first)</h3>",
        _summary_table(ordered, single),
    ]
    transport = list(report.get("findings") or [])
    if transport:
        body.append("<h2>Findings tied to no session</h2>")
        body.append(_groups_html(transport, bodies))
    if images:
        body.append(_legend())
    for anchor, s in ordered:
        key = s.get("key") or s.get("sid") or ""
        png = images.get(str(key)) or images.get(str(s.get("sid") or ""))
        body.append(_session_block(s, anchor, png, bodies, single))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width\"><title>{_e(title)}</title>"
        f"<style>{CSS}</style></head><body>\n"
        + "\n".join(b for b in body if b)
        + "\n</body></html>\n"
    )
