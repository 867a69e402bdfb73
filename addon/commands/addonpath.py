"""``mcscope addon-path``: print the path of the mitmproxy script (for ``mitmdump -s``)."""

from __future__ import annotations

import argparse
from pathlib import Path


def addon_script() -> Path:
    return Path(__file__).resolve().parent.parent / "mcscope_addon.py"


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "addon-path",
        help="print the path of the addon script for mitmdump/mitmproxy/mitmweb -s",
        description='Print the addon script path, e.g. mitmdump -s "$(mcscope addon-path)".',
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(addon_script())
    return 0
