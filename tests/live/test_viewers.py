"""Binding the viewer stream in the proxy process, and releasing a socket nobody serves."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mcscope.live import viewers
from tests.live.helpers import private_dirs


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_dirs(tmp_path, monkeypatch)


def test_bind_unix_private_and_release() -> None:
    sock, spec = viewers.bind("auto", False)
    assert not spec.tcp and spec.socket_path and spec.own_dir and spec.token == "tok"
    assert spec.address == spec.socket_path
    assert stat.S_IMODE(os.stat(spec.socket_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(spec.own_dir).st_mode) == 0o700
    viewers.release(sock, spec)
    assert sock.fileno() == -1 and not Path(spec.own_dir).exists()


def test_bind_tcp_loopback() -> None:
    sock, spec = viewers.bind("auto", True)
    try:
        assert spec.tcp and spec.port and spec.address == f"127.0.0.1:{spec.port}"
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        viewers.release(sock, spec)


def test_bind_refuses_a_public_directory(tmp_path: Path) -> None:
    public = tmp_path / "pub"
    public.mkdir()
    public.chmod(0o755)
    with pytest.raises(PermissionError):
        viewers.bind(str(public / "s.sock"), False)
