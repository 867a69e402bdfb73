"""``mcscope simulate``: scripted players of the REST Media Collection API or the Media Edge API (clean and
faulty scenarios)."""

from __future__ import annotations

import argparse
import asyncio
import math
import ssl
import sys
from typing import Any

from mcscope.core.verdict import EXIT_FINDINGS as EXIT_FAILED
from mcscope.core.verdict import EXIT_OK, EXIT_USAGE
from mcscope.io.report import plural
from mcscope.sim.httpclient import HttpError, parse_url, probe
from mcscope.sim.simulate import PROTOCOLS, PlayerResult, run_players, scenarios_of, select_scenarios

MAX_PLAYERS = 10_000


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run scripted players (clean and faulty scenarios) against a collector or through a proxy",
        description="Play scripted Media Collection API sessions (--protocol rest, the default) or Media Edge "
        "API sessions as Adobe's Edge Media SDKs, the Web SDK and hand-built clients send them (--protocol "
        "edge) with a virtual clock: --speed 60 plays an hour in a minute with consistent timestamps, "
        "--speed 0 sends as fast as possible. Exit 0 when every response is what Adobe's collector (or the "
        "Edge) would answer, 1 otherwise, 2 on usage or connection errors.",
        epilog="exit codes: 0 every response as expected, 1 an unexpected response, 2 usage or connection error",
    )
    parser.add_argument(
        "--target",
        metavar="URL",
        help="collector base URL, e.g. http://127.0.0.1:8090 (mcscope mock-collector answers both protocols; "
        "Adobe's Edge is https://edge.adobedc.net)",
    )
    parser.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        default="rest",
        help="which scenarios: rest (/api/v1/sessions, the default), edge (/ee/va/v1/…, /ee/v1/interact) "
        "or all",
    )
    parser.add_argument(
        "--proxy", metavar="URL", help="HTTP proxy to send through, e.g. http://127.0.0.1:8080"
    )
    parser.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help="scenario name, or all / clean / faulty; repeatable or comma-separated (default: all)",
    )
    parser.add_argument("--players", type=int, default=1, metavar="N", help="concurrent players per scenario (default: %(default)s)")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="X",
        help="virtual seconds per real second (0 = no waiting; default: %(default)s)",
    )
    parser.add_argument(
        "--cafile", metavar="PEM", help="CA bundle to trust for https targets (mitmproxy's CA)"
    )
    parser.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    parser.add_argument(
        "--timeout", type=float, default=10.0, metavar="S",
        help="per-request timeout in seconds (default: %(default)s)",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the protocol's scenarios with their expected rules and exit"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the final summary line")
    parser.set_defaults(func=run)


def list_scenarios(protocol: str = "rest") -> str:
    scenarios = scenarios_of(protocol)
    width = max(len(name) for name in scenarios)
    lines = []
    for sc in scenarios.values():
        rules = (
            ", ".join(sorted(sc.expected_rules)) if sc.expected_rules else "clean (no errors, no warnings)"
        )
        if sc.timeout_rules:
            rules += f" (+ {', '.join(sorted(sc.timeout_rules))} once the capture outlives the idle timeout)"
        lines.append(f"{sc.name:<{width}}  {rules}")
        lines.append(f"{'':<{width}}  {sc.description}")
    return "\n".join(lines)


def _fail(message: str) -> int:
    print(f"mcscope simulate: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    if args.list:
        print(list_scenarios(args.protocol))
        return EXIT_OK
    if not args.target:
        return _fail("--target URL is required (or use --list)")
    try:
        target = parse_url(args.target, what="--target")
        proxy = parse_url(args.proxy, what="--proxy", allow_https=False) if args.proxy else None
        scenarios = select_scenarios(args.scenario or ["all"], args.protocol)
    except ValueError as exc:
        return _fail(str(exc))
    if not scenarios:
        return _fail("no scenario selected")
    if not 1 <= args.players <= MAX_PLAYERS:
        return _fail(f"--players must be between 1 and {MAX_PLAYERS}")
    if not math.isfinite(args.speed) or args.speed < 0:
        return _fail("--speed must be a number >= 0")
    if not math.isfinite(args.timeout) or args.timeout <= 0:
        return _fail("--timeout must be > 0")
    try:
        context = _ssl_context(args) if target.scheme == "https" else None
    except (OSError, ssl.SSLError) as exc:
        return _fail(f"cannot load --cafile {args.cafile}: {getattr(exc, 'strerror', None) or exc}")

    def show(result: PlayerResult) -> None:
        if not args.quiet and (result.sent or not result.failures):
            print(result.summary(), flush=True)

    try:
        asyncio.run(probe(proxy or target, timeout=min(args.timeout, 5.0)))
    except HttpError as exc:
        return _fail(str(exc))
    try:
        results = asyncio.run(
            run_players(
                scenarios,
                target,
                players=args.players,
                speed=args.speed,
                proxy=proxy,
                ssl_context=context,
                timeout=args.timeout,
                on_result=show,
            )
        )
    except KeyboardInterrupt:
        print("mcscope simulate: interrupted", file=sys.stderr)
        return 130
    unreachable = [r for r in results if r.failures and not r.sent]
    if unreachable and len(unreachable) == len(results):
        return _fail(unreachable[0].failures[0])
    for result in unreachable:
        print(result.summary(), flush=True)
    sent = sum(r.sent for r in results)
    bad = [r for r in results if not r.ok]
    print(
        f"simulate: {plural(len(results), 'player')}, {plural(len(scenarios), 'scenario')}, "
        f"{plural(sent, 'request')}, {len(bad)} with unexpected results",
        flush=True,
    )
    return EXIT_FAILED if bad else EXIT_OK


def _ssl_context(args: argparse.Namespace) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=args.cafile) if args.cafile else ssl.create_default_context()
    if args.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
