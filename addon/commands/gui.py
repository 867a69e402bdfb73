"""The window's front doors: ``mcscope`` (no subcommand) / ``mcscope gui``, ``open FILE...`` and ``attach``.

Imports the GUI (and so Qt) only when a command runs, so ``mcscope --help`` stays fast and works headless.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mcscope.core.verdict import EXIT_USAGE


def add_launch_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The options of the window's launch (``mcscope``, ``mcscope gui``)."""
    parser.add_argument("--demo", action="store_true",
                        help="start capture with the mock collector and scripted players (a live tour)")
    parser.add_argument("--port", type=int, default=None, help="proxy listen port (default 8080 or the saved one)")
    parser.add_argument("--listen-host", default=None, metavar="HOST",
                        help="proxy listen address (default 127.0.0.1)")
    parser.add_argument("--screenshot", metavar="PNG", default=None,
                        help="render the window offscreen into PNG and exit (after loading with 'open FILE', "
                        "after a few seconds of --demo, else at once)")
    parser.add_argument("--no-capture", action="store_true", help="open the window without starting capture")


def add_parser(subparsers: Any) -> None:
    p_open = subparsers.add_parser(
        "open", help="open .mitm, .har or journal files in the window",
        description="Open captures (.mitm, HAR 1.2, mcscope journals) in the desktop window.",
        epilog="exit codes: 0 shown (and the --screenshot saved), 2 no given file could be read or the "
        "window could not start",
    )
    p_open.add_argument("files", nargs="+", metavar="FILE",
                        help="capture files (the format is sniffed from the content; unreadable ones are "
                        "skipped)")
    p_open.add_argument("--screenshot", metavar="PNG", default=None,
                        help="render offscreen: load, select the first session with problems, save PNG, exit")
    p_open.set_defaults(func=cmd_open)

    p_attach = subparsers.add_parser(
        "attach", help="view a proxy already running the mcscope addon (mitmproxy/mitmweb -s)",
        description="Connect the window to the mcscope addon inside your own mitmproxy, mitmweb or mitmdump.",
    )
    p_attach.add_argument("--pid", type=int, default=None, help="the proxy's process id (default: the newest)")
    p_attach.add_argument("--socket", default=None, help="stream socket path (with --token)")
    p_attach.add_argument("--token", default=None, help="stream token (default: from the discovery file)")
    p_attach.add_argument("--list", action="store_true", help="list running proxies and exit")
    p_attach.set_defaults(func=cmd_attach)

    # `mcscope gui [--demo] [--port N]`: the launch path as an explicit subcommand too
    p_gui = subparsers.add_parser(
        "gui", help="open the window and start capture (same as no subcommand)",
        description="Open the desktop window and start capturing: the proxy listens on 127.0.0.1:8080 (or "
        "--listen-host/--port, or the saved settings) and the sessions sent through it appear live. The same "
        "as mcscope without a subcommand.",
    )
    add_launch_arguments(p_gui)
    p_gui.set_defaults(func=cmd_gui)


def cmd_open(args: argparse.Namespace) -> int:
    from mcscope.commands.inputs import capture_problem

    # The window skips a file it cannot read; when that is every file, say so and exit 2 (as check does)
    # instead of an empty window, also for a file that sniffs as a capture but breaks at once ({"log": 5}).
    problems = [capture_problem(path, whole=False) for path in args.files]
    if all(problems):
        for path, why in zip(args.files, problems, strict=True):
            print(f"mcscope: skipped {why}" if str(why).startswith(path) else f"mcscope: skipped {path}: {why}",
                  file=sys.stderr)
        return EXIT_USAGE
    from mcscope.gui.app import run

    return run("open", args.files, screenshot=args.screenshot)


def cmd_gui(args: argparse.Namespace) -> int:
    from mcscope.gui.app import run

    return run("launch", port=args.port, host=args.listen_host, demo=args.demo, screenshot=args.screenshot,
               capture=not args.no_capture)


def find_stream(pid: int | None = None) -> dict[str, Any] | None:
    from mcscope.live.stream import list_streams

    for info in list_streams():
        if pid is None or int(info.get("pid", 0)) == pid:
            return info
    return None


def cmd_attach(args: argparse.Namespace) -> int:
    from mcscope.live.stream import list_streams

    if args.list:
        streams = list_streams()
        if not streams:
            print("no running mcscope proxy found")
        for info in streams:
            print(f"pid {info.get('pid')}: listening on {info.get('listen')}, stream {info.get('address')}, "
                  f"journal {info.get('journal')}")
        return 0
    if args.socket:
        if not args.token:
            print("mcscope attach: --socket needs --token", file=sys.stderr)
            return EXIT_USAGE
        target = {"socket": args.socket, "token": args.token}
    else:
        info = find_stream(args.pid)
        if info is None:
            print("mcscope attach: no running mcscope proxy found (start one with "
                  "'mitmweb -s \"$(mcscope addon-path)\"' or 'mcscope proxy')", file=sys.stderr)
            return EXIT_USAGE
        if info.get("transport") == "tcp" or not info.get("socket"):
            print("mcscope attach: that proxy serves its stream over TCP, which the window does not "
                  "support yet", file=sys.stderr)
            return EXIT_USAGE
        target = {"socket": info["socket"], "token": args.token or info.get("token", "")}
    from mcscope.gui.app import run

    return run("attach", attach=target)
