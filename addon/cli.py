"""The ``mcscope`` command line: the subcommands of :mod:`mcscope.commands`, one module each.

Every command module exposes ``add_parser(subparsers)``; the parser it adds sets ``func(args) -> int``.
A command module that fails to import or to register fails the whole CLI, loudly: a broken command is a
bug to see, not a subcommand to hide. Command modules import their heavy dependencies (mitmproxy, Qt)
only when they run, so ``mcscope --help`` stays fast and works without a display.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from mcscope import __version__
from mcscope.commands import addonpath, check, diff, gui, mockcollector, proxy, simulate
from mcscope.core.verdict import EXIT_USAGE

#: The command modules, in the order they appear in ``--help``.
COMMANDS: tuple[ModuleType, ...] = (check, diff, proxy, simulate, mockcollector, addonpath, gui)


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(commands: Sequence[ModuleType] = COMMANDS) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mcscope",
        description="Debugging proxy and validator for Adobe's Media Collection API. "
        "Without a subcommand, opens the desktop window.",
    )
    parser.add_argument("--version", action="version", version=f"mcscope {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output on stderr")
    gui.add_launch_arguments(parser.add_argument_group("window (without a subcommand)"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in commands:
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    func = getattr(args, "func", None)
    try:
        if args.command is None or func is None:
            return gui.cmd_gui(args)
        return int(func(args) or 0)
    except KeyboardInterrupt:
        print("mcscope: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `mcscope check --rules | head`: the reader went away
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
