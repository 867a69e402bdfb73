"""``mcscope mock-collector --listen HOST:PORT``: serve the mock Media Collection API collector and the mock
Media Edge API on one port."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from mcscope.commands.listen import parse_listen
from mcscope.core.verdict import EXIT_USAGE
from mcscope.sim.mockserver import MockServer


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mock-collector",
        help="serve a local mock of Adobe's Media Collection API collector and Media Edge API (no proxy)",
        description="Serve a mock of the Media Collection API collector (/api/v1/…: 201 + Location on "
        "sessionStart, 204 on events, 400/404/410 like the real one) and of the Media Edge API "
        "(/ee[/{hint}]/va/v1/…, /ee/v1/interact: 200 + media-analytics:new-session handle on sessionStart, "
        "streamed when the request asks, 204 on events, 207/400/404/413/415 like the Edge). Stops on Ctrl-C.",
    )
    parser.add_argument(
        "--listen",
        default="127.0.0.1:8090",
        metavar="HOST:PORT",
        help="address to listen on (port 0 picks a free port; default %(default)s)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="do not print one line per request")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        print(f"mcscope mock-collector: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return asyncio.run(_serve(host, port, quiet=bool(args.quiet)))
    except KeyboardInterrupt:
        return 0


async def _serve(host: str, port: int, *, quiet: bool) -> int:
    def log_request(method: str, target: str, status: int) -> None:
        print(f"{method} {target} -> {status}", flush=True)

    server = MockServer(host=host, port=port, on_request=None if quiet else log_request)
    try:
        await server.start()
    except OSError as exc:
        print(
            f"mcscope mock-collector: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr
        )
        return EXIT_USAGE
    print(f"mock collector listening on {server.url}", flush=True)
    try:
        await server.serve_forever()
    except asyncio.CancelledError:
        pass
    finally:
        await server.close()
    return 0
