"""``mcscope check FILE...``: judge saved captures offline and write reports, with a CI exit code.

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 usage or input error
(missing file, unknown format, truncated capture: what could be read is still judged and reported).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from typing import IO, Any

from mcscope.core.verdict import EXIT_OK, EXIT_USAGE, FAIL_LEVELS
from mcscope.io import report as rpt

PROGRESS_AFTER = 1.0  # seconds before a progress line appears (TTY only)


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check",
        help="validate saved captures (.mitm, HAR, mcscope journal) and write reports",
        description="Validate saved captures against the Media Collection API rules. Formats are sniffed "
        "from the content: mitmproxy flow files, HAR 1.2 exports, mcscope NDJSON journals.",
        epilog="exit codes: 0 clean at the --fail-on level, 1 findings at or above it, 2 usage or input error",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="capture files to check")
    p.add_argument("--json", metavar="F", help="write the JSON report to F ('-' for stdout)")
    p.add_argument("--junit", metavar="F", help="write JUnit XML to F ('-' for stdout)")
    p.add_argument("--markdown", metavar="F", help="write a Markdown summary to F ('-' for stdout)")
    p.add_argument("--html", metavar="F",
                   help="write the HTML report (summary table, grouped findings, request bodies) to F")
    p.add_argument(
        "--fail-on",
        choices=FAIL_LEVELS,
        default="error",
        help="lowest severity that makes the exit code 1 (default: error)",
    )
    p.add_argument("--ignore", action="append", default=[], metavar="RULE", help="drop a rule (repeatable)")
    p.add_argument(
        "--severity", action="append", default=[], metavar="RULE=LEVEL", help="override a rule's severity"
    )
    p.add_argument(
        "--set", dest="tunables", action="append", default=[], metavar="TUNABLE=VALUE",
        help="change a threshold, e.g. --set idle_timeout=900",
    )
    p.add_argument(
        "-j", "--jobs", type=int, default=None, metavar="N",
        help="processes for a large capture (default: one per CPU; 1 = no parallelism; same result either way)",
    )
    p.add_argument("--rules", action="store_true", help="print the rule catalogue and exit")
    p.add_argument("-q", "--quiet", action="store_true", help="no terminal summary")
    p.add_argument("--no-info", action="store_true", help="leave info findings out of the terminal summary")
    p.add_argument("--all", dest="show_all", action="store_true",
                   help="list every rule found in the terminal summary (default: the first 15 per session)")
    p.add_argument("--redact", action="store_true",
                   help="replace visitor/customer ids, cookies, credentials and client addresses by stable "
                   "pseudonyms in every report and the terminal summary (the reports say so)")
    ref = p.add_argument_group("reference (--expect)")
    ref.add_argument("--expect", metavar="REFERENCE",
                     help="compare every session with its session in the capture REFERENCE (matched by media "
                     "id): a difference beyond the tolerances is a differs-from-reference finding")
    ref.add_argument("--expect-session", action="append", default=[], metavar="SID=REF_SID",
                     help="pair a session with a reference session explicitly (repeatable)")
    from mcscope.commands.diff import add_tolerance_arguments

    add_tolerance_arguments(ref)
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"mcscope check: {message}", file=sys.stderr)
    return EXIT_USAGE


def print_rules(out: IO[str]) -> None:
    from mcscope.core.rules.catalogue import RULES

    width = max(len(r) for r in RULES)
    out.write(f"{'rule':<{width}}  {'rest':<7}  {'edge':<7}  description\n")
    for info in RULES.values():
        flag = " (ignored)" if info.ignored else ""
        rest, edge = (sev.label if sev else "-" for sev in (info.severity_for("rest"), info.severity_for("edge")))
        out.write(f"{info.id:<{width}}  {rest:<7}  {edge:<7}  {info.description}{flag}\n")


class _Progress:
    """A one-line progress indicator on stderr, only on a TTY and only for files taking > 1 s."""

    def __init__(self, label: str, capture: Any, stream: IO[str]) -> None:
        self.label = label
        self.capture = capture
        self.stream = stream
        self.enabled = stream.isatty()
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def tick(self, count: int) -> None:
        if not self.enabled or count % 256:
            return
        now = time.monotonic()
        if now - self.started < PROGRESS_AFTER or now - self.last < 0.2:
            return
        self.last = now
        size = getattr(self.capture, "size", 0) or 0
        pos = getattr(self.capture, "position", 0) or 0
        pct = f"{100 * pos / size:3.0f}% " if size else ""
        self.stream.write(f"\r\x1b[Kreading {self.label}: {pct}{count} exchanges")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def check_file(path: str, config: Any, stderr: IO[str] = sys.stderr, jobs: int = 1,
               capture_jobs: int | None = None) -> tuple[Any, str | None]:
    """Feed one capture into a fresh Analyzer: (analyzer, input error message or None).

    ``jobs`` > 1 lets a large capture be judged by that many processes (mcscope/io/shard.py, same result);
    only from a single-threaded process such as the ``mcscope check`` command. ``capture_jobs``: the same for a
    HAR or .mitm file (default: ``jobs``).
    """
    checked = judge_file(path, config, stderr, jobs, capture_jobs)
    return checked.analyzer, checked.error


@dataclass(frozen=True)
class Checked:
    """One capture judged: its Analyzer, the input error (None: read whole) and whether anything was read."""

    analyzer: Any
    error: str | None = None
    unreadable: bool = False  # nothing could be read: no "no session found", no totals for it


def judge_file(path: str, config: Any, stderr: IO[str] = sys.stderr, jobs: int = 1,
               capture_jobs: int | None = None) -> Checked:
    """:func:`check_file`, telling an unreadable file from one that broke off after some exchanges."""
    from mcscope.core.session import Analyzer
    from mcscope.io import shard
    from mcscope.io.capture import CaptureError, open_capture

    analyzer = Analyzer(config)
    try:
        capture = open_capture(path)
    except CaptureError as exc:
        return Checked(analyzer, exc.message, unreadable=True)
    if capture.format != "journal" and capture_jobs is not None:
        jobs = capture_jobs
    if jobs > 1 and capture.format in shard.FORMATS and capture.size >= shard.MIN_SIZE and shard.can_fork():
        sharded = _check_sharded(path, capture, config, jobs, stderr)
        if sharded is not None:
            return Checked(sharded)
    progress = _Progress(path, capture, stderr)
    count = 0
    checked = Checked(analyzer)
    try:
        for exchange in capture:
            analyzer.feed(exchange)
            count += 1
            progress.tick(count)
    except CaptureError as exc:
        if exc.read_count:
            checked = Checked(analyzer, f"{exc.message} (judged the {rpt.plural(exc.read_count, 'exchange')} "
                              "read before that)")
        else:
            checked = Checked(analyzer, exc.message, unreadable=True)
    finally:
        progress.done()
    analyzer.finish()
    return checked


def _check_sharded(path: str, capture: Any, config: Any, jobs: int, stderr: IO[str]) -> Any:
    """The finished Analyzer of a sharded check, or None when the capture needs one process."""
    progress = _Progress(path, capture, stderr)

    def tick(lines: int, position: int) -> None:
        capture.position = position
        progress.tick(lines)  # called every 1024 lines

    from mcscope.io import shard

    try:
        return shard.check_journal(path, config, jobs, tick, capture.format)
    finally:
        progress.done()


def run(args: argparse.Namespace) -> int:
    stdout, stderr = sys.stdout, sys.stderr
    if args.rules:
        print_rules(stdout)
        return EXIT_OK
    if not args.files:
        return _fail("no capture file given (usage: mcscope check FILE... ; see --help)")
    outputs = [t for t in (args.json, args.junit, args.markdown) if t]
    if args.html == "-":
        return _fail("--html needs a file name (it is not written to stdout)")
    if outputs.count("-") > 1:
        return _fail("only one of --json/--junit/--markdown can write to stdout")

    from mcscope.core.config import Config, ConfigError

    try:
        # the report needs findings and metrics only: do not keep every event (memory stays flat)
        config = Config.from_options(
            ignore=args.ignore, severity=args.severity, tunables=args.tunables,
            keep_events=bool(args.expect),  # --expect compares events
        )
    except ConfigError as exc:
        return _fail(str(exc))

    if args.jobs is not None and args.jobs < 1:
        return _fail(f"--jobs must be 1 or more, not {args.jobs} (leave it out for one process per CPU)")
    from mcscope.io import shard

    jobs = 1 if args.expect else args.jobs or shard.default_jobs()
    capture_jobs = 1 if args.expect else args.jobs or shard.default_capture_jobs()
    analyzers: dict[str, Any] = {}
    times: dict[str, float] = {}
    errors: dict[str, str] = {}  # file (its key) -> its input error
    unreadable: set[str] = set()
    for path in args.files:
        key = path
        n = 2
        while key in analyzers:  # the same file named twice: keep both
            key = f"{path} ({n})"
            n += 1
        started = time.perf_counter()
        checked = judge_file(path, config, stderr, jobs, capture_jobs)
        times[key] = time.perf_counter() - started
        analyzers[key] = checked.analyzer
        if checked.error:
            errors[key] = checked.error
        if checked.unreadable:
            unreadable.add(key)

    expect_lines: list[str] = []
    if args.expect:
        from mcscope.commands.diff import InputError, apply_expect, tolerances_from_args

        try:
            expect_lines = apply_expect(args.expect, args.expect_session, tolerances_from_args(args), config,
                                        analyzers)
        except (InputError, ValueError) as exc:
            return _fail(str(exc))
    report = rpt.build_report(analyzers)
    redactor = None
    if args.redact:  # one pseudonym table for every output of this check
        from mcscope.io import redact

        redactor = redact.Redactor()
        redactor.learn_sessions([s for an in analyzers.values() for s in an.sessions])
        report = redactor.report(report)
        expect_lines = [redactor.text(line) for line in expect_lines]
    try:
        for kind, target in (("json", args.json), ("junit", args.junit), ("markdown", args.markdown)):
            if not target:
                continue
            if kind == "json" and target != "-" and redactor is None:
                rpt.write_report(kind, report, target, args.fail_on, times)  # streamed as it is encoded
                continue
            text = honest(kind, rpt.render(kind, report, args.fail_on, times), errors, unreadable)
            if redactor is not None:
                text = redactor.mark(kind, text)
            if target == "-":
                stdout.write(text)
            else:
                rpt.write_file(target, text.encode("utf-8"))
        if args.html:
            write_html(report, args.html, dict(zip(analyzers, args.files, strict=True)), redactor)
    except OSError as exc:
        return _fail(f"cannot write report: {exc.filename or ''} {exc.strerror or exc}".strip())

    if not args.quiet and "-" not in outputs:
        colour = stdout.isatty() and not os.environ.get("NO_COLOR")
        text = terminal_summary(report, args.fail_on, colour=colour, show_info=not args.no_info,
                                max_per_session=None if args.show_all else 15, unreadable=unreadable,
                                partial=len(errors) - len(unreadable))
        stdout.write(rpt.printable(text))
    if expect_lines and not args.quiet and "-" not in outputs:
        stdout.write("\n".join(expect_lines) + "\n")
    for error in errors.values():
        print(f"mcscope check: {error}", file=stderr)
    if errors:
        return EXIT_USAGE
    return rpt.exit_code(report, args.fail_on)


def honest(kind: str, text: str, errors: dict[str, str], unreadable: set[str]) -> str:
    """A rendered report that says the check had input errors (Markdown, JUnit; JSON has no verdict)."""
    from mcscope.commands import inputerrors

    if kind == "markdown":
        return inputerrors.mark_markdown(text, errors)
    if kind == "junit":
        return inputerrors.mark_junit(text, errors, unreadable)
    return text


def terminal_summary(report: dict[str, Any], fail_on: str, *, colour: bool, show_info: bool,
                     max_per_session: int | None, unreadable: set[str], partial: int) -> str:
    """The terminal summary of :func:`mcscope.io.report.to_text`, honest about input errors.

    A file that could not be read gets no "no session found" line (its error is on stderr) and a check with
    an input error ends with ``ERROR`` (exit 2) instead of OK/FAIL, then the totals of what was read.
    """
    sources = [s for s in report.get("sources", []) if s not in unreadable]
    readable = dict(report, sources=sources, sessions=[s for s in report.get("sessions", [])
                                                       if s.get("source") not in unreadable])
    text = rpt.to_text(readable, fail_on, colour=colour, show_info=show_info, max_per_session=max_per_session)
    if not unreadable and not partial:
        return text
    body, _, verdict = text.rstrip("\n").rpartition("\n")
    files = len(report.get("sources", []))
    problems = []
    if unreadable:
        problems.append(f"{len(unreadable)} of {rpt.plural(files, 'file')} could not be read")
    if partial:
        problems.append(f"{partial} only in part" if unreadable else
                        f"{partial} of {rpt.plural(files, 'file')} could be read only in part")
    line = "ERROR: " + ", ".join(problems)
    if sources:
        line += "; what was read: " + verdict.split(" ", 1)[-1]  # the totals, without OK/FAIL
    if colour:
        line = f"\x1b[31m{line}\x1b[0m"
    return (body.rstrip("\n") + "\n\n" if body.strip() else "") + line + "\n"


def read_bodies(paths: list[str], flows: set[str]) -> dict[str, bytes]:
    """Request bodies of ``flows``, read again from the captures (the check keeps no events in memory)."""
    from mcscope.io.capture import CaptureError, open_capture

    found: dict[str, bytes] = {}
    for path in dict.fromkeys(paths):
        if len(found) >= len(flows):
            break
        try:
            for ex in open_capture(path):
                if ex.flow_id in flows and ex.request_body is not None:
                    found[ex.flow_id] = ex.request_body
                    if len(found) >= len(flows):
                        break
        except CaptureError:
            continue  # already reported by the check itself
    return found


def write_html(report: dict[str, Any], target: str, paths: dict[str, str], redactor: Any = None) -> None:
    """The HTML report (the window's, without timeline pictures), with the capture files' dates.

    With ``redactor`` (an :class:`mcscope.io.redact.Redactor` that made ``report``), the request bodies are
    redacted with the same pseudonyms and the page says it was redacted."""
    from pathlib import Path

    from mcscope.gui.htmlreport import render_html

    bodies = read_bodies(list(paths.values()), rpt.offending_flows(report))
    if redactor is not None:
        bodies = {flow: redactor.body(body) or b"" for flow, body in bodies.items()}
    files = {}
    for key, path in paths.items():
        try:
            files[key] = Path(path).stat().st_mtime
        except OSError:
            pass
    names = [Path(p).name for p in paths.values()]
    title = "mcscope report — " + (", ".join(names) if len(names) <= 3 else f"{len(names)} capture files")
    note = str(redactor.notice()["note"]) if redactor is not None else ""
    html_text = render_html(report, None, title=title, bodies=bodies, file_times=files, note=note)
    if redactor is not None:
        html_text = redactor.mark("html", html_text)
    rpt.write_file(target, rpt.printable(html_text).encode("utf-8"))
