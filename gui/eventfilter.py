"""Filters of the events table: free text, minimum severity / ignored only, one rule."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel

SEVERITY_CHOICES: list[tuple[str, str]] = [
    ("all", "All events"),
    ("findings", "With findings"),
    ("error", "Errors"),
    ("warning", "Warnings and errors"),
    ("ignored", "Ignored by Adobe"),
]


def event_of(model: Any, row: int) -> Any:
    fn = getattr(model, "event_at", None)
    return fn(row) if fn is not None else None


def event_text(e: Any) -> str:
    parts = [str(e.index), e.event_type or "", str(e.playhead or ""), str(e.status or ""),
             e.ignored_reason or ""]
    parts += [f"{f.rule} {f.message}" for f in e.findings]
    if isinstance(e.body, dict):
        try:
            parts.append(json.dumps(e.body, ensure_ascii=False))
        except (TypeError, ValueError):
            pass
    return " ".join(parts).lower()


class EventFilter(QSortFilterProxyModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.text = ""
        self.severity = "all"
        self.rule = ""
        self.setDynamicSortFilter(False)

    def set_filters(self, text: str | None = None, severity: str | None = None, rule: str | None = None) -> None:
        if text is not None:
            self.text = text.strip().lower()
        if severity is not None:
            self.severity = severity
        if rule is not None:
            self.rule = rule
        self.invalidate()

    def is_active(self) -> bool:
        return bool(self.text or self.rule or self.severity != "all")

    def accepts(self, e: Any) -> bool:
        if e is None:
            return True
        if self.severity == "findings" and not e.findings:
            return False
        if self.severity == "error" and not any(int(f.severity) >= 3 for f in e.findings):
            return False
        if self.severity == "warning" and not any(int(f.severity) >= 2 for f in e.findings):
            return False
        if self.severity == "ignored" and not e.ignored:
            return False
        if self.rule and not any(f.rule == self.rule for f in e.findings):
            return False
        return not (self.text and self.text not in event_text(e))

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        if not self.is_active():
            return True
        return self.accepts(event_of(self.sourceModel(), row))
