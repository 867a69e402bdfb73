"""What a user can change about validation: tunables, ignored rules and severity overrides."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mcscope.core.model import Severity
from mcscope.core.rules.catalogue import RULES

# rules.md "Tunables": name -> (default, unit, description). Durations are seconds.
TUNABLES: dict[str, tuple[float, str, str]] = {
    "main_ping_interval": (10.0, "s", "expected ping interval on main content"),
    "ad_ping_interval": (1.0, "s", "recommended ping interval during an ad"),
    "max_ad_ping_interval": (10.0, "s", "longest ping interval during an ad the collector accepts"),
    "ping_tolerance": (2.0, "s", "tolerance around the ping intervals"),
    "idle_timeout": (600.0, "s", "gap after which the collector closes a session"),
    "playhead_timeout": (1800.0, "s", "frozen-playhead time after which the collector closes a session"),
    "max_session_age": (86400.0, "s", "session age after which the collector answers 410"),
    "reorder_window_s": (5.0, "s", "the collector's reorder window in time"),
    "reorder_window_events": (10.0, "events", "the collector's reorder window in events"),
    "long_gap": (60.0, "s", "gap between events reported as long"),
    "clock_skew": (600.0, "s", "allowed difference between ts and the time the proxy saw the request"),
}

#: media-edge.md §3.4: tunables whose default differs on Media Edge API traffic. Adobe's Edge clients (Web SDK
#: adPingInterval, the Edge Media SDKs' config.adpinginterval, Roku) ping every 10 s during ads by default, so the
#: REST 1 s recommendation would flag Adobe's own traffic. ``--set`` overrides both protocols.
EDGE_TUNABLE_DEFAULTS: dict[str, float] = {"ad_ping_interval": 10.0}
PROTOCOLS: tuple[str, ...] = ("rest", "edge")


def tunable_default(name: str, protocol: str = "rest") -> float:
    """The default of tunable ``name`` on ``protocol`` ("rest" or "edge")."""
    if protocol == "edge" and name in EDGE_TUNABLE_DEFAULTS:
        return EDGE_TUNABLE_DEFAULTS[name]
    return TUNABLES[name][0]


_DURATION_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(ms|s|m|min|h)?\s*$")
_UNIT_SECONDS = {None: 1.0, "s": 1.0, "ms": 0.001, "m": 60.0, "min": 60.0, "h": 3600.0}


class ConfigError(ValueError):
    """A bad rule id, severity or tunable value; the message is meant for the user."""


def parse_tunable(name: str, text: str | float) -> float:
    if name not in TUNABLES:
        known = ", ".join(sorted(TUNABLES))
        raise ConfigError(f"unknown tunable {name!r} (known: {known})")
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        match = _DURATION_RE.match(str(text))
        if not match:
            raise ConfigError(f"tunable {name}: {text!r} is not a number (e.g. 10, 2.5, 600s, 10m, 24h)")
        unit = match.group(2)
        if TUNABLES[name][1] == "events" and unit:
            raise ConfigError(f"tunable {name} counts events, not a duration: {text!r}")
        value = float(match.group(1)) * _UNIT_SECONDS[unit]
    if value < 0:
        raise ConfigError(f"tunable {name} must not be negative")
    return value


def check_rule_id(rule: str) -> str:
    if rule not in RULES:
        raise ConfigError(f"unknown rule id {rule!r} (see `mcscope check --rules`)")
    return rule


@dataclass(slots=True)
class Config:
    tunables: dict[str, float] = field(default_factory=lambda: {k: v[0] for k, v in TUNABLES.items()})  # REST
    edge_tunables: dict[str, float] = field(
        default_factory=lambda: {k: tunable_default(k, "edge") for k in TUNABLES})
    ignore: frozenset[str] = frozenset()
    severity: dict[str, Severity] = field(default_factory=dict)
    keep_events: bool = True  # False: keep findings and metrics only (memory grows with sessions)

    @classmethod
    def from_options(
        cls,
        ignore: Iterable[str] = (),
        severity: Mapping[str, str | Severity] | Iterable[str] = (),
        tunables: Mapping[str, str | float] | Iterable[str] = (),
        keep_events: bool = True,
    ) -> Config:
        """Build a config from user input; ``severity``/``tunables`` also accept ``KEY=VALUE`` strings."""
        cfg = cls(keep_events=keep_events)
        cfg.ignore = frozenset(check_rule_id(r.strip()) for r in ignore if r.strip())
        for rule, level in _pairs(severity, "--severity RULE=LEVEL"):
            check_rule_id(rule)
            try:
                cfg.severity[rule] = level if isinstance(level, Severity) else Severity.parse(str(level))
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        for name, value in _pairs(tunables, "--set TUNABLE=VALUE"):
            cfg.set_tunable(name, parse_tunable(name, value))
        return cfg

    def set_tunable(self, name: str, value: float) -> None:
        """The user's value: it replaces the default on both protocols."""
        self.tunables[name] = value
        self.edge_tunables[name] = value

    def tunables_for(self, protocol: str) -> dict[str, float]:
        """The tunables a session of ``protocol`` ("rest" or "edge") is judged with."""
        return self.edge_tunables if protocol == "edge" else self.tunables

    def severity_of(self, rule: str, protocol: str = "rest", given: Severity | None = None) -> Severity:
        """The severity a finding of ``rule`` on ``protocol`` ("rest" or "edge") gets: the user's ``--severity``
        (both protocols), else the emitter's ``given`` level (a rule's milder variant), else the protocol's
        default (``RuleInfo.severity_for``; the REST one for a rule that has none on ``protocol``)."""
        override = self.severity.get(rule)
        if override is not None:
            return override
        if given is not None:
            return given
        info = RULES[rule]
        return info.severity_for(protocol) or info.severity

    def t(self, name: str, protocol: str = "rest") -> float:
        return self.tunables_for(protocol)[name]


def _pairs(
    source: Mapping[str, object] | Iterable[str], usage: str
) -> Iterable[tuple[str, object]]:
    if isinstance(source, Mapping):
        yield from source.items()
        return
    for item in source:
        if "=" not in item:
            raise ConfigError(f"expected {usage}, got {item!r}")
        key, value = item.split("=", 1)
        yield key.strip(), value.strip()
