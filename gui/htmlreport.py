"""The HTML report for bug tickets: one self-contained file (no external assets, images inline as base64).

Input is the JSON report dict (architecture.md "Report"; built by :mod:`mcscope.io.report`) plus optional
PNG bytes per session key (the timeline widget's ``grab()``). No Qt here.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping
from typing import Any

from mcscope.gui.metricsview import metric_label, metric_value

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#212121;
margin:24px;max-width:1280px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:16px 0 6px}
.muted{color:#616161} .sum{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:90px}
.card b{display:block;font-size:20px}
table{border-collapse:collapse;margin:6px 0;font-size:13px} td,th{border:1px solid #e0e0e0;padding:3px 8px;
text-align:left;vertical-align:top} th{background:#f5f5f5}
.error{color:#c62828;font-weight:600} .warning{color:#b36200;font-weight:600} .info{color:#1f5fbf}
tr.sev-error{background:#fde2e2} tr.sev-warning{background:#fff1d0} tr.sev-info{background:#e6f0fc}
.ign{background:#f8d7e6;color:#880e4f;border-radius:3px;padding:0 4px;font-size:12px}
img.tl{max-width:100%;border:1px solid #ddd;margin:6px 0}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
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


def _findings_table(findings: list[Mapping[str, Any]]) -> str:
    if not findings:
        return '<p class="muted">No findings.</p>'
    rows = []
    for f in findings:
        sev = str(f.get("severity", ""))
        ignored = '<span class="ign">ignored by Adobe</span> ' if f.get("ignored") else ""
        consequence = f.get("consequence") or ""
        rows.append(
            f'<tr class="sev-{_e(sev)}"><td class="{_e(sev)}">{_e(sev)}</td>'
            f'<td><code>{_e(f.get("rule"))}</code></td>'
            f"<td>{_e(f.get('event'))}</td><td>{ignored}{_e(f.get('message'))}"
            + (f'<div class="muted">{_e(consequence)}</div>' if consequence else "")
            + "</td></tr>"
        )
    return (
        "<table><tr><th>Severity</th><th>Rule</th><th>Event</th><th>Message</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _metrics_table(metrics: Mapping[str, Any]) -> str:
    if not metrics:
        return ""
    rows = "".join(
        f"<tr><th>{_e(metric_label(k))}</th><td>{_e(metric_value(k, v))}</td></tr>"
        for k, v in metrics.items()
    )
    return f"<table>{rows}</table>"


def _session_block(s: Mapping[str, Any], png: bytes | None) -> str:
    media = s.get("media") or {}
    title = media.get("name") or media.get("id") or s.get("sid") or s.get("key") or "session"
    parts = [f"<h2>{_e(title)}</h2>"]
    facts = [
        ("Session id", s.get("sid") or s.get("key")),
        ("Status", s.get("status")),
        ("Events", s.get("events")),
        ("Content type", media.get("contentType")),
        ("Length (s)", media.get("length")),
        ("Player", media.get("playerName")),
    ]
    parts.append(
        '<p class="muted">' + " · ".join(f"{_e(k)}: <b>{_e(v)}</b>" for k, v in facts if v not in (None, ""))
        + "</p>"
    )
    if png:
        b64 = base64.b64encode(png).decode("ascii")
        parts.append(f'<img class="tl" alt="timeline of {_e(title)}" src="data:image/png;base64,{b64}">')
    parts.append("<h3>Findings</h3>")
    parts.append(_findings_table(list(s.get("findings") or [])))
    metrics = s.get("metrics") or {}
    if metrics:
        parts.append("<h3>What Adobe will count</h3>")
        parts.append(_metrics_table(metrics))
    return "\n".join(parts)


def render_html(report: Mapping[str, Any], images: Mapping[str, bytes] | None = None,
                title: str = "mcscope report") -> str:
    """The whole report as one HTML string. ``images`` maps a session's sid or key to PNG bytes."""
    images = images or {}
    tool = report.get("tool") or {}
    summary = report.get("summary") or {}
    sources = report.get("sources") or []
    cards = "".join(
        f'<div class="card"><b>{_e(_fmt(summary.get(k, 0)))}</b>{_e(label)}</div>'
        for k, label in (
            ("sessions", "sessions"), ("events", "events"), ("errors", "errors"),
            ("warnings", "warnings"), ("infos", "infos"), ("ignored_events", "events Adobe ignores"),
        )
    )
    body = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted">{_e(tool.get("name", "mcscope"))} {_e(tool.get("version", ""))}'
        + (f" · sources: {_e(', '.join(map(str, sources)))}" if sources else "") + "</p>",
        f'<div class="sum">{cards}</div>',
    ]
    transport = list(report.get("findings") or [])
    if transport:
        body.append("<h2>Findings tied to no session</h2>")
        body.append(_findings_table(transport))
    for s in report.get("sessions") or []:
        key = s.get("key") or s.get("sid") or ""
        png = images.get(str(key)) or images.get(str(s.get("sid") or ""))
        body.append(_session_block(s, png))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
