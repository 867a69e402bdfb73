"""``mcscope proxy``: headless capture for CI = mitmdump + the mcscope addon, reports and an exit code.

Runs ``mitmproxy.tools.main.run(DumpMaster, cmdline.mitmdump, argv)`` with the addon script, so every
mitmdump flag keeps working (pass them after ``--``; HAR/flow saving included). On SIGINT/SIGTERM
mitmproxy shuts down, the addon writes the reports in ``done`` and this command exits with the check's
exit code (0 clean, 1 findings at/above --fail-on, 2 usage/start-up error). With ``-r FILE`` it replays
a ``.mitm``/HAR capture through the same addon and exits.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcscope.commands.listen import bind_problem, parse_listen
from mcscope.core.verdict import EXIT_USAGE, FAIL_LEVELS
from mcscope.io.report import plural
from mcscope.live import ADDON_SCRIPT

if TYPE_CHECKING:
    from mcscope.live.addon import McScope


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "proxy",
        help="run the capture proxy headless (CI): reports + exit code when stopped",
        description="Run mitmdump with the mcscope addon. Point a player at it, stop it with Ctrl-C or "
        "SIGTERM: reports are written and the exit code tells whether findings reached --fail-on. "
        "Arguments after -- go to mitmdump unchanged.",
        epilog="exit codes: 0 clean at the --fail-on level, 1 findings at or above it, 2 usage, start-up or "
        "input error (a busy port, an unreadable -r file)",
    )
    p.add_argument("--listen", default="127.0.0.1:8080", metavar="HOST:PORT",
                   help="proxy listen address (default 127.0.0.1:8080; use 0.0.0.0:8080 for devices)")
    p.add_argument("--mode", action="append", default=[], metavar="MODE",
                   help="mitmproxy mode: regular (default), reverse:URL, upstream:URL, socks5, ... (repeatable)")
    p.add_argument("-r", "--read", metavar="FILE", help="replay a .mitm or HAR capture through the addon and exit")
    p.add_argument("--journal", metavar="FILE", help="journal file (default: a new file in the data dir; 'off')")
    p.add_argument("--stream", default="auto", metavar="PATH",
                   help="viewer stream socket ('auto' = private temp dir, 'off'); token from $MCSCOPE_TOKEN")
    p.add_argument("--json", metavar="FILE", help="write the JSON report here")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report here")
    p.add_argument("--markdown", metavar="FILE", help="write a Markdown report here")
    p.add_argument("--fail-on", default="error", choices=FAIL_LEVELS,
                   help="lowest severity that makes the exit code 1 (default: error)")
    p.add_argument("--mock", action="store_true", help="answer collection calls locally (mock collector)")
    p.add_argument("--host", action="append", default=[], metavar="HOST",
                   help="only analyse this collection host (repeatable; default: any host)")
    p.add_argument("--ignore", action="append", default=[], metavar="RULE", help="ignore a rule (repeatable)")
    p.add_argument("--severity", action="append", default=[], metavar="RULE=LEVEL",
                   help="override a rule's severity (repeatable)")
    p.add_argument("--set", dest="tunables", action="append", default=[], metavar="TUNABLE=V",
                   help="rule tunable, e.g. idle_timeout=600 (repeatable)")
    p.add_argument("mitmdump_args", nargs="*", metavar="-- MITMDUMP_ARGS",
                   help="extra mitmdump arguments after --, e.g. -- -q --set hardump=out.har")
    p.set_defaults(func=run)


def build_argv(args: argparse.Namespace, journal: str) -> list[str]:
    host, port = parse_listen(args.listen, empty_host="0.0.0.0")
    argv = ["--listen-host", host, "--listen-port", str(port)]
    for mode in args.mode:
        argv += ["--mode", mode]
    argv += ["-s", str(ADDON_SCRIPT)]
    sets: list[tuple[str, str]] = [
        ("mcscope_analyse", "true"),  # the exit code is the check's: the addon analyses even without reports
        ("mcscope_journal", journal),
        ("mcscope_stream", args.stream),
        ("mcscope_fail_on", args.fail_on),
    ]
    for name in ("json", "junit", "markdown"):
        value = getattr(args, name)
        if value:
            sets.append((f"mcscope_{name}", str(Path(value).expanduser().resolve())))
    if args.mock:
        # lazy: no upstream connection before the request hook, so made-up HTTPS hosts work in mock mode
        sets += [("mcscope_mock", "true"), ("connection_strategy", "lazy")]
    sets += [("mcscope_hosts", h) for h in args.host]
    sets += [("mcscope_ignore", r) for r in args.ignore]
    sets += [("mcscope_severity", s) for s in args.severity]
    sets += [("mcscope_set", t) for t in args.tunables]
    for key, value in sets:
        argv += ["--set", f"{key}={value}"]
    if args.read:
        argv += ["-n", "-r", args.read]
    return argv + list(args.mitmdump_args)


def _lan_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET: nothing is sent, this only picks the outgoing interface
            return str(s.getsockname()[0])
    except OSError:
        return None


def banner(args: argparse.Namespace, journal: str) -> str:
    host, port = parse_listen(args.listen, empty_host="0.0.0.0")
    lines = []
    if args.read:
        lines.append(f"mcscope: replaying {args.read}")
    else:
        modes = ", ".join(args.mode) or "regular"
        lines.append(f"mcscope: starting proxy on {host}:{port} (mode {modes})")
    lines.append(f"mcscope: journal {journal}")
    if not args.read:
        lan = _lan_address() if host in ("0.0.0.0", "::", "") else host
        lines += [
            f"mcscope: point the player at it: HTTP proxy {lan or host}:{port} "
            "(Android emulator: 10.0.2.2; iOS simulator: the Mac's proxy settings)",
            "mcscope: for HTTPS, install the mitmproxy CA on the device: browse to http://mitm.it through the "
            "proxy (file: ~/.mitmproxy/mitmproxy-ca-cert.pem)",
            "mcscope: stop with Ctrl-C or SIGTERM to write the reports and get the exit code",
        ]
    return "\n".join(lines)


def _validate(args: argparse.Namespace) -> str | None:
    try:
        parse_listen(args.listen, empty_host="0.0.0.0")
    except ValueError as exc:
        return str(exc)
    from mitmproxy.exceptions import OptionsError

    from mcscope.live.options import build_config  # imports mitmproxy: only when the command runs

    try:
        build_config(args.ignore, args.severity, args.tunables)
    except OptionsError as exc:  # with the user-facing message
        return str(exc)
    for name in ("json", "junit", "markdown", "journal"):
        value = getattr(args, name)
        if value and value != "off" and Path(value).is_dir():
            return f"--{name}: {value} is a directory"
    if args.read:  # mitmproxy would print a traceback for a file it cannot read: say it the way check does
        from mcscope.commands.inputs import capture_problem

        problem = capture_problem(args.read, formats=("mitm", "har"))
        if problem:
            return problem
    elif not any("@" in mode for mode in args.mode):  # a mode@PORT listens elsewhere
        host, port = parse_listen(args.listen, empty_host="0.0.0.0")
        return bind_problem(host, port)
    return None


def run(args: argparse.Namespace) -> int:
    problem = _validate(args)
    if problem:
        print(f"mcscope proxy: {problem}", file=sys.stderr)
        return EXIT_USAGE
    from mcscope.live.journalwriter import default_journal_path

    journal = args.journal or str(default_journal_path())
    if journal != "off":
        journal = str(Path(journal).expanduser().resolve())
    argv = build_argv(args, journal)
    print(banner(args, journal), file=sys.stderr, flush=True)
    return run_mitmdump(argv)


#: mitmproxy's -r reader logs a file it cannot read with its traceback (a file check reads but mitmproxy
#: does not, e.g. a HAR after a blank line): its one-line message is enough.
READFILE_LOGGER = "mitmproxy.addons.readfile"


def _no_traceback(record: logging.LogRecord) -> bool:
    record.exc_info = None
    record.exc_text = None
    return True


def run_mitmdump(argv: list[str]) -> int:
    """Run mitmdump in this process; return the addon's exit code (2 if mitmdump itself failed)."""
    from mitmproxy.tools import cmdline, main
    from mitmproxy.tools.dump import DumpMaster

    from mcscope.live import addon as mitm  # the addon module records the instances the script made

    def extra(opts: Any) -> dict[str, Any]:  # the same filter handling as the mitmdump entry point
        if opts.filter_args:
            v = " ".join(opts.filter_args)
            return {"save_stream_filter": v, "readfile_filter": v, "dumper_filter": v}
        return {}

    root = logging.getLogger()
    saved = root.handlers[:]
    for handler in saved:  # mitmproxy's termlog prints log records; avoid printing them twice
        root.removeHandler(handler)
    readfile = logging.getLogger(READFILE_LOGGER)
    readfile.addFilter(_no_traceback)
    before = len(mitm.INSTANCES)
    try:
        master = main.run(DumpMaster, cmdline.mitmdump, argv, extra)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code:
            print("mcscope proxy: mitmdump stopped with an error (see above)", file=sys.stderr)
            return EXIT_USAGE
        return 0
    finally:
        readfile.removeFilter(_no_traceback)
        for handler in saved:
            root.addHandler(handler)
    addon = master.addons.get(mitm.NAME)
    if addon is None and len(mitm.INSTANCES) > before:
        addon = mitm.INSTANCES[-1]
    if addon is None:
        print("mcscope proxy: the mcscope addon did not load (see above)", file=sys.stderr)
        return EXIT_USAGE
    _summary(addon)
    return int(addon.exit_code)


def _summary(addon: McScope) -> None:
    if addon.restarts:  # printed even with -q: the reports were made by a restarted analysis process
        print(f"mcscope: the analysis process was restarted {plural(addon.restarts, 'time')}; the journal is "
              "complete and the reports cover all of it", file=sys.stderr)
    counts = addon.journal_counts
    if counts["shed"] or counts["truncated"]:
        print(f"mcscope: {plural(counts['truncated'], 'body', 'bodies')} over mcscope_max_body/mcscope_max_decoded "
              f"journalled truncated, {plural(counts['shed'], 'exchange')} journalled without bodies (writer "
              "queue over mcscope_max_pending)", file=sys.stderr)
    rep = addon.report
    if not isinstance(rep, dict):
        return
    print(f"mcscope: {summary_line(rep.get('summary') or {})} (exit {addon.exit_code})", file=sys.stderr)


def summary_line(summary: dict[str, Any]) -> str:
    """``1 session, 12 events: 0 errors, 2 warnings, 1 info`` of a report's summary."""
    def n(key: str) -> int:
        value = summary.get(key, 0)
        return value if isinstance(value, int) else 0

    return (f"{plural(n('sessions'), 'session')}, {plural(n('events'), 'event')}: {plural(n('errors'), 'error')}, "
            f"{plural(n('warnings'), 'warning')}, {plural(n('infos'), 'info')}")
