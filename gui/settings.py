"""The window's stored settings (QSettings): analysis options, proxy address, layout, last folders.

One place knows the keys; the window asks for values and hands back what changed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

from mcscope.core.config import Config
from mcscope.gui.dataset import make_config
from mcscope.gui.dialogs import parse_tunables

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_SIZE = (1400, 900)


class WindowSettings:
    """Typed access to the window's QSettings (``settings`` is kept: tests pass an ini-file one)."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.qsettings = settings if settings is not None else QSettings("mcscope", "mcscope")

    # -- analysis
    def ignored_rules(self) -> list[str]:
        return [r.strip() for r in str(self.qsettings.value("analysis/ignored", "")).split(",") if r.strip()]

    def tunables(self) -> dict[str, str]:
        raw = str(self.qsettings.value("analysis/tunables", ""))
        out = {}
        for part in raw.split(","):
            if "=" in part:
                k, v = part.split("=", 1)
                out[k.strip()] = v.strip()
        return out

    def config(self) -> Config:
        """The analysis configuration the stored settings describe (invalid ones fall back to defaults)."""
        return make_config(self.ignored_rules(), parse_tunables(self.tunables()))

    def store_analysis(self, ignored: list[str], tunables: dict[str, str]) -> None:
        self.qsettings.setValue("analysis/ignored", ",".join(ignored))
        self.qsettings.setValue("analysis/tunables", ",".join(f"{k}={v}" for k, v in tunables.items()))

    # -- proxy
    def proxy_address(self) -> tuple[str, int]:
        return (str(self.qsettings.value("proxy/host", DEFAULT_HOST)),
                int(self.qsettings.value("proxy/port", DEFAULT_PORT)))

    # -- folders of the file dialogs ("open", "export")
    def folder(self, kind: str) -> str:
        return str(self.qsettings.value(f"paths/{kind}", str(Path.home())))

    def remember_folder(self, kind: str, path: str) -> None:
        self.qsettings.setValue(f"paths/{kind}", str(Path(path).parent))

    # -- layout
    def restore_layout(self, window: QMainWindow, splits: dict[str, QSplitter]) -> None:
        geo = self.qsettings.value("window/geometry")
        if isinstance(geo, QByteArray | bytes):
            window.restoreGeometry(QByteArray(geo))
        else:
            window.resize(*DEFAULT_SIZE)
        for name, split in splits.items():
            state = self.qsettings.value(f"window/{name}")
            if isinstance(state, QByteArray | bytes):
                split.restoreState(QByteArray(state))

    def save(self, window: QMainWindow, splits: dict[str, QSplitter], host: str, port: int) -> None:
        """Layout and proxy address, written to disk at once."""
        s = self.qsettings
        s.setValue("window/geometry", window.saveGeometry())
        for name, split in splits.items():
            s.setValue(f"window/{name}", split.saveState())
        s.setValue("proxy/host", host)
        s.setValue("proxy/port", port)
        s.sync()
