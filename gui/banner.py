"""A dismissable notice across the top of the window (proxy crashed, messages missed, bad file...)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

COLOURS = {
    "error": ("#fde2e2", "#c62828"),
    "warning": ("#fff1d0", "#b36200"),
    "info": ("#e6f0fc", "#1f5fbf"),
}


class Banner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.kind = ""
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(110)
        self.details.hide()
        self._buttons: list[QPushButton] = []
        self._row = QHBoxLayout()
        self._row.addWidget(self.label, 1)
        self.close_button = QPushButton("Dismiss", self)
        self.close_button.clicked.connect(self.dismiss)
        self._row.addWidget(self.close_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.addLayout(self._row)
        lay.addWidget(self.details)
        self.hide()

    def show_message(self, kind: str, text: str, details: str = "",
                     actions: list[tuple[str, Callable[[], None]]] | None = None) -> None:
        self.kind = kind
        bg, fg = COLOURS.get(kind, COLOURS["info"])
        self.setStyleSheet(f"QFrame#banner{{background:{bg};border:1px solid {fg};}} QLabel{{color:{fg};}}")
        self.label.setText(text)
        self.details.setPlainText(details)
        self.details.setVisible(bool(details))
        for b in self._buttons:
            self._row.removeWidget(b)
            b.deleteLater()
        self._buttons = []
        for title, fn in actions or []:
            button = QPushButton(title, self)
            button.clicked.connect(fn)
            self._row.insertWidget(self._row.count() - 1, button)
            self._buttons.append(button)
        self.show()

    def button(self, title: str) -> QPushButton | None:
        for b in self._buttons:
            if b.text() == title:
                return b
        return None

    def dismiss(self) -> None:
        self.kind = ""
        self.hide()
