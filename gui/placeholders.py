"""Stand-in item models used until gui/models.py lands (same small API the window needs)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
OBJECT_ROLE = Qt.ItemDataRole.UserRole + 1


class SessionModel(QAbstractTableModel):
    HEADERS = ("Session", "Status", "Events", "Problems")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._sessions: list[Any] = []

    def set_sessions(self, sessions: list[Any]) -> None:
        self.beginResetModel()
        self._sessions = list(sessions)
        self.endResetModel()

    def refresh(self, sessions: list[Any]) -> None:
        n_old, n_new = len(self._sessions), len(sessions)
        if n_new > n_old:
            self.beginInsertRows(QModelIndex(), n_old, n_new - 1)
            self._sessions = list(sessions)
            self.endInsertRows()
        else:
            self._sessions = list(sessions)
        if n_old:
            self.dataChanged.emit(self.index(0, 0), self.index(min(n_old, n_new) - 1, len(self.HEADERS) - 1))

    def session_at(self, row: int) -> Any:
        return self._sessions[row] if 0 <= row < len(self._sessions) else None

    def row_of(self, key: str) -> int:
        for i, s in enumerate(self._sessions):
            if s.key == key:
                return i
        return -1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._sessions)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = 0) -> Any:
        s = self.session_at(index.row())
        if s is None:
            return None
        if role == OBJECT_ROLE:
            return s
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        col = index.column()
        if col == 0:
            media = s.media or {}
            return media.get("name") or media.get("id") or s.key
        if col == 1:
            return s.status
        if col == 2:
            return len(s.events)
        return sum(1 for f in s.findings if f.severity >= 2)


class EventModel(QAbstractTableModel):
    HEADERS = ("#", "Event", "Playhead", "Status", "Findings")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._session: Any = None
        self._n = 0

    def set_session(self, session: Any) -> None:
        self.beginResetModel()
        self._session = session
        self._n = len(session.events) if session is not None else 0
        self.endResetModel()

    def refresh(self) -> None:
        if self._session is None:
            return
        n = len(self._session.events)
        if n > self._n:
            self.beginInsertRows(QModelIndex(), self._n, n - 1)
            self._n = n
            self.endInsertRows()

    def event_at(self, row: int) -> Any:
        if self._session is None or not 0 <= row < self._n:
            return None
        return self._session.events[row]

    def row_of_event(self, index: int) -> int:
        return index if 0 <= index < self._n else -1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self._n

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = 0) -> Any:
        e = self.event_at(index.row())
        if e is None:
            return None
        if role == OBJECT_ROLE:
            return e
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        col = index.column()
        if col == 0:
            return e.index
        if col == 1:
            return e.event_type
        if col == 2:
            return e.playhead
        if col == 3:
            return e.status
        return "; ".join(f"{f.severity.label}: {f.rule}" for f in e.findings)
