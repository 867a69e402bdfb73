"""The mcscope_* options: declared with their defaults (backward compatible), validated in configure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mitmproxy import exceptions
from mitmproxy.test import taddons

from mcscope.live import addon as mitm
from mcscope.live import options
from tests.live.helpers import private_dirs


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_dirs(tmp_path, monkeypatch)


def test_options_declared_with_defaults() -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        o = tctx.options
        assert o.mcscope_hosts == [] and o.mcscope_journal == "" and o.mcscope_stream == "auto"
        assert o.mcscope_fail_on == "error" and o.mcscope_mock is False and o.mcscope_worker is True
        assert o.mcscope_ignore == [] and o.mcscope_severity == [] and o.mcscope_set == []
        assert o.mcscope_json == o.mcscope_junit == o.mcscope_markdown == ""
        assert o.mcscope_stream_queue == 10_000 and o.mcscope_stream_backlog == 50_000
        assert o.mcscope_analyse is False
        assert "exit code" in tctx.master.options._options["mcscope_analyse"].help


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ({"mcscope_hosts": ["a b"]}, "not a host name"),
        ({"mcscope_hosts": ["http://x/y"]}, "not a host name"),
        ({"mcscope_ignore": ["no-such-rule"]}, "unknown rule"),
        ({"mcscope_severity": ["stall"]}, "RULE=LEVEL"),
        ({"mcscope_severity": ["stall=fatal"]}, "unknown severity"),
        ({"mcscope_set": ["idle_timeout=soon"]}, "idle_timeout"),
        ({"mcscope_set": ["nope=1"]}, "unknown tunable"),
        ({"mcscope_fail_on": "fatal"}, "fatal"),
        ({"mcscope_stream_queue": 0}, "at least 1"),
        ({"mcscope_stream_backlog": -1}, "0 or more"),
    ],
)
def test_configure_rejects_bad_values(opts: dict[str, Any], message: str) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx, pytest.raises(exceptions.OptionsError, match=message):
        tctx.configure(addon, **opts)


def test_configure_rejects_directory_outputs(tmp_path: Path) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        for name in ("mcscope_journal", "mcscope_json", "mcscope_junit", "mcscope_markdown"):
            with pytest.raises(exceptions.OptionsError, match="is a directory"):
                tctx.configure(addon, **{name: str(tmp_path)})


def test_configure_rejects_public_stream_dir(tmp_path: Path) -> None:
    public = tmp_path / "pub"
    public.mkdir(mode=0o755)
    public.chmod(0o755)
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError, match="private"):
            tctx.configure(addon, mcscope_stream=str(public / "s.sock"))
        not_socket = tmp_path / "priv"
        not_socket.mkdir(mode=0o700)
        (not_socket / "f").write_text("x")
        with pytest.raises(exceptions.OptionsError, match="not a socket"):
            tctx.configure(addon, mcscope_stream=str(not_socket / "f"))


def test_configure_accepts_good_rule_options() -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, mcscope_ignore=["stall"], mcscope_severity=["stall=info"],
                       mcscope_set=["idle_timeout=10m"], mcscope_fail_on="warning")
        assert addon.config is not None and "stall" in addon.config.ignore


def test_analysis_wanted_and_journal_path(tmp_path: Path) -> None:
    addon = mitm.McScope()
    with taddons.context(addon) as tctx:
        assert not options.analysis_wanted(tctx.options) and not addon.analyse
        for name in ("mcscope_json", "mcscope_junit", "mcscope_markdown"):
            tctx.configure(addon, **{name: str(tmp_path / "r")})
            assert options.analysis_wanted(tctx.options) and addon.analyse
            tctx.configure(addon, **{name: ""})
        tctx.configure(addon, mcscope_analyse=True)
        assert addon.analyse
    assert options.journal_path("off") is None and options.journal_path("OFF") is None
    assert options.journal_path(str(tmp_path / "j")) == tmp_path / "j"
    assert options.journal_path("").parent == tmp_path / "data" / "journals"
