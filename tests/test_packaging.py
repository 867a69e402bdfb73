"""The distribution: a built wheel holds one namespace (``mcscope``), passes the import-layer contracts, and a
plain ``pip install`` of it into a fresh venv gives a working ``mcscope``, ``mcscope check`` and ``-s`` addon."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcscope import __version__
from tests.conftest import FIXTURES, REPO_ROOT

pytestmark = pytest.mark.timeout(600)  # building and installing the wheel with its dependencies

BIN = Path(sys.executable).parent


def _run(cmd: list[str], timeout: float = 300, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q",
                 "-w", str(out), str(REPO_ROOT)])
    assert proc.returncode == 0, proc.stderr
    (whl,) = out.glob("mcscope-*.whl")
    return whl


@pytest.fixture(scope="module")
def unpacked(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("tree")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tree)
    return tree


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    proc = _run([sys.executable, "-m", "venv", str(venv)])
    assert proc.returncode == 0, proc.stderr
    proc = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                 str(wheel)], timeout=540)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return venv


def test_the_wheel_holds_one_namespace(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert {n.split("/", 1)[0] for n in names} == {"mcscope", f"mcscope-{__version__}.dist-info"}
    for module in ("mcscope/__init__.py", "mcscope/cli.py", "mcscope/core/session.py", "mcscope/io/har.py",
                   "mcscope/live/script.py", "mcscope/sim/collector.py", "mcscope/gui/window.py",
                   "mcscope/gui/timeline/paint.py", "mcscope/run.sh"):
        assert module in names, module
    with zipfile.ZipFile(wheel) as zf:
        entry_points = zf.read(f"mcscope-{__version__}.dist-info/entry_points.txt").decode()
    assert "mcscope = mcscope.cli:main" in entry_points


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return _run([str(BIN / "lint-imports"), str(REPO_ROOT / "pyproject.toml"), "--no-cache", "--no-logo"],
                cwd=tree)


def test_the_import_layers_hold(unpacked: Path) -> None:
    proc = _lint_imports(unpacked)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_an_upward_import_breaks_the_layers(unpacked: Path, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(unpacked, tree)
    with (tree / "mcscope" / "core" / "model.py").open("a") as fh:
        fh.write("\nfrom mcscope.live import ADDON_SCRIPT  # noqa\nimport mitmproxy  # noqa\n")
    proc = _lint_imports(tree)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "mcscope.core.model -> mcscope.live" in proc.stdout and "mitmproxy" in proc.stdout


def test_a_fresh_install_runs_version_and_check(fresh_venv: Path, tmp_path: Path) -> None:
    mcscope = str(fresh_venv / "bin" / "mcscope")
    proc = _run([mcscope, "--version"], timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"mcscope {__version__}", proc.stderr
    report = tmp_path / "r.json"
    proc = _run([mcscope, "check", str(FIXTURES / "faulty-ad-outside-break.har"), "--json", str(report), "-q"],
                timeout=120, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # the fixture has an error-level finding
    rules = {f["rule"] for s in json.loads(report.read_text())["sessions"] for f in s["findings"]}
    assert "ad-outside-break" in rules


class _Collector(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(201)
        self.send_header("Location", "/api/v1/sessions/abc123")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_fresh_install_serves_the_s_addon(fresh_venv: Path, collector: int, tmp_path: Path) -> None:
    bin_dir = fresh_venv / "bin"
    script = _run([str(bin_dir / "mcscope"), "addon-path"], timeout=60).stdout.strip()
    assert script.startswith(str(fresh_venv)), script  # the installed copy, not the source tree
    port = _free_port()
    journal = tmp_path / "j.ndjson"
    env = {**os.environ, "MCSCOPE_DATA_DIR": str(tmp_path / "data"), "MCSCOPE_STREAMS_DIR": str(tmp_path / "s")}
    proxy = subprocess.Popen(
        [str(bin_dir / "mitmdump"), "-q", "--listen-host", "127.0.0.1", "--listen-port", str(port),
         "--set", f"confdir={tmp_path / 'conf'}", "-s", script, "--set", f"mcscope_journal={journal}",
         "--set", "mcscope_stream=off"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proxy.poll() is None and time.monotonic() < deadline, "mitmdump did not start"
                time.sleep(0.2)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{port}"}))
        body = json.dumps({"eventType": "sessionStart", "playerTime": {"playhead": 0, "ts": 1700000000000},
                           "params": {"media.id": "m1"}}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{collector}/api/v1/sessions", data=body,
                                         headers={"Content-Type": "application/json"}, method="POST")
        with opener.open(request, timeout=30) as answer:
            assert answer.status == 201 and answer.headers["Location"] == "/api/v1/sessions/abc123"
        deadline = time.monotonic() + 10
        while not (journal.exists() and '"type":"exchange"' in journal.read_text()):
            assert time.monotonic() < deadline, "the exchange never reached the journal"
            time.sleep(0.1)
    finally:
        proxy.terminate()
        out, _ = proxy.communicate(timeout=60)
    records = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    exchanges = [r for r in records if r.get("type") == "exchange"]
    assert len(exchanges) == 1 and exchanges[0]["response"]["status"] == 201, out
    assert json.loads(exchanges[0]["request"]["body"])["eventType"] == "sessionStart"


def test_a_fresh_install_replays_through_mcscope_proxy(fresh_venv: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    env = {**os.environ, "MCSCOPE_DATA_DIR": str(tmp_path / "data"), "MCSCOPE_STREAMS_DIR": str(tmp_path / "s")}
    proc = _run([str(fresh_venv / "bin" / "mcscope"), "proxy", "-r", str(FIXTURES / "faulty-ad-outside-break.har"),
                 "--journal", "off", "--stream", "off", "--json", str(report), "--", "-q",
                 "--set", f"confdir={tmp_path / 'conf'}"], timeout=180, cwd=tmp_path, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rules = {f["rule"] for s in json.loads(report.read_text())["sessions"] for f in s["findings"]}
    assert "ad-outside-break" in rules
