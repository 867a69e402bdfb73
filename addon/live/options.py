"""The addon's ``mcscope_*`` options: their declarations, their validation (in ``configure``) and the
:class:`Settings` snapshot a :class:`~mcscope.live.pipeline.Pipeline` runs with (plain, picklable data, so
the analysis process gets exactly what the in-process mode reads from ``ctx.options``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mitmproxy import exceptions
from mitmproxy.addonmanager import Loader

from mcscope.core.config import Config
from mcscope.core.verdict import FAIL_LEVELS
from mcscope.live import journalwriter
from mcscope.live import stream as stream_mod
from mcscope.live.journalwriter import default_journal_path

OFF = ("off", "none", "false", "no", "-")
#: The report options: kind -> option name.
REPORTS = {"json": "mcscope_json", "junit": "mcscope_junit", "markdown": "mcscope_markdown"}
RULES = ("mcscope_ignore", "mcscope_severity", "mcscope_set")
#: Options that decide whether the addon analyses at all.
ANALYSIS = ("mcscope_analyse", *REPORTS.values())
DEFAULT_BACKLOG = 50_000
#: The journal writer's bounds.
LIMITS = ("mcscope_max_body", "mcscope_max_decoded", "mcscope_max_pending")


def declare(loader: Loader) -> None:
    loader.add_option(
        "mcscope_hosts", Sequence[str], [],
        "Only analyse these collection hosts (a name matches itself and its subdomains). "
        "Default: any host whose path is a Media Collection endpoint.",
    )
    loader.add_option(
        "mcscope_journal", str, "",
        "NDJSON journal of every collection exchange. Default: a new timestamped file in the user "
        "data dir (journals/). 'off' disables it.",
    )
    loader.add_option(
        "mcscope_stream", str, "auto",
        "Viewer stream: a Unix socket path (its directory must be private, 0700), 'auto' (a fresh "
        "private directory) or 'off'. The token comes from $MCSCOPE_TOKEN (generated when unset).",
    )
    loader.add_option(
        "mcscope_stream_tcp", bool, sys.platform == "win32",
        "Serve the viewer stream on 127.0.0.1 (token + proxy guard) instead of a Unix socket.",
    )
    loader.add_option("mcscope_stream_queue", int, stream_mod.DEFAULT_CLIENT_QUEUE,
                      "Messages buffered per viewer before it gets a 'gap'.")
    loader.add_option("mcscope_stream_backlog", int, DEFAULT_BACKLOG,
                      "Exchanges kept in memory for the snapshot sent to a newly attached viewer.")
    loader.add_option("mcscope_json", str, "", "Write the JSON report here when the proxy stops.")
    loader.add_option("mcscope_junit", str, "", "Write a JUnit XML report here when the proxy stops.")
    loader.add_option("mcscope_markdown", str, "", "Write a Markdown report here when the proxy stops.")
    loader.add_option("mcscope_fail_on", str, "error",
                      "Lowest severity that makes the exit code 1 (mcscope proxy).", choices=FAIL_LEVELS)
    loader.add_option("mcscope_ignore", Sequence[str], [], "Rule ids to ignore.")
    loader.add_option("mcscope_severity", Sequence[str], [], "Severity overrides, RULE=LEVEL.")
    loader.add_option("mcscope_set", Sequence[str], [], "Rule tunables, NAME=VALUE (e.g. idle_timeout=600).")
    loader.add_option("mcscope_mock", bool, False,
                      "Answer collection calls locally like Adobe's collector (other traffic passes).")
    loader.add_option("mcscope_worker", bool, True,
                      "Journal, analyse and serve viewers in a separate process, off the proxy's event "
                      "loop (off: all in the proxy process).")
    loader.add_option(
        "mcscope_max_body", int, journalwriter.DEFAULT_MAX_BODY,
        "Largest body (bytes, after decoding) journalled whole; a bigger one is journalled truncated (its "
        "first 64 KiB) with its full size and SHA-256, and judged body-not-captured.",
    )
    loader.add_option(
        "mcscope_max_decoded", int, journalwriter.DEFAULT_MAX_DECODED,
        "Decoding a body's Content-Encoding (gzip, deflate, br, zstd) stops after this many bytes (or "
        "mcscope_max_body if smaller): the body then counts as too big. Decoding never runs on the "
        "proxy's event loop.",
    )
    loader.add_option(
        "mcscope_max_pending", int, journalwriter.DEFAULT_MAX_PENDING,
        "Body bytes waiting for the journal writer at most; beyond, exchanges are journalled without "
        "their bodies (counted and logged, judged body-not-captured).",
    )
    loader.add_option("mcscope_analyse", bool, False,
                      "Analyse the capture in the addon even without a report file, for the exit code "
                      "(mcscope proxy sets it). The addon analyses when this is on or a report "
                      "(mcscope_json/junit/markdown) is wanted; a viewer analyses what it is streamed itself.")


def build_config(ignore: Sequence[str], severity: Sequence[str], tunables: Sequence[str]) -> Config:
    """The core Config for the rule options; OptionsError with a clear message on bad values."""
    try:
        # Findings and metrics, not every event: flat memory in long captures.
        return Config.from_options(ignore=list(ignore), severity=list(severity), tunables=list(tunables),
                                   keep_events=False)
    except (ValueError, TypeError, KeyError) as exc:  # ConfigError is a ValueError
        msg = exc.args[0] if exc.args else exc
        raise exceptions.OptionsError(f"mcscope: {msg}") from None


def validate(opts: Any, updated: set[str]) -> None:
    """Check the updated options; OptionsError (mitmproxy refuses the change) on a bad value."""
    if "mcscope_hosts" in updated:
        for host in opts.mcscope_hosts:
            if not host.strip() or "/" in host or " " in host.strip():
                raise exceptions.OptionsError(f"mcscope_hosts: {host!r} is not a host name")
    if "mcscope_journal" in updated:
        _check_output_path(opts.mcscope_journal, "mcscope_journal", allow_off=True)
    for name in REPORTS.values():
        if name in updated:
            _check_output_path(getattr(opts, name), name)
    if "mcscope_stream" in updated:
        _check_stream(opts.mcscope_stream)
    if "mcscope_fail_on" in updated and opts.mcscope_fail_on not in FAIL_LEVELS:
        raise exceptions.OptionsError(
            f"mcscope_fail_on: {opts.mcscope_fail_on!r} is not one of {', '.join(FAIL_LEVELS)}"
        )
    if "mcscope_stream_queue" in updated and opts.mcscope_stream_queue < 1:
        raise exceptions.OptionsError("mcscope_stream_queue must be at least 1")
    if "mcscope_stream_backlog" in updated and opts.mcscope_stream_backlog < 0:
        raise exceptions.OptionsError("mcscope_stream_backlog must be 0 or more")
    for name in LIMITS:
        if name in updated and getattr(opts, name) < 1:
            raise exceptions.OptionsError(f"{name} must be at least 1 (bytes)")


def limits(opts: Any) -> journalwriter.Limits:
    """The journal writer's bounds from the options."""
    return journalwriter.Limits(max_body=opts.mcscope_max_body, max_decoded=opts.mcscope_max_decoded,
                                max_pending=opts.mcscope_max_pending)


def analysis_wanted(opts: Any) -> bool:
    """Reports or an exit code to produce: only then does the addon analyse."""
    return bool(opts.mcscope_analyse or any(getattr(opts, name) for name in REPORTS.values()))


def report_outputs(opts: Any) -> dict[str, str]:
    """Report kind -> target file ('' = not wanted)."""
    return {kind: getattr(opts, name) for kind, name in REPORTS.items()}


def journal_path(value: str) -> Path | None:
    """The journal file of ``mcscope_journal`` (None: off)."""
    if value.lower() in OFF:
        return None
    return Path(value).expanduser() if value else default_journal_path()


def stream_wanted(value: str) -> bool:
    return bool(value) and value.lower() not in OFF


def _check_output_path(value: str, name: str, allow_off: bool = False) -> None:
    if not value or (allow_off and value.lower() in OFF):
        return
    path = Path(value).expanduser()
    if path.is_dir():
        raise exceptions.OptionsError(f"{name}: {value} is a directory, expected a file name")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise exceptions.OptionsError(f"{name}: cannot write to {path.parent}")


def _check_stream(value: str) -> None:
    if not stream_wanted(value) or value == "auto":
        return
    path = Path(value).expanduser()
    if len(os.fsencode(str(path))) > 100:
        raise exceptions.OptionsError(f"mcscope_stream: socket path too long (>100 bytes): {value}")
    parent = path.parent
    if parent.exists():
        st = parent.stat()
        if os.name == "posix" and (st.st_mode & 0o077 or st.st_uid != os.getuid()):
            raise exceptions.OptionsError(
                f"mcscope_stream: the socket's directory {parent} must be private to you (chmod 700)"
            )
    if path.exists() and not path.is_socket():
        raise exceptions.OptionsError(f"mcscope_stream: {value} exists and is not a socket")


@dataclass
class Settings:
    """What one capture's pipeline runs with (taken from the options when the proxy starts)."""

    journal: Path | None
    journal_header: dict[str, Any]
    config: Config
    analyse: bool = False
    backlog: int = DEFAULT_BACKLOG
    client_queue: int = stream_mod.DEFAULT_CLIENT_QUEUE
    listen: str | None = None
    mock: bool = False
    pid: int = field(default_factory=os.getpid)
    #: The file the pipeline reads behind the writer (the journal, or the spool when it is off).
    source: str | None = None
    #: Offset of this run's header in ``source``.
    start: int = 0
    #: How often the analysis process was restarted before this one.
    restarts: int = 0
