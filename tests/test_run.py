"""addon/run.sh: the bootstrap behind the README's two commands."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

RUN_SH = Path(__file__).resolve().parents[1] / "addon" / "run.sh"


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(RUN_SH), *args], cwd=cwd, env=env or dict(os.environ),
                          capture_output=True, text=True, timeout=300)


def test_usage_without_command(tmp_path: Path) -> None:
    proc = _run(cwd=tmp_path)
    assert proc.returncode == 2
    assert "usage: sh addon/run.sh CMD" in proc.stderr


@pytest.mark.skipif(not (RUN_SH.parent.parent / ".venv" / "bin" / "python").exists(), reason="no .venv yet")
def test_runs_venv_commands_from_any_cwd(tmp_path: Path) -> None:
    proc = _run("python", "-c", "import sys, mcscope; print(sys.prefix)", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).resolve() == (RUN_SH.parent.parent / ".venv").resolve()


@pytest.mark.skipif(not (RUN_SH.parent.parent / ".venv" / "bin" / "python").exists(), reason="no .venv yet")
def test_unknown_command(tmp_path: Path) -> None:
    proc = _run("no-such-tool-xyz", cwd=tmp_path)
    assert proc.returncode == 2
    assert "no command 'no-such-tool-xyz'" in proc.stderr


def test_clear_error_without_python_312(tmp_path: Path) -> None:
    """A copy of the repo skeleton with only an old Python on PATH and no pyenv: one-line error, exit 2."""
    repo = tmp_path / "repo"
    (repo / "addon").mkdir(parents=True)
    shutil.copy(RUN_SH, repo / "addon" / "run.sh")
    (repo / "pyproject.toml").write_text("")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "python3"
    fake.write_text('#!/bin/sh\ncase "$*" in *print*) echo 3.11; exit 0;; esac\nexit 1\n')
    fake.chmod(0o755)
    for tool in ("sh", "dirname", "rm", "cat", "tail", "touch"):
        found = shutil.which(tool)
        if found:
            (bindir / tool).symlink_to(found)
    env = {"PATH": str(bindir), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "nopyenv")}
    proc = subprocess.run([str(bindir / "sh"), str(repo / "addon" / "run.sh"), "pytest"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "mcscope needs Python >= 3.12 (found only 3.11); install python3.12"
