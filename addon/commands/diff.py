"""``mcscope diff A B [--session SID]...``: how the sessions of two captures differ, event by event.

The sessions are aligned by event type, context and playhead (mcscope.core.compare), not by bytes: a run
of the same playback compares as equivalent although its sids, absolute ``ts`` and visitor ids differ.
Without ``--session`` the sessions of A and B are paired (a lone session with a lone session, else by
media id, in capture order); ``--session`` once picks A's session (B: its lone session or the first of the
same media id); twice picks A's and B's (A and B may then be one file). SID is a sid, a session key, a
unique prefix of one (4+ characters) or ``#N`` (the N-th session of the file).

A REST session and a Media Edge one (the same player before and after a migration) are compared in what
both protocols carry: pings, REST-only parameters and one-protocol rules are left out (mcscope.core.compare).

Exit codes: 0 equivalent under the tolerances, 1 not (or a session without a counterpart), 2 bad input.

JSON (``--json F``), format ``mcscope-diff`` version 1::

    {
      "format": "mcscope-diff", "version": 1,
      "tool": {"name": "mcscope", "version": "0.x"},
      "a": "A's path", "b": "B's path",
      "tolerances": {"playhead": 1.0, "timing": 2.0, "metric_time": 2.0,      # seconds
                     "ignore_keys": ["appInstallationId", ...], "skip_types": []},
      "equivalent": false,                     # every comparison equivalent and no session unmatched
      "summary": {"compared": 1, "equivalent": 0, "different": 1, "unmatched_a": 0, "unmatched_b": 0},
      "comparisons": [{                        # one per pair of sessions
        "a": {"sid", "key", "media_id", "media_name", "events", "status"}, "b": {...},
        "matched_by": "explicit" | "only" | "media.id",
        "protocols": {"a": "rest", "b": "edge"},
        "cross_protocol": true,                # REST vs Edge: compared in what both protocols carry
        "equivalent": false,
        "counts": {"same": 131, "changed": 1, "missing": 1, "extra": 0, "reordered": 0},
        "status": {"a": "completed", "b": "completed"},
        "rows": [{                             # the aligned event table, in sequence order
          "status": "same" | "changed" | "missing" | "extra" | "reordered",
          "a": 3, "b": null,                   # index into each session's events (null: not on that side)
          "eventType": "ping",
          "playhead": {"a": 30.0, "b": null},  # seconds
          "t": {"a": 30000, "b": null},        # ms since the session's first event
          "partner": null,                     # reordered: index of the row at the other side's place
          "changes": [{"field": "playhead" | "timing" | "context" | "ignored" | "params" |
                                "customMetadata" | "qoeData" | "findings",
                       "key": "media.ad.id",   # params/customMetadata/qoeData only
                       "a": ..., "b": ...,     # timing: seconds since the previous aligned event
                       "delta": 1.5}]          # B - A, numbers only
        }],
        "findings": {"a": {"rule": count}, "b": {...}, "appeared": ["rule"], "disappeared": ["rule"],
                     "different": [{"rule", "a", "b"}]},
        "metrics": {"a": {...}, "b": {...},    # "what Adobe will count", as in the check report
                    "different": [{"metric", "a", "b", "delta"}]},
        "differences": [{"kind", "text", "row", "a", "b"}]   # the same in words (runs grouped)
      }],
      "unmatched": {"a": [{"sid", "key", "media_id", ...}], "b": [...]},
      "redacted": {...}                        # only with --redact
    }
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from mcscope import __version__
from mcscope.core.verdict import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from mcscope.io.report import plural


def add_tolerance_arguments(group: Any, prefix: str = "") -> None:
    """The tolerance options shared by ``diff`` and ``check --expect``."""
    from mcscope.core.compare import IGNORED_KEYS, Tolerances

    d = Tolerances()
    group.add_argument(f"--{prefix}playhead-tolerance", type=float, default=d.playhead, metavar="S",
                       help=f"playhead difference still the same, seconds (default {d.playhead:g})")
    group.add_argument(f"--{prefix}time-tolerance", type=float, default=d.timing, metavar="S",
                       help="difference of the time since the previous aligned event still the same, seconds "
                       f"(default {d.timing:g}); absolute ts never count")
    group.add_argument(f"--{prefix}metric-tolerance", type=float, default=d.metric_time, metavar="S",
                       help=f"difference of a *_time metric still the same, seconds (default {d.metric_time:g})")
    group.add_argument(f"--{prefix}ignore-key", action="append", default=[], metavar="KEY",
                       help="a params/customMetadata/qoeData key not to compare (repeatable, * wildcards); "
                       f"always ignored: {', '.join(sorted(IGNORED_KEYS))}")
    group.add_argument(f"--{prefix}skip-event", action="append", default=[], metavar="TYPE",
                       help="an event type left out of the alignment (repeatable), e.g. ping for players "
                       "whose ping phase varies between runs")


def tolerances_from_args(args: argparse.Namespace, prefix: str = "") -> Any:
    """Tolerances from the options of :func:`add_tolerance_arguments`; ValueError for a negative one."""
    from mcscope.core.compare import IGNORED_KEYS, Tolerances

    p = prefix.replace("-", "_")
    values = {name: getattr(args, f"{p}{name}_tolerance") for name in ("playhead", "time", "metric")}
    for name, value in values.items():
        if not value >= 0:
            raise ValueError(f"--{prefix}{name}-tolerance must be 0 or more")
    return Tolerances(
        playhead=values["playhead"], timing=values["time"], metric_time=values["metric"],
        ignore_keys=IGNORED_KEYS | frozenset(getattr(args, f"{p}ignore_key")),
        skip_types=frozenset(getattr(args, f"{p}skip_event")),
    )


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "diff",
        help="compare the sessions of two captures event by event (missing, extra, reordered, changed)",
        description="Align the events of two sessions by event type and playhead (not bytes) and report "
        "what is missing, extra, reordered or changed, findings that appear or disappear and the metrics "
        "side by side. Sids, absolute ts and visitor ids are not compared; time is compared as the gap "
        "between aligned events.",
        epilog="exit codes: 0 equivalent under the tolerances, 1 not, 2 bad input",
    )
    p.add_argument("a", metavar="A", help="the first (reference) capture")
    p.add_argument("b", metavar="B", help="the second capture (may be A again, with two --session)")
    p.add_argument("--session", action="append", default=[], metavar="SID",
                   help="A's session, then B's (sid, key, unique prefix or #N; repeat for B)")
    p.add_argument("--json", metavar="F", help="write the comparison as JSON to F ('-' for stdout)")
    p.add_argument("--markdown", metavar="F", help="write a Markdown summary to F ('-' for stdout)")
    p.add_argument("--redact", action="store_true",
                   help="replace visitor/customer ids, credentials and client addresses by pseudonyms")
    p.add_argument("--ignore", action="append", default=[], metavar="RULE",
                   help="drop a rule before comparing findings (repeatable)")
    p.add_argument("--set", dest="tunables", action="append", default=[], metavar="TUNABLE=VALUE",
                   help="change a threshold of the analysis, as for check")
    p.add_argument("--max", type=int, default=40, metavar="N",
                   help="differences shown per session on the terminal (default 40)")
    p.add_argument("-q", "--quiet", action="store_true", help="no terminal summary")
    add_tolerance_arguments(p.add_argument_group("tolerances"))
    p.set_defaults(func=run)


class InputError(Exception):
    """Bad input: the message is for the user (exit 2)."""


# --------------------------------------------------------------------------------------------------
# Reading and choosing sessions


def load(path: str, config: Any) -> Any:
    """A finished Analyzer that kept every event of ``path``; InputError when it cannot be read whole."""
    from mcscope.core.session import Analyzer
    from mcscope.io.capture import CaptureError, open_capture

    analyzer = Analyzer(config)
    try:
        for exchange in open_capture(path):
            analyzer.feed(exchange)
    except CaptureError as exc:  # its message names the file already
        message = exc.message if str(Path(path)) in exc.message else f"{path}: {exc.message}"
        raise InputError(message) from None
    analyzer.finish()
    return analyzer


def select(sessions: Sequence[Any], spec: str, where: str) -> Any:
    """The session ``spec`` names (sid, key, #N, unique prefix of 4+ characters); InputError otherwise."""
    if spec.startswith("#") and spec[1:].isdigit():
        n = int(spec[1:])
        if 1 <= n <= len(sessions):
            return sessions[n - 1]
        raise InputError(f"{where} has {len(sessions)} sessions, no {spec}")
    for s in sessions:
        if spec in (s.sid, s.key):
            return s
    found = [s for s in sessions if len(spec) >= 4 and any(isinstance(v, str) and v.startswith(spec)
                                                           for v in (s.sid, s.key))]
    if len(found) == 1:
        return found[0]
    if found:
        raise InputError(f"{spec!r} names {len(found)} sessions of {where}: give more of the sid")
    raise InputError(f"no session {spec!r} in {where}")


def _pairs(args: argparse.Namespace, sa: list[Any], sb: list[Any]) -> Any:
    from mcscope.core.compare import Matching, match_sessions, media_id

    same_file = args.a == args.b
    if len(args.session) > 2:
        raise InputError("--session at most twice (A's session, then B's)")
    if same_file and len(args.session) != 2:
        raise InputError("A and B are one file: name two of its sessions (--session SID --session SID)")
    if len(args.session) == 2:
        x, y = select(sa, args.session[0], args.a), select(sb, args.session[1], args.b)
        if x is y:
            raise InputError("both --session name the same session")
        return match_sessions([x], [y], [(x, y)])
    if len(args.session) == 1:
        x = select(sa, args.session[0], args.a)
        same = [s for s in sb if media_id(s) == media_id(x)]
        if len(sb) == 1:
            return Matching([(x, sb[0], "only")], [], [])
        if same:
            return Matching([(x, same[0], "media.id")], [], [])
        raise InputError(f"no session of media.id {media_id(x)!r} in {args.b}: name it with a second --session")
    return match_sessions(sa, sb)


# --------------------------------------------------------------------------------------------------
# The JSON document


def build(a_path: str, b_path: str, matching: Any, tolerances: Any) -> dict[str, Any]:
    """The ``mcscope-diff`` document (see the module docstring)."""
    from mcscope.core.compare import compare_sessions, session_info

    comparisons = []
    for x, y, how in matching.pairs:
        diff = compare_sessions(x, y, tolerances, how)
        item = diff.to_dict()
        item["differences"] = [{"kind": d.kind, "text": d.text, "row": d.row, "a": d.a, "b": d.b}
                               for d in diff.differences()]
        comparisons.append(item)
    equal = sum(1 for c in comparisons if c["equivalent"])
    unmatched = {"a": [session_info(s) for s in matching.unmatched_a],
                 "b": [session_info(s) for s in matching.unmatched_b]}
    return {
        "format": "mcscope-diff",
        "version": 1,
        "tool": {"name": "mcscope", "version": __version__},
        "a": a_path,
        "b": b_path,
        "tolerances": tolerances.to_dict(),
        "equivalent": equal == len(comparisons) and not unmatched["a"] and not unmatched["b"],
        "summary": {"compared": len(comparisons), "equivalent": equal, "different": len(comparisons) - equal,
                    "unmatched_a": len(unmatched["a"]), "unmatched_b": len(unmatched["b"])},
        "comparisons": comparisons,
        "unmatched": unmatched,
    }


# --------------------------------------------------------------------------------------------------
# Rendering (from the document, so a saved JSON renders the same)


def _name(info: Mapping[str, Any]) -> str:
    label = info.get("media_name") or info.get("media_id")
    return f"session {info.get('sid') or info.get('key')}" + (f" ({label})" if label else "")


#: How a pair was matched (the JSON's ``matched_by``), in words.
MATCHED = {
    "only": "matched: the only session on each side",
    "explicit": "matched: chosen with --session",
    "media.id": "matched by media id",
}


def matched(how: Any) -> str:
    return MATCHED.get(str(how), f"matched by {how}")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _counts(c: Mapping[str, Any]) -> str:
    return ", ".join(f"{n} {k}" for k, n in c["counts"].items() if n)


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return "—" if v is None else str(v)


def to_text(doc: Mapping[str, Any], max_lines: int = 40) -> str:
    out: list[str] = [f"A: {doc['a']}", f"B: {doc['b']}"]
    for c in doc["comparisons"]:
        verdict = "equivalent" if c["equivalent"] else "DIFFERENT"
        out += ["", f"A {_name(c['a'])}", f"B {_name(c['b'])}  ({matched(c['matched_by'])}): {verdict}",
                f"  {c['a']['events']} vs {c['b']['events']} events: {_counts(c)}"]
        if c.get("cross_protocol"):
            out.append(f"  {_migration(c)}")
        diffs = c["differences"]
        for d in diffs[:max_lines]:
            out.append(f"  {d['kind']:<9} {d['text']}")
        if len(diffs) > max_lines:
            out.append(f"  … and {len(diffs) - max_lines} more differences (see --json)")
        different = {m["metric"] for m in c["metrics"]["different"]}
        head = "what Adobe will count"
        width = max([len(head), *(len(k) for k in c["metrics"]["a"])])
        out.append(f"  {head:<{width}}  {'A':>12}  {'B':>12}")
        for key in dict.fromkeys([*c["metrics"]["a"], *c["metrics"]["b"]]):
            mark = "  ≠" if key in different else ""
            out.append(f"  {key:<{width}}  {_value(c['metrics']['a'].get(key)):>12}  "
                       f"{_value(c['metrics']['b'].get(key)):>12}{mark}")
    for side in ("a", "b"):
        for info in doc["unmatched"][side]:
            out.append(f"\n{side.upper()} {_name(info)}: no counterpart in {doc['b' if side == 'a' else 'a']}")
    s = doc["summary"]
    verdict = "EQUIVALENT" if doc["equivalent"] else "DIFFERENT"
    out += ["", f"{verdict}: {s['compared']} compared, {s['equivalent']} equivalent, {s['different']} different, "
            f"{s['unmatched_a']} only in A, {s['unmatched_b']} only in B"]
    return "\n".join(out) + "\n"


def _migration(c: Mapping[str, Any]) -> str:
    names = {"rest": "REST", "edge": "Media Edge"}
    p = c["protocols"]
    return (f"{names.get(p['a'], p['a'])} vs {names.get(p['b'], p['b'])}: compared in what both protocols carry "
            "(pings, parameters one protocol has no field for and one-protocol rules left out).")


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("`", "'")


def to_markdown(doc: Mapping[str, Any]) -> str:
    verdict = "✅ equivalent" if doc["equivalent"] else "❌ different"
    s = doc["summary"]
    t = doc["tolerances"]
    lines = [f"## mcscope diff: {verdict}", "",
             f"A: `{_md(doc['a'])}` · B: `{_md(doc['b'])}` · tolerances: playhead {t['playhead']:g} s, timing "
             f"{t['timing']:g} s, metrics {t['metric_time']:g} s", "",
             "| Compared | Equivalent | Different | Only in A | Only in B |", "|---:|---:|---:|---:|---:|",
             f"| {s['compared']} | {s['equivalent']} | {s['different']} | {s['unmatched_a']} | {s['unmatched_b']} |",
             ""]
    for c in doc["comparisons"]:
        verdict = "equivalent" if c["equivalent"] else "different"
        lines += [f"### {_md(_name(c['a']))} ↔ {_md(_name(c['b']))}: {verdict}", "",
                  f"{_md(_capital(matched(c['matched_by'])))}; {c['a']['events']} vs {c['b']['events']} events: "
                  f"{_md(_counts(c))}." + (f" {_md(_migration(c))}" if c.get("cross_protocol") else ""), ""]
        if c["differences"]:
            lines += ["| Kind | Difference |", "|---|---|"]
            lines += [f"| {d['kind']} | {_md(d['text'])} |" for d in c["differences"]]
            lines.append("")
        different = {m["metric"] for m in c["metrics"]["different"]}
        lines += ["| What Adobe will count | A | B | |", "|---|---:|---:|---|"]
        for key in dict.fromkeys([*c["metrics"]["a"], *c["metrics"]["b"]]):
            lines.append(f"| {key} | {_md(_value(c['metrics']['a'].get(key)))} | "
                         f"{_md(_value(c['metrics']['b'].get(key)))} | {'≠' if key in different else ''} |")
        lines.append("")
    for side in ("a", "b"):
        for info in doc["unmatched"][side]:
            lines.append(f"- Only in {side.upper()}: {_md(_name(info))}")
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------------------------------
# The command


def _fail(message: str) -> int:
    print(f"mcscope diff: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    import json

    from mcscope.core.config import Config, ConfigError
    from mcscope.io import redact
    from mcscope.io.report import printable

    stdout: IO[str] = sys.stdout
    if args.json == "-" and args.markdown == "-":
        return _fail("only one of --json/--markdown can write to stdout")
    try:
        tolerances = tolerances_from_args(args)
        config = Config.from_options(ignore=args.ignore, tunables=args.tunables)
    except (ValueError, ConfigError) as exc:
        return _fail(str(exc))
    try:
        an_a = load(args.a, config)
        an_b = an_a if args.b == args.a else load(args.b, config)
        for path, an in ((args.a, an_a), (args.b, an_b)):
            if not an.sessions:
                raise InputError(f"{path}: no Media Collection session in it")
        matching = _pairs(args, an_a.sessions, an_b.sessions)
    except InputError as exc:
        return _fail(str(exc))
    doc = build(args.a, args.b, matching, tolerances)
    redactor = None
    if args.redact:
        redactor = redact.Redactor()
        redactor.learn_sessions([*an_a.sessions, *([] if an_b is an_a else an_b.sessions)])
        doc = redactor.report(doc)
    outputs = {"json": json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n",
               "markdown": to_markdown(doc)}
    try:
        for kind, target in (("json", args.json), ("markdown", args.markdown)):
            if not target:
                continue
            text = printable(redactor.mark(kind, outputs[kind]) if redactor else outputs[kind])
            if target == "-":
                stdout.write(text)
            else:
                redact.write_text(target, text)
    except OSError as exc:
        return _fail(f"cannot write: {exc.filename or ''} {exc.strerror or exc}".strip())
    if not args.quiet and "-" not in (args.json, args.markdown):
        stdout.write(printable(to_text(doc, max(args.max, 0))))
    return EXIT_OK if doc["equivalent"] else EXIT_FINDINGS


# --------------------------------------------------------------------------------------------------
# mcscope check --expect REFERENCE


def apply_expect(reference: str, explicit: Sequence[str], tolerances: Any, config: Any,
                 analyzers: Mapping[str, Any]) -> list[str]:
    """Compare every session of ``analyzers`` (fed with ``config``, keep_events=True) with its session in
    ``reference`` and add ``differs-from-reference`` findings; lines that say what was matched.

    ``explicit``: ``SID=REF_SID`` pairs; the others are matched by media id. InputError for bad input.
    """
    from mcscope.core import compare
    from mcscope.core.model import Finding

    ref = load(reference, config)
    captured = [s for an in analyzers.values() for s in an.sessions]
    pairs = []
    for item in explicit:
        sid, eq, ref_sid = item.partition("=")
        if not eq or not sid.strip() or not ref_sid.strip():
            raise InputError(f"--expect-session takes SID=REFERENCE_SID, got {item!r}")
        pairs.append((select(ref.sessions, ref_sid.strip(), reference), select(captured, sid.strip(), "the capture")))
    matching = compare.match_sessions(ref.sessions, captured, pairs)
    differing = 0
    for ref_session, session, how in matching.pairs:
        diff = compare.compare_sessions(ref_session, session, tolerances, how)
        if not diff.equivalent:
            differing += 1
            compare.apply_reference(session, diff, reference)
    for session in matching.unmatched_b:
        first = session.start_event or (session.events[0] if session.events else None)
        session.emit(compare.RULE, compare.unmatched_message(session, False, reference), first)
    if matching.unmatched_a and compare.RULE not in config.ignore and analyzers:
        target = next(iter(analyzers.values()))
        for ref_session in matching.unmatched_a:
            protocol = ref_session.protocol  # the reference session's: its default severity, its report column
            target.transport_findings.append(Finding(compare.RULE, config.severity_of(compare.RULE, protocol),
                                                     compare.unmatched_message(ref_session, True, reference),
                                                     protocol=protocol))
    lines = [f"reference {reference}: {plural(len(matching.pairs), 'session')} matched, {differing} "
             f"{'differs' if differing == 1 else 'differ'}"]
    for session in matching.unmatched_b:
        lines.append(f"  session {session.sid or session.key} has no reference session "
                     f"(media.id {compare.media_id(session)!r})")
    for ref_session in matching.unmatched_a:
        lines.append(f"  reference session {ref_session.sid or ref_session.key} has no session in the capture "
                     f"(media.id {compare.media_id(ref_session)!r})")
    return lines
