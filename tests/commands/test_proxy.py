"""``mcscope proxy``: argument handling (unit) and end to end with real mitmdump, sockets and clients.

Every end-to-end test runs on loopback only, in temporary directories (data dir, streams dir, mitmproxy
confdir), with every loop bounded in count and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import http.client
import json
import os
import random
import signal
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mcscope.cli import build_parser
from mcscope.commands import proxy
from mcscope.io.capture import read_exchanges
from mcscope.live import ADDON_SCRIPT

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
TOKEN = "e2e-token-123"


# ------------------------------------------------------------------------------------------ unit
def _args(*argv: str) -> Any:
    return build_parser().parse_args(["proxy", *argv])


def test_build_argv_maps_every_option(tmp_path: Path) -> None:
    args = _args("--listen", "0.0.0.0:9999", "--mode", "reverse:http://127.0.0.1:1", "--json", "r.json",
                 "--junit", "r.xml", "--markdown", "r.md", "--fail-on", "warning", "--mock", "--ignore", "stall",
                 "--severity", "stall=info", "--set", "idle_timeout=60", "--host", ".hb-api.omtrdc.net",
                 "--", "-q", "--set", "hardump=x.har")
    argv = proxy.build_argv(args, "/tmp/j.ndjson")
    assert argv[:4] == ["--listen-host", "0.0.0.0", "--listen-port", "9999"]
    assert argv[4:6] == ["--mode", "reverse:http://127.0.0.1:1"]
    assert ["-s", str(ADDON_SCRIPT)] == argv[6:8]
    sets = [argv[i + 1] for i, a in enumerate(argv) if a == "--set"]
    assert "mcscope_journal=/tmp/j.ndjson" in sets and "mcscope_fail_on=warning" in sets
    assert "mcscope_analyse=true" in sets  # the exit code needs the analysis even without a report
    assert f"mcscope_json={Path('r.json').resolve()}" in sets and "mcscope_mock=true" in sets
    assert "mcscope_ignore=stall" in sets and "mcscope_severity=stall=info" in sets
    assert "mcscope_set=idle_timeout=60" in sets and "mcscope_hosts=.hb-api.omtrdc.net" in sets
    assert argv[-3:] == ["-q", "--set", "hardump=x.har"]
    replay = proxy.build_argv(_args("-r", "cap.har"), "off")
    assert replay[-3:] == ["-n", "-r", "cap.har"]


@pytest.mark.parametrize(
    "argv",
    [["--listen", "nope"], ["--ignore", "no-such-rule"], ["--severity", "stall=loud"], ["--set", "x=1"],
     ["-r", "/no/such/file.har"]],
)
def test_bad_arguments_exit_2_before_starting(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert proxy.run(_args(*argv)) == 2
    assert "mcscope proxy:" in capsys.readouterr().err


def _bad_capture(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.har"
    if kind == "junk":
        path.write_bytes(bytes(range(256)) * 20)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "log5":
        path.write_text('{"log": 5}')
    elif kind == "directory":
        path.mkdir()
    elif kind == "truncated":
        data = (REPO / "tests" / "fixtures" / "clean-vod.har").read_bytes()
        path.write_bytes(data[: len(data) // 2])
    return path  # "missing": not created


@pytest.mark.parametrize("kind", ["missing", "directory", "junk", "empty", "log5", "truncated"])
def test_replay_of_an_unreadable_file_is_refused_as_check_says(kind: str, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from mcscope import cli

    path = _bad_capture(tmp_path, kind)
    assert cli.main(["check", str(path), "-q"]) == 2
    check_says = capsys.readouterr().err.splitlines()[0].removeprefix("mcscope check: ")
    assert proxy.run(_args("-r", str(path), "--journal", "off", "--stream", "off")) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"mcscope proxy: {check_says.split(' (judged the')[0]}"]
    assert "Traceback" not in out + err and "replaying" not in err


def test_replay_of_a_journal_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    journal = REPO / "tests" / "fixtures" / "journal-v1-mcscope-0.1.0.ndjson"
    assert proxy.run(_args("-r", str(journal), "--journal", "off")) == 2
    err = capsys.readouterr().err
    assert err.strip() == (f"mcscope proxy: {journal}: an mcscope journal; expected a mitmproxy flow file or a "
                           "HAR file")


def test_a_busy_port_is_refused_before_starting(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert proxy.run(_args("--listen", f"127.0.0.1:{port}", "--journal", "off")) == 2
    assert capsys.readouterr().err == (f"mcscope proxy: 127.0.0.1:{port} is in use; choose another with "
                                       "--listen HOST:PORT\n")


def test_a_free_port_and_a_replay_are_not_refused() -> None:
    port = free_port()
    assert proxy._validate(_args("--listen", f"127.0.0.1:{port}")) is None
    with socket.socket() as busy:  # -r listens nowhere; mode@PORT listens on its own port
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = f"127.0.0.1:{busy.getsockname()[1]}"
        fixture = str(REPO / "tests" / "fixtures" / "clean-vod.har")
        assert proxy._validate(_args("--listen", taken, "-r", fixture)) is None
        assert proxy._validate(_args("--listen", taken, "--mode", f"regular@{port}")) is None


def test_the_exit_summary_counts_in_words() -> None:
    one = {"sessions": 1, "events": 1, "errors": 1, "warnings": 1, "infos": 1}
    assert proxy.summary_line(one) == "1 session, 1 event: 1 error, 1 warning, 1 info"
    two = {"sessions": 2, "events": 1200, "errors": 0, "warnings": 2, "infos": "x"}
    assert proxy.summary_line(two) == "2 sessions, 1,200 events: 0 errors, 2 warnings, 0 infos"


def test_help_has_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _args("--help")
    assert "exit codes: 0 clean" in capsys.readouterr().out


def test_banner_mentions_ca_and_journal() -> None:
    text = proxy.banner(_args("--listen", "127.0.0.1:8080"), "/x/j.ndjson")
    assert "127.0.0.1:8080" in text and "/x/j.ndjson" in text and "mitm.it" in text
    assert "starting proxy on 127.0.0.1:8080" in text and "listening" not in text  # not yet


def test_addon_path_command(capsys: pytest.CaptureFixture[str]) -> None:
    from mcscope.cli import main

    assert main(["addon-path"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == str(ADDON_SCRIPT) and Path(out).is_file()


# ----------------------------------------------------------------------------------- e2e helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"proxy exited early with {proc.returncode}: {read_output(proc)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise AssertionError("proxy did not start listening in time")


def read_output(proc: subprocess.Popen[bytes]) -> str:
    with contextlib.suppress(Exception):
        out, _ = proc.communicate(timeout=30)
        return out.decode("utf-8", "replace")
    return ""


class Env:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.conf = tmp / "conf"
        self.streams = tmp / "streams"
        self.env = {**os.environ, "MCSCOPE_DATA_DIR": str(tmp / "data"), "MCSCOPE_STREAMS_DIR": str(self.streams),
                    "MCSCOPE_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1", "HOME": str(tmp / "home")}


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def start_proxy(env: Env, port: int, *args: str, mitmdump_args: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
    cmd = [PY, "-m", "mcscope.cli", "proxy", "--listen", f"127.0.0.1:{port}", *args, "--",
           "--set", f"confdir={env.conf}", *mitmdump_args]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_port(port, proc)
    return proc


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> tuple[int, str]:
    proc.send_signal(sig)
    out = read_output(proc)
    return proc.wait(timeout=30), out


@pytest.fixture
def upstream() -> Iterator[Any]:
    from mcscope.sim.mockserver import ServerThread

    with ServerThread() as server:
        yield server


def play(names: list[str], upstream_url: str, proxy_port: int, *, https: bool = False,
         cafile: Path | None = None) -> list[Any]:
    from mcscope.sim.httpclient import parse_url
    from mcscope.sim.simulate import SCENARIOS, run_players

    ctx = ssl.create_default_context(cafile=str(cafile)) if cafile else None
    return asyncio.run(asyncio.wait_for(run_players(
        [SCENARIOS[n] for n in names], parse_url(upstream_url),
        proxy=parse_url(f"http://127.0.0.1:{proxy_port}"), speed=0, ssl_context=ctx, check_expected=False,
    ), 60))


def report_rules(path: Path) -> set[str]:
    rep = json.loads(path.read_text())
    rules = {f["rule"] for f in rep["findings"]}
    for s in rep["sessions"]:
        rules |= {f["rule"] for f in s["findings"]}
    return rules


def journal_flows(path: Path) -> list[Any]:
    out = []
    with contextlib.suppress(Exception):
        out.extend(read_exchanges(path))
    return out


# ----------------------------------------------------------------------------------------- e2e
def test_e2e_http_findings_journal_exit_code(env: Env, upstream: Any) -> None:
    port = free_port()
    journal = env.tmp / "j.ndjson"
    out_json, junit, md = env.tmp / "r.json", env.tmp / "r.xml", env.tmp / "r.md"
    proc = start_proxy(env, port, "--journal", str(journal), "--json", str(out_json), "--junit", str(junit),
                       "--markdown", str(md))
    try:
        results = play(["vod-preroll-midroll", "ad-outside-break"], upstream.url, port)
    finally:
        rc, out = stop(proc)
    sent = sum(r.sent for r in results)
    assert sent > 10 and all(not r.failures for r in results)
    assert rc == 1, out
    assert "ad-outside-break" in report_rules(out_json)
    assert junit.read_text().startswith("<?xml") and md.read_text().strip()
    exchanges = journal_flows(journal)
    assert len(exchanges) == sent
    assert all(e.url.startswith(upstream.url) and e.live for e in exchanges)
    assert upstream.collector.requests == sent
    assert "Traceback" not in out and "Addon error" not in out
    assert str(journal) in out and "mitm.it" in out


def test_e2e_clean_run_exits_0_and_replay(env: Env, upstream: Any) -> None:
    port = free_port()
    journal = env.tmp / "j.ndjson"
    har = env.tmp / "cap.har"
    proc = start_proxy(env, port, "--journal", str(journal), "--json", str(env.tmp / "r.json"),
                       mitmdump_args=("--set", f"hardump={har}"))
    try:
        play(["vod-preroll-midroll"], upstream.url, port)
    finally:
        rc, out = stop(proc, signal.SIGINT)
    assert rc == 0, out
    rep = json.loads((env.tmp / "r.json").read_text())
    assert rep["summary"]["sessions"] == 1 and rep["summary"]["errors"] == 0
    assert har.is_file()  # mitmdump's own flags keep working (hardump written after our done)
    # the same command replays the HAR it just wrote, and exits by itself
    res = subprocess.run(
        [PY, "-m", "mcscope.cli", "proxy", "-r", str(har), "--journal", "off", "--stream", "off",
         "--json", str(env.tmp / "replay.json"), "--", "-q", "--set", f"confdir={env.conf}"],
        cwd=REPO, env=env.env, capture_output=True, timeout=60,
    )
    assert res.returncode == 0, res.stderr.decode()
    replay = json.loads((env.tmp / "replay.json").read_text())
    assert replay["summary"]["events"] == rep["summary"]["events"]


def test_e2e_replay_faulty_fixture_exits_1(env: Env) -> None:
    fixture = REPO / "tests" / "fixtures" / "faulty-ad-outside-break.mitm"
    res = subprocess.run(
        [PY, "-m", "mcscope.cli", "proxy", "-r", str(fixture), "--journal", "off", "--stream", "off",
         "--json", str(env.tmp / "r.json"), "--", "-q", "--set", f"confdir={env.conf}"],
        cwd=REPO, env=env.env, capture_output=True, timeout=60,
    )
    assert res.returncode == 1, res.stderr.decode()
    assert "ad-outside-break" in report_rules(env.tmp / "r.json")


def test_e2e_exit_code_without_any_report(env: Env) -> None:
    """mcscope proxy analyses for its exit code alone (mcscope_analyse), with no report file asked for."""
    fixture = REPO / "tests" / "fixtures" / "faulty-ad-outside-break.mitm"
    res = subprocess.run(
        [PY, "-m", "mcscope.cli", "proxy", "-r", str(fixture), "--journal", "off", "--stream", "off",
         "--", "-q", "--set", f"confdir={env.conf}"],
        cwd=REPO, env=env.env, capture_output=True, timeout=60,
    )
    assert res.returncode == 1, res.stderr.decode()
    assert b"errors" in res.stderr and b"(exit 1)" in res.stderr
    clean = subprocess.run(
        [PY, "-m", "mcscope.cli", "proxy", "-r", str(fixture), "--journal", "off", "--stream", "off",
         "--fail-on", "never", "--", "-q", "--set", f"confdir={env.conf}"],
        cwd=REPO, env=env.env, capture_output=True, timeout=60,
    )
    assert clean.returncode == 0, clean.stderr.decode()


def test_e2e_mock_mode_answers_without_upstream(env: Env) -> None:
    port = free_port()
    dead = free_port()  # nothing listens there: every answer must come from the mock collector
    proc = start_proxy(env, port, "--mock", "--journal", str(env.tmp / "j.ndjson"), "--json",
                       str(env.tmp / "r.json"), mitmdump_args=("-q",))
    try:
        results = play(["vod-preroll-midroll", "ad-outside-break"], f"http://127.0.0.1:{dead}", port)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", f"http://127.0.0.1:{dead}/not-collection")
        other = conn.getresponse()
        other.read()
        conn.close()
    finally:
        rc, out = stop(proc)
    assert all(not r.failures for r in results), [r.failures for r in results]
    assert other.status == 502  # non-collection traffic is passed on (and fails: nothing listens)
    assert rc == 1, out
    assert "ad-outside-break" in report_rules(env.tmp / "r.json")
    statuses = {e.response_status for e in journal_flows(env.tmp / "j.ndjson")}
    assert statuses <= {201, 204, 400, 404, 410} and 201 in statuses


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "upstream.test")])
    now = datetime.datetime.now(datetime.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "up.crt", tmp / "up.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class TlsFront:
    """TLS terminator on 127.0.0.1 in front of the plain-HTTP mock collector (HTTPS upstream)."""

    def __init__(self, tmp: Path, backend: tuple[str, int]) -> None:
        cert, key = _self_signed(tmp)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.backend = backend
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(conn,), daemon=True).start()

    def _pipe(self, conn: socket.socket) -> None:
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True)
            back = socket.create_connection(self.backend, timeout=10)
        except (OSError, ssl.SSLError):
            conn.close()
            return

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)

        t = threading.Thread(target=pump, args=(back, tls), daemon=True)
        t.start()
        pump(tls, back)
        t.join(10)
        tls.close()
        back.close()

    def close(self) -> None:
        self._stop = True
        self.sock.close()


def test_e2e_https_with_mitmproxy_ca(env: Env, upstream: Any) -> None:
    front = TlsFront(env.tmp, upstream.address)
    port = free_port()
    journal = env.tmp / "j.ndjson"
    proc = start_proxy(env, port, "--journal", str(journal), "--json", str(env.tmp / "r.json"),
                       mitmdump_args=("--set", "ssl_insecure=true"))
    try:
        ca = env.conf / "mitmproxy-ca-cert.pem"
        assert ca.is_file()
        results = play(["ad-outside-break"], f"https://127.0.0.1:{front.port}", port, cafile=ca)
    finally:
        rc, out = stop(proc)
        front.close()
    sent = sum(r.sent for r in results)
    assert sent > 3 and all(not r.failures for r in results), [r.failures for r in results]
    assert rc == 1, out
    assert "ad-outside-break" in report_rules(env.tmp / "r.json")
    exchanges = journal_flows(journal)
    assert len(exchanges) == sent and all(e.url.startswith("https://127.0.0.1") for e in exchanges)


def test_e2e_plain_mitmdump_script(env: Env, upstream: Any) -> None:
    port = free_port()
    out_json = env.tmp / "r.json"
    mitmdump = Path(PY).parent / "mitmdump"
    script = subprocess.run([PY, "-m", "mcscope.cli", "addon-path"], cwd=REPO, capture_output=True, text=True,
                            env=env.env, timeout=30).stdout.strip()
    proc = subprocess.Popen(
        [str(mitmdump), "-q", "--listen-host", "127.0.0.1", "--listen-port", str(port), "-s", script,
         "--set", f"confdir={env.conf}", "--set", f"mcscope_json={out_json}",
         "--set", f"mcscope_journal={env.tmp / 'j.ndjson'}"],
        cwd=env.tmp, env=env.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    wait_port(port, proc)
    try:
        results = play(["ad-outside-break"], upstream.url, port)
    finally:
        rc, out = stop(proc)
    assert rc == 0, out  # plain mitmdump: the exit code stays mitmdump's; the report carries the findings
    assert "ad-outside-break" in report_rules(out_json)
    assert len(journal_flows(env.tmp / "j.ndjson")) == sum(r.sent for r in results)


def test_e2e_bad_option_through_mitmdump_exits_nonzero(env: Env) -> None:
    port = free_port()
    res = subprocess.run(
        [str(Path(PY).parent / "mitmdump"), "-q", "--listen-port", str(port), "-s", str(ADDON_SCRIPT),
         "--set", f"confdir={env.conf}", "--set", "mcscope_fail_on=fatal"],
        env=env.env, capture_output=True, timeout=60,
    )
    assert res.returncode != 0
    assert b"mcscope_fail_on" in res.stdout + res.stderr


def test_e2e_port_in_use_exits_2(env: Env) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = subprocess.run(
            [PY, "-m", "mcscope.cli", "proxy", "--listen", f"127.0.0.1:{port}", "--journal", "off",
             "--stream", "off", "--", "-q", "--set", f"confdir={env.conf}"],
            cwd=REPO, env=env.env, capture_output=True, timeout=60,
        )
    err = res.stderr.decode()
    assert res.returncode == 2, err
    assert err == f"mcscope proxy: 127.0.0.1:{port} is in use; choose another with --listen HOST:PORT\n"


def test_e2e_a_capture_mitmproxy_cannot_replay_gives_no_traceback(env: Env) -> None:
    """A HAR after a blank line: check reads it, mitmproxy's reader does not; its one-line message stays."""
    har = env.tmp / "blank-first.har"
    har.write_bytes(b"\n" + (REPO / "tests" / "fixtures" / "clean-vod.har").read_bytes())
    res = subprocess.run(
        [PY, "-m", "mcscope.cli", "proxy", "-r", str(har), "--journal", "off", "--stream", "off",
         "--", "-q", "--set", f"confdir={env.conf}"],
        cwd=REPO, env=env.env, capture_output=True, timeout=60,
    )
    out = (res.stdout + res.stderr).decode()
    assert res.returncode == 2, out
    assert "Traceback" not in out and "FlowReadException" not in out
    assert f"Failed to read {har}" in out and "mitmdump stopped with an error" in out


# ---------------------------------------------------------------------------------- passivity
class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms delayed-ACK stalls
    received: dict[str, tuple[bytes, list[tuple[str, str]]]] = {}
    responses: dict[str, tuple[int, bytes, list[tuple[str, str]]]] = {}

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        rid = self.headers.get("X-Req", "")
        self.received[rid] = (body, list(self.headers.items()))
        status, rbody, rheaders = self.responses.get(rid, (204, b"", []))
        self.send_response(status)
        for k, v in rheaders:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(rbody)))
        self.end_headers()
        self.wfile.write(rbody)


def random_body(rng: random.Random, i: int) -> tuple[bytes, list[tuple[str, str]]]:
    kind = i % 6
    ts = 1_700_000_000_000 + i
    if kind == 0:
        doc = {"eventType": rng.choice(["play", "ping", "pauseStart", "sessionStart", "adStart", "bogus"]),
               "playerTime": {"playhead": rng.random() * 100, "ts": ts},
               "params": {"media.id": str(rng.random())}}
        return json.dumps(doc).encode(), [("Content-Type", "application/json")]
    if kind == 1:
        return b'{"eventType": "play", "playerTime": {', [("Content-Type", "application/json")]
    if kind == 2:
        return rng.randbytes(rng.randint(0, 3000)), [("Content-Type", "application/octet-stream")]
    if kind == 3:
        raw = json.dumps({"eventType": "ping", "playerTime": {"playhead": 1, "ts": ts}}).encode()
        return gzip.compress(raw), [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
    if kind == 4:
        return b"\x1f\x8b" + rng.randbytes(50), [("Content-Encoding", "gzip")]  # broken gzip
    return json.dumps([{"eventType": "sessionStart"}, 1, None, "x" * rng.randint(0, 200)]).encode(), []


@pytest.mark.timeout(240)
def test_e2e_passivity_random_bodies(env: Env) -> None:
    rng = random.Random(1234)
    total = 2000
    paths = ["/api/v1/sessions", "/api/v1/sessions/abc/events", "/api/v1/downloaded", "/other/path"]
    requests: dict[str, tuple[str, bytes, list[tuple[str, str]]]] = {}
    Recorder.received, Recorder.responses = {}, {}
    for i in range(total):
        rid = str(i)
        body, headers = random_body(rng, i)
        if i == 7:
            body = rng.randbytes(5 * 1024 * 1024)  # one 5 MB body
        requests[rid] = (paths[i % len(paths)], body, headers)
        rbody, rheaders = random_body(rng, i + 3)
        status = rng.choice([200, 201, 204, 400, 404, 410, 500])
        if status == 204 or i % 9 == 0:
            rbody = b""  # a 204 has no body by definition
        Recorder.responses[rid] = (status, rbody, [*rheaders, ("Location", f"/api/v1/sessions/s{i}")])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    up_port = server.server_address[1]
    port = free_port()
    journal = env.tmp / "j.ndjson"
    proc = start_proxy(env, port, "--journal", str(journal), "--fail-on", "never", mitmdump_args=("-q",))
    got: dict[str, tuple[int, bytes]] = {}
    errors: list[str] = []

    def client(ids: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for rid in ids:
            path, body, headers = requests[rid]
            try:
                conn.request("POST", f"http://127.0.0.1:{up_port}{path}", body=body,
                             headers={**dict(headers), "X-Req": rid})
                resp = conn.getresponse()
                got[rid] = (resp.status, resp.read())
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{rid}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    ids = list(requests)
    threads = [threading.Thread(target=client, args=(ids[k::2],)) for k in range(2)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(200)
    elapsed = time.monotonic() - t0
    try:
        assert not errors, errors[:5]
        assert proc.poll() is None  # the proxy stayed up
    finally:
        rc, out = stop(proc)
        server.shutdown()
    assert len(got) == total, elapsed
    for rid, (_path, body, _headers) in requests.items():
        assert Recorder.received[rid][0] == body, f"request {rid} altered"
        status, rbody, _ = Recorder.responses[rid]
        assert got[rid] == (status, rbody), f"response {rid} altered"
        sent_headers = {k.lower(): v for k, v in Recorder.received[rid][1]}
        for k, v in _headers:
            assert sent_headers.get(k.lower()) == v
    assert rc == 0
    noise = [line for line in out.lower().splitlines() if not line.startswith("mcscope:")]
    assert not [line for line in noise if "error" in line or "traceback" in line], out[-2000:]
    collection = sum(1 for p, _, _ in requests.values() if p != "/other/path")
    assert len(journal_flows(journal)) == collection


# ------------------------------------------------------------------------------- durability
def test_e2e_journal_survives_kill_9(env: Env, upstream: Any) -> None:
    port = free_port()
    journal = env.tmp / "j.ndjson"
    proc = start_proxy(env, port, "--journal", str(journal), "--stream", "off", mitmdump_args=("-q",))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for i in range(200):
            body = json.dumps({"eventType": "ping", "playerTime": {"playhead": i, "ts": 1_700_000_000_000 + i},
                               "marker": i}).encode()
            conn.request("POST", f"{upstream.url}/api/v1/sessions/s{i}/events", body=body,
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
        time.sleep(0.15)
    finally:
        proc.kill()  # SIGKILL: no shutdown hooks at all
        proc.wait(10)
        conn.close()
        read_output(proc)
    markers = set()
    for ex in journal_flows(journal):
        with contextlib.suppress(Exception):
            markers.add(json.loads(ex.request_body)["marker"])
    assert markers == set(range(200))


# ----------------------------------------------------------------------------------- stream
def _discovery(env: Env, proc: subprocess.Popen[bytes], timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    path = env.streams / f"{proc.pid}.json"
    while time.monotonic() < deadline:
        if path.is_file():
            with contextlib.suppress(ValueError):
                return json.loads(path.read_text())
        time.sleep(0.05)
    raise AssertionError("no discovery file")


def _connect(info: dict[str, Any], token: str | None) -> socket.socket:
    if info["transport"] == "unix":
        s = socket.socket(socket.AF_UNIX)
        s.connect(info["socket"])
    else:
        s = socket.create_connection((info["host"], info["port"]))
    s.settimeout(10)
    hello: dict[str, Any] = {"v": 1}
    if token is not None:
        hello["token"] = token
    s.sendall(json.dumps(hello).encode() + b"\n")
    return s


def _lines(sock: socket.socket, until: Any, limit: int = 100_000, timeout: float = 20) -> list[dict[str, Any]]:
    buf = b""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(out) < limit and time.monotonic() < deadline:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            out.append(json.loads(line))
            if until(out[-1], out):
                return out
        try:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = sock.recv(1 << 20)
        except TimeoutError:
            break
        if not data:
            break
        buf += data
    return out


def test_e2e_stream_auth_gap_and_snapshot(env: Env, upstream: Any) -> None:
    port = free_port()
    proc = start_proxy(env, port, "--journal", str(env.tmp / "j.ndjson"), "--fail-on", "never",
                       mitmdump_args=("-q", "--set", "mcscope_stream_queue=20"))
    try:
        info = _discovery(env, proc)
        assert info["transport"] == "unix" and info["token"] == TOKEN
        sock_path = Path(info["socket"])
        assert stat.S_IMODE(sock_path.stat().st_mode) == 0o600
        assert stat.S_IMODE(sock_path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE((env.streams / f"{proc.pid}.json").stat().st_mode) == 0o600
        for bad in ("wrong", None):
            s = _connect(info, bad)
            msgs = _lines(s, lambda m, _: True)
            assert msgs == [{"type": "error", "reason": "auth"}]
            assert s.recv(10) == b""
            s.close()
        slow = _connect(info, TOKEN)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        pad = "x" * 4000
        n = 400
        t0 = time.monotonic()
        for i in range(n):  # the proxy keeps serving while the viewer reads nothing
            body = json.dumps({"eventType": "ping", "playerTime": {"playhead": i, "ts": 1_700_000_000_000 + i},
                               "pad": pad}).encode()
            conn.request("POST", f"{upstream.url}/api/v1/sessions/s/events", body=body)
            conn.getresponse().read()
        assert time.monotonic() - t0 < 60
        conn.close()
        time.sleep(0.3)
        msgs = _lines(slow, lambda m, _: False, timeout=2)
        kinds = [m["type"] for m in msgs]
        assert kinds[0] == "hello" and kinds[1] == "snapshot"
        assert "gap" in kinds
        missed = sum(m["missed"] for m in msgs if m["type"] == "gap")
        received = sum(1 for m in msgs if m["type"] == "exchange")
        assert received + missed >= n and missed > 0
        slow.close()
        # a reconnecting viewer gets a consistent snapshot of everything
        fresh = _connect(info, TOKEN)
        msgs = _lines(fresh, lambda m, _: m["type"] == "snapshot")
        assert msgs[0]["type"] == "hello" and msgs[0]["v"] == 1 and msgs[0]["listen"]
        snap = msgs[-1]
        assert snap["type"] == "snapshot" and len(snap["records"]) == n and snap["dropped"] == 0
        assert [json.loads(r["request"]["body"])["playerTime"]["playhead"] for r in snap["records"]] == list(range(n))
        fresh.close()
    finally:
        rc, out = stop(proc)
    assert rc == 0, out
    assert not (env.streams / f"{proc.pid}.json").exists()


def test_e2e_tcp_fallback_refuses_proxied_access(env: Env) -> None:
    port = free_port()
    proc = start_proxy(env, port, "--journal", "off", mitmdump_args=("-q", "--set", "mcscope_stream_tcp=true"))
    try:
        info = _discovery(env, proc)
        assert info["transport"] == "tcp" and info["host"] == "127.0.0.1"
        # direct access needs the token
        s = _connect(info, "wrong")
        assert _lines(s, lambda m, _: True) == [{"type": "error", "reason": "auth"}]
        s.close()
        s = _connect(info, TOKEN)
        assert _lines(s, lambda m, _: True)[0]["type"] == "hello"
        s.close()
        # through the proxy: refused by the addon's server_connect guard, the stream never sees it
        before = _connect(info, "probe")
        _lines(before, lambda m, _: True)
        before.close()
        for target in (f"http://127.0.0.1:{info['port']}/", f"http://localhost:{info['port']}/"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", target, body=json.dumps({"v": 1, "token": TOKEN}) + "\n")
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 502 and b"viewer stream" in body
            conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.set_tunnel("127.0.0.1", info["port"])
        with pytest.raises(OSError):
            conn.connect()
        conn.close()
    finally:
        rc, out = stop(proc)
    assert rc == 0, out
