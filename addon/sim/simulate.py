"""Scripted players for the Media Collection API and the Media Edge API: run scenarios against a collector,
a proxy or in-process.

    from mcscope.sim.simulate import SCENARIOS, EDGE_SCENARIOS, run_players, simulate_offline

* :data:`SCENARIOS` — every REST scenario (sim/scenarios.py), :data:`EDGE_SCENARIOS` every Media Edge API one
  (sim/edge_scenarios.py), each a :class:`~mcscope.sim.script.Scenario` with a description and
  ``expected_rules`` (empty for clean ones); :func:`select_scenarios` picks them by name, group and protocol;
* :func:`run_players` — plays scenarios over HTTP (directly or through a proxy) with N concurrent
  players, waiting ``virtual time / speed`` between requests (``speed 0`` = no waiting);
* :func:`simulate_offline` — plays one scenario against an in-process :class:`MockCollector` and
  returns the :class:`~mcscope.core.model.Exchange` list a proxy would have captured (tests, demos).

A player sends its steps one after the other and waits for each answer, so events due while the
``sessionStart`` is in flight are queued until the answer names the session (REST: the ``201`` and its
``Location``; Edge: the ``media-analytics:new-session`` handle), then sent with their original ``ts``. If
``sessionStart`` fails there is no session, and the player drops its events. The scenario's client decides
the protocol (``make_wire``).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from mcscope.core.model import Exchange, HttpResponse
from mcscope.io.report import plural
from mcscope.sim import edge_scenarios as _edge_scenarios  # noqa: F401 - registers the Edge scenarios
from mcscope.sim import scenarios as _scenarios  # noqa: F401 - registers the scenarios
from mcscope.sim.collector import MockCollector
from mcscope.sim.edge_wire import EdgeClient, EdgeWire
from mcscope.sim.httpclient import Endpoint, HttpClient, HttpError
from mcscope.sim.script import BY_PROTOCOL, EDGE_SCENARIOS, SCENARIOS, Player, Scenario, Step
from mcscope.sim.wire import SID_RE, Request, RestWire, Wire

__all__ = [
    "SCENARIOS",
    "EDGE_SCENARIOS",
    "PROTOCOLS",
    "scenarios_of",
    "make_wire",
    "Player",
    "Scenario",
    "Step",
    "PlayerResult",
    "select_scenarios",
    "anchor_t0",
    "worst_skew",
    "clock_misfits",
    "expected_statuses",
    "simulate_offline",
    "run_players",
    "SID_RE",
]

PROTOCOLS = (*BY_PROTOCOL, "all")  # what --protocol takes


def scenarios_of(protocol: str) -> dict[str, Scenario]:
    """The scenarios of ``rest``, ``edge`` or ``all`` (REST first); ValueError for another protocol."""
    if protocol == "all":
        return {name: sc for registry in BY_PROTOCOL.values() for name, sc in registry.items()}
    if protocol not in BY_PROTOCOL:
        raise ValueError(f"unknown protocol {protocol!r} (one of {', '.join(PROTOCOLS)})")
    return BY_PROTOCOL[protocol]


def select_scenarios(names: Iterable[str], protocol: str = "rest") -> list[Scenario]:
    """Resolve names among ``protocol``'s scenarios; ``all``, ``clean`` and ``faulty`` are groups. Raise
    ValueError for unknown names (saying so when the name is another protocol's)."""
    available = scenarios_of(protocol)
    chosen: list[Scenario] = []
    for raw in names:
        for name in (n.strip() for n in raw.split(",")):
            if not name:
                continue
            if name in ("all", "clean", "faulty"):
                group = [
                    s
                    for s in available.values()
                    if name == "all" or (s.clean if name == "clean" else not s.clean)
                ]
                chosen.extend(s for s in group if s not in chosen)
            elif name in available:
                if available[name] not in chosen:
                    chosen.append(available[name])
            else:
                other = scenarios_of("all").get(name)
                hint = f"; it is a {other.protocol} scenario (--protocol {other.protocol})" if other else ""
                listing = "--list" if protocol == "rest" else f"--protocol {protocol} --list"
                raise ValueError(f"unknown scenario {name!r} (see 'mcscope simulate {listing}'){hint}")
    return chosen


def anchor_t0(start_ms: int, duration_s: float, speed: float) -> int:
    """Virtual epoch so that ``ts`` stays within ``duration/2`` of the real clock at any speed.

    At speed 1 the virtual clock is the real clock; faster, the scenario's ``ts`` are centred on the
    real sending window, keeping the skew (|ts - time sent|) as small as possible.
    """
    if speed <= 0:
        drift = duration_s
    else:
        drift = duration_s * (1.0 - 1.0 / speed)
    return int(start_ms - drift * 1000 / 2)


#: seconds a player may fall behind its schedule (answers, a busy machine) on top of the computed skew
SKEW_MARGIN_S = 30.0


def worst_skew(scenario: Scenario, speed: float, start_ms: int = 1_767_225_600_000) -> float:
    """The largest |ts - time sent| in seconds of the scenario's live events, played at ``speed`` with the
    anchoring of :func:`run_players` (what rule clock-skew compares on a live capture).

    Downloaded batches are not compared (their ts are from the past by design), nor ts that are not epoch
    milliseconds (a faulty scenario's ts-units)."""
    duration = scenario.duration()
    t0 = anchor_t0(start_ms, duration, speed)
    worst = 0.0
    for step in scenario.steps(t0):
        if step.endpoint == "downloaded" or not isinstance(step.body, dict):
            continue
        pt = step.body.get("playerTime")
        ts = pt.get("ts") if isinstance(pt, dict) else None
        if isinstance(pt, dict) and isinstance(ts, int) and not isinstance(ts, bool) and 1e12 <= ts <= 1e14:
            sent_ms = start_ms + (step.at / speed * 1000 if speed > 0 else 0.0)
            worst = max(worst, abs(ts - sent_ms) / 1000)
    return worst


def clock_misfits(scenarios: Iterable[Scenario], speed: float, window_s: float,
                  margin_s: float = SKEW_MARGIN_S) -> list[Scenario]:
    """The scenarios whose ts cannot stay within ``window_s`` of the real clock at ``speed``: a virtual
    half hour played in half a minute is that far ahead of (or behind) any clock, whatever the anchor."""
    return [sc for sc in scenarios if worst_skew(sc, speed) + margin_s > window_s]


@dataclass
class PlayerResult:
    scenario: str
    index: int
    sid: str | None = None
    statuses: list[int | None] = field(default_factory=list)  # one per step; None = not sent / failed
    skipped: int = 0  # events dropped because no session was created
    failures: list[str] = field(default_factory=list)
    virtual_seconds: float = 0.0
    real_seconds: float = 0.0
    exchanges: list[Exchange] = field(default_factory=list)
    exchange_steps: list[int] = field(default_factory=list)  # step index of each recorded exchange
    expected: list[int | None] | None = None

    @property
    def sent(self) -> int:
        return sum(1 for s in self.statuses if s is not None)

    @property
    def as_expected(self) -> bool | None:
        return None if self.expected is None else self.expected == self.statuses

    @property
    def ok(self) -> bool:
        return not self.failures and self.as_expected is not False

    def summary(self) -> str:
        counts = Counter(s for s in self.statuses if s is not None)
        codes = " ".join(f"{code}x{n}" for code, n in sorted(counts.items())) or "none"
        sid = f"{self.sid[:8]}…{self.sid[-4:]}" if self.sid and len(self.sid) > 14 else (self.sid or "-")
        parts = [
            f"[{self.scenario} #{self.index}] sid {sid}: {self.sent} sent ({codes})",
            f"{self.skipped} dropped" if self.skipped else "",
            f"{len(self.failures)} failed: {self.failures[0]}" if self.failures else "",
            f"virtual {_fmt_duration(self.virtual_seconds)} in {self.real_seconds:.2f} s",
        ]
        if self.as_expected is False:
            parts.append("UNEXPECTED statuses: " + _diff(self.expected or [], self.statuses))
        return ", ".join(p for p in parts if p)


def _fmt_duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _diff(expected: list[int | None], got: list[int | None]) -> str:
    for i, (e, g) in enumerate(zip(expected, got, strict=False)):
        if e != g:
            return f"step {i}: expected {e}, got {g}"
    return f"{plural(len(got), 'step')}, expected {len(expected)}"


class _Offline:
    """Transport that calls a MockCollector directly (no sockets)."""

    def __init__(self, collector: MockCollector, origin: str = "http://collector.test") -> None:
        self.collector = collector
        self.origin = origin

    async def request(
        self, method: str, path: str, body: bytes, headers: list[tuple[str, str]]
    ) -> HttpResponse:
        return self.collector.handle(method, path, headers, body)

    def url(self, path: str) -> str:
        return self.origin + path

    async def close(self) -> None:
        return None


def make_wire(scenario: Scenario, prefix: str = "") -> Wire:
    """The wire of the scenario's client: the Media Edge API for an Edge client, else the REST MC API."""
    if isinstance(scenario.client, EdgeClient):
        return EdgeWire(scenario.client, prefix)
    return RestWire(prefix)


async def _play(
    scenario: Scenario,
    index: int,
    transport: HttpClient | _Offline,
    *,
    t0_ms: int,
    speed: float,
    prefix: str = "",
    record: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> PlayerResult:
    steps = scenario.steps(t0_ms, index)
    result = PlayerResult(scenario.name, index, virtual_seconds=steps[-1].at if steps else 0.0)
    wire = make_wire(scenario, prefix)
    began = clock()
    try:
        for n, step in enumerate(steps):
            if speed > 0:
                delay = began + step.at / speed - clock()
                if delay > 0:
                    await asyncio.sleep(delay)
            request = wire.request(step)
            if request is None:
                result.statuses.append(None)
                result.skipped += 1
                continue
            sent_at = time.time()
            try:
                response = await transport.request(request.method, request.path, request.body, request.headers)
            except HttpError as exc:
                result.statuses.append(None)
                result.failures.append(str(exc))
                if record:
                    _record(result, n, transport.url(request.path), request, sent_at, None, str(exc))
                if not result.sent:
                    break  # could not even reach the collector: give up on this player
                continue
            result.statuses.append(response.status)
            failure = wire.answer(step, response)
            if failure:
                result.failures.append(failure)
            result.sid = wire.sid
            if record:
                _record(result, n, transport.url(request.path), request, sent_at, response)
    finally:
        await transport.close()
    while len(result.statuses) < len(steps):
        result.statuses.append(None)
    result.real_seconds = clock() - began
    return result


def _record(result: PlayerResult, n: int, url: str, request: Request, sent_at: float,
            response: HttpResponse | None, error: str | None = None) -> None:
    """Keep step ``n`` as a live Exchange: its response, or (``response`` None) the transport error."""
    result.exchange_steps.append(n)
    result.exchanges.append(
        Exchange(
            f"sim-{result.scenario}-{result.index}-{n}",
            request.method,
            url,
            list(request.headers),
            request.body,
            None if response is None else response.status,
            [] if response is None else list(response.headers),
            None if response is None else response.body,
            sent_at,
            time.time(),
            error,
            True,
        )
    )


def expected_statuses(scenario: Scenario, index: int = 0, t0_ms: int | None = None) -> list[int | None]:
    """The statuses Adobe's collector (modelled by MockCollector) gives each step of the scenario."""
    t0 = int(time.time() * 1000) if t0_ms is None else t0_ms
    result = asyncio.run(_play(scenario, index, _Offline(MockCollector()), t0_ms=t0, speed=0))
    return result.statuses


def simulate_offline(
    scenario: Scenario | str,
    *,
    index: int = 0,
    t0_ms: int = 1_767_225_600_000,
    collector: MockCollector | None = None,
    origin: str = "http://collector.test",
) -> list[Exchange]:
    """Play a scenario against an in-process collector; return the exchanges a proxy would capture.

    ``Exchange.live`` is False and ``timestamp_start`` follows the virtual clock, so the result reads
    like a capture file (no clock-skew checks)."""
    sc = scenarios_of("all")[scenario] if isinstance(scenario, str) else scenario
    transport = _Offline(collector or MockCollector(), origin)
    result = asyncio.run(_play(sc, index, transport, t0_ms=t0_ms, speed=0, record=True))
    steps = sc.steps(t0_ms, index)
    for exchange, n in zip(result.exchanges, result.exchange_steps, strict=True):
        exchange.live = False
        exchange.timestamp_start = t0_ms / 1000 + steps[n].at
        exchange.timestamp_end = exchange.timestamp_start + 0.001
    return result.exchanges


async def run_players(
    scenarios: list[Scenario],
    target: Endpoint,
    *,
    players: int = 1,
    speed: float = 1.0,
    proxy: Endpoint | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 10.0,
    start_ms: int | None = None,
    record: bool = False,
    check_expected: bool = True,
    on_result: Callable[[PlayerResult], None] | None = None,
) -> list[PlayerResult]:
    """Play every scenario with ``players`` concurrent players each; return the results in start order."""
    now_ms = int(time.time() * 1000) if start_ms is None else start_ms
    jobs = []
    for sc in scenarios:
        t0 = anchor_t0(now_ms, sc.duration(), speed)
        for index in range(players):
            client = HttpClient(target, proxy=proxy, ssl_context=ssl_context, timeout=timeout)
            jobs.append(
                _run_one(sc, index, client, t0, speed, target.prefix, record, check_expected, on_result)
            )
    return list(await asyncio.gather(*jobs))


async def _run_one(
    sc: Scenario,
    index: int,
    client: HttpClient,
    t0: int,
    speed: float,
    prefix: str,
    record: bool,
    check_expected: bool,
    on_result: Callable[[PlayerResult], None] | None,
) -> PlayerResult:
    result = await _play(sc, index, client, t0_ms=t0, speed=speed, prefix=prefix, record=record)
    if check_expected and not result.failures:
        offline = await _play(sc, index, _Offline(MockCollector()), t0_ms=t0, speed=0)
        result.expected = offline.statuses
    if on_result is not None:
        on_result(result)
    return result
