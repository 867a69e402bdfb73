"""Fixtures of the GUI tests: canned stream records, short private socket paths, test settings."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES


def records_of(name: str) -> list[dict[str, Any]]:
    from mcscope.io.capture import read_exchanges
    from mcscope.io.journal import exchange_to_record

    return [exchange_to_record(ex) for ex in read_exchanges(FIXTURES / name)]


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    """A short 0700 directory (Unix socket paths must stay under ~100 bytes)."""
    d = tempfile.mkdtemp(prefix="mcs-", dir="/tmp")
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture(autouse=True)
def _private_streams_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCSCOPE_STREAMS_DIR", str(tmp_path / "streams"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _application(qapp: Any) -> Any:
    """Every GUI test runs with the QApplication (pytest-qt's ``qapp``): models paint icons and pixmaps, which
    abort the process without one when a test module runs on its own."""
    return qapp
