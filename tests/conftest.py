"""Shared test set-up. Qt must run offscreen: set it before anything imports PySide6."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def external_fixtures_dir() -> Path:
    """``shared/fixtures/external`` beside the repository (CI clones main next to a copy of shared/)."""
    return REPO_ROOT.parent / "shared" / "fixtures" / "external"


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def external_fixtures() -> Path:
    path = external_fixtures_dir()
    if not path.is_dir():
        pytest.skip(f"external fixtures not found at {path} (expected shared/ beside the repository)")
    return path
