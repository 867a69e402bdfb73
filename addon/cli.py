"""The ``mcscope`` command line: subcommands registered from a fixed list of modules.

Every subcommand lives in its own module exposing ``add_parser(subparsers)``; the parser it adds sets
``func(args) -> int``. Modules are imported one by one and a missing or broken one is skipped (with a
debug log), so ``mcscope --help`` keeps working while parts of the tool are being written.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from mcscope import __version__
from mcscope.core.verdict import EXIT_USAGE

log = logging.getLogger(__name__)

#: Modules that contribute subcommands, in the order they appear in ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "mcscope.commands.check",
    "mcscope.commands.proxy",
    "mcscope.commands.simulate",
    "mcscope.commands.mockcollector",
    "mcscope.commands.addonpath",
    "mcscope.commands.gui",
)


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mcscope",
        description="Debugging proxy and validator for Adobe's Media Collection API. "
        "Without a subcommand, opens the desktop window.",
    )
    parser.add_argument("--version", action="version", version=f"mcscope {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output on stderr")
    try:
        from mcscope.gui.app import add_launch_arguments
    except Exception as exc:  # no Qt: the subcommands still work
        log.debug("window options not available: %s", exc)
    else:
        add_launch_arguments(parser.add_argument_group("window (without a subcommand)"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            if exc.name is not None and name.startswith(exc.name):
                log.debug("subcommand module %s not available: %s", name, exc)
                continue
            log.warning("cannot load subcommand module %s: %s", name, exc)
            continue
        except Exception as exc:  # a broken module must not take the whole CLI down
            log.warning("cannot load subcommand module %s: %s", name, exc)
            continue
        add = getattr(module, "add_parser", None)
        if callable(add):
            try:
                add(sub)
            except Exception as exc:
                log.warning("subcommand module %s failed to register: %s", name, exc)
    return parser


def _launch_gui(argv: Sequence[str]) -> int:
    try:
        from mcscope.gui.app import main as gui_main
    except ImportError as exc:
        print(f"mcscope: the desktop window is not available ({exc}); try 'mcscope --help'", file=sys.stderr)
        return EXIT_USAGE
    window_args = [a for a in argv if a not in ("-v", "-vv", "--verbose")]
    result = gui_main(window_args)
    return int(result or 0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arglist = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(arglist)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    func = getattr(args, "func", None)
    if args.command is None or func is None:
        return _launch_gui(arglist)
    try:
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
