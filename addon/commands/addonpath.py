"""``mcscope addon-path``: print the path of the mitmproxy script (for ``mitmdump -s``)."""

from __future__ import annotations

import argparse

from mcscope.live import ADDON_SCRIPT


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "addon-path",
        help="print the path of the addon script for mitmdump/mitmproxy/mitmweb -s",
        description='Print the addon script path, e.g. mitmdump -s "$(mcscope addon-path)".',
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(ADDON_SCRIPT)
    return 0
