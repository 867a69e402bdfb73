"""addon/config.py: tunables, ignored rules and severity overrides, and their effect on the analysis."""

from __future__ import annotations

import pytest

from mcscope.core.config import (
    EDGE_TUNABLE_DEFAULTS,
    TUNABLES,
    Config,
    ConfigError,
    check_rule_id,
    parse_tunable,
    tunable_default,
)
from mcscope.core.model import Severity
from tests.builder import Capture, rules, start_params
from tests.core.rules.casetable import findings, rewrite, started


@pytest.mark.parametrize(("name", "text", "value"), [
    ("idle_timeout", "600s", 600.0),
    ("idle_timeout", "10m", 600.0),
    ("idle_timeout", "10min", 600.0),
    ("idle_timeout", " 10 m ", 600.0),
    ("max_session_age", "24h", 86400.0),
    ("ping_tolerance", "2.5", 2.5),
    ("ping_tolerance", ".5s", 0.5),
    ("ping_tolerance", "1500ms", 1.5),
    ("long_gap", "0", 0.0),
    ("long_gap", 90, 90.0),
    ("long_gap", 7.5, 7.5),
    ("reorder_window_events", "12", 12.0),
])
def test_parse_tunable(name, text, value):
    assert parse_tunable(name, text) == pytest.approx(value)


@pytest.mark.parametrize(("name", "text"), [
    ("idle_timeout", "ten minutes"),
    ("idle_timeout", "10 days"),
    ("idle_timeout", "10d"),
    ("idle_timeout", ""),
    ("idle_timeout", "-5"),
    ("idle_timeout", "-5s"),
    ("idle_timeout", -5),
    ("idle_timeout", "1e3"),
    ("idle_timeout", True),
    ("idle_timeout", "10s5"),
    ("reorder_window_events", "10s"),
    ("no_such_tunable", "10"),
])
def test_bad_tunables(name, text):
    with pytest.raises(ConfigError):
        parse_tunable(name, text)


def test_defaults():
    cfg = Config()
    assert cfg.t("idle_timeout") == 600 and cfg.t("playhead_timeout") == 1800
    assert cfg.t("max_session_age") == 86400 and cfg.t("clock_skew") == 600
    assert cfg.tunables == {k: v[0] for k, v in TUNABLES.items()}
    assert cfg.ignore == frozenset() and cfg.severity == {}


def test_tunable_defaults_per_protocol():
    """media-edge.md §3.4: ad_ping_interval is 10 s on Media Edge API traffic (the Edge clients' default), 1 s on
    REST; every other tunable is the same on both."""
    cfg = Config()
    assert cfg.t("ad_ping_interval") == 1.0 and cfg.t("ad_ping_interval", "rest") == 1.0
    assert cfg.t("ad_ping_interval", "edge") == 10.0
    assert tunable_default("ad_ping_interval", "edge") == 10.0 and tunable_default("ad_ping_interval") == 1.0
    assert set(EDGE_TUNABLE_DEFAULTS) <= set(TUNABLES)
    others = set(TUNABLES) - set(EDGE_TUNABLE_DEFAULTS)
    assert {k: cfg.t(k, "edge") for k in others} == {k: cfg.t(k, "rest") for k in others}
    assert cfg.tunables_for("rest") is cfg.tunables and cfg.tunables_for("edge") is cfg.edge_tunables


@pytest.mark.parametrize("value", ["1", "10", "5s", "2500ms"])
def test_set_overrides_the_default_of_both_protocols(value):
    cfg = Config.from_options(tunables=[f"ad_ping_interval={value}"])
    expected = parse_tunable("ad_ping_interval", value)
    assert cfg.t("ad_ping_interval", "rest") == expected == cfg.t("ad_ping_interval", "edge")
    other = Config.from_options(tunables={"idle_timeout": 300})
    assert (other.t("ad_ping_interval", "rest"), other.t("ad_ping_interval", "edge")) == (1.0, 10.0)
    assert other.t("idle_timeout", "edge") == 300 == other.t("idle_timeout", "rest")


def test_from_options_accepts_pairs_and_mappings():
    a = Config.from_options(ignore=[" unknown-host ", ""], severity=["content-type=error"],
                            tunables=["idle_timeout=5m", "long_gap = 30"])
    b = Config.from_options(ignore=["unknown-host"], severity={"content-type": Severity.ERROR},
                            tunables={"idle_timeout": 300, "long_gap": "30s"})
    for cfg in (a, b):
        assert cfg.ignore == {"unknown-host"}
        assert cfg.severity == {"content-type": Severity.ERROR}
        assert cfg.t("idle_timeout") == 300 and cfg.t("long_gap") == 30
        assert cfg.severity_of("content-type") == Severity.ERROR
        assert cfg.severity_of("unknown-host") == Severity.INFO


@pytest.mark.parametrize("kwargs", [
    {"ignore": ["no-such-rule"]},
    {"ignore": ["Ping-Params"]},
    {"severity": ["no-such-rule=info"]},
    {"severity": ["ping-params=loud"]},
    {"severity": ["ping-params"]},
    {"severity": {"ping-params": "fatal"}},
    {"tunables": ["idle_timeout"]},
    {"tunables": ["idle_timeout=soon"]},
    {"tunables": {"nope": 1}},
])
def test_bad_options_are_config_errors(kwargs):
    with pytest.raises(ConfigError):
        Config.from_options(**kwargs)


def test_check_rule_id():
    assert check_rule_id("ping-params") == "ping-params"
    with pytest.raises(ConfigError, match="unknown rule id"):
        check_rule_id("ping_params")


# --- effect on the analysis ----------------------------------------------------------------------------------
def _noisy() -> Capture:
    c = started()
    c.ev("ping", dt=10000, params={"x": 1}, headers=[("Content-Type", "text/plain")])
    rewrite(c.ev("ping", dt=10000), lambda b: b["playerTime"].update(ts=1_700_000_021))
    c.ev("sessionEnd")
    return c


def test_ignore_suppresses_session_and_transport_findings():
    c = Capture()
    c.post("/api/v1/sessions", None, status=405, method="GET", raw=b"", headers=[])
    for ex in _noisy().exchanges:
        c.exchanges.append(ex)
    plain = rules(c.analyze())
    assert {"ping-params", "content-type", "ts-units", "http-method"} <= set(plain)
    an = c.analyze(Config.from_options(ignore=["ping-params", "content-type", "http-method"]))
    quiet = rules(an)
    assert not {"ping-params", "content-type", "http-method"} & set(quiet)
    assert quiet["ts-units"] == plain["ts-units"]


def test_ignored_rule_still_drops_the_event():
    c = started()
    c.ev("sessionEnd")
    c.ev("ping", dt=10000)
    an = c.analyze(Config.from_options(ignore=["event-after-end"]))
    assert "event-after-end" not in rules(an)
    assert an.sessions[0].events[3].ignored  # the collector still drops it


def test_severity_override():
    an = _noisy().analyze(Config.from_options(severity=["ping-params=error", "content-type=info"]))
    assert {f.severity for f in findings(an, "ping-params")} == {Severity.ERROR}
    assert {f.severity for f in findings(an, "content-type")} == {Severity.INFO}
    assert {f.severity for f in findings(an, "ts-units")} == {Severity.WARNING}


def test_severity_override_wins_over_sub_case_severities():
    c = Capture()
    rewrite(c.start(), lambda b: b.update(customMetadata={"a.x": "1", "media.x": "2"}))
    c.ev("ping", dt=10000)  # no-session-start would be info; here the start was captured
    an = c.analyze(Config.from_options(severity={"custom-metadata-reserved": "info"}))
    assert {f.severity for f in findings(an, "custom-metadata-reserved")} == {Severity.INFO}
    c = Capture()
    c.ev("ping")
    an = c.analyze(Config.from_options(severity={"no-session-start": "error"}))
    assert [f.severity for f in findings(an, "no-session-start")] == [Severity.ERROR]


def test_transport_severity_override():
    c = Capture()
    c.post("/api/v1/sessions", None, status=405, method="GET", raw=b"")
    an = c.analyze(Config.from_options(severity={"http-method": "warning"}))
    assert [f.severity for f in findings(an, "http-method")] == [Severity.WARNING]
    assert findings(an, "http-method")[0] in an.transport_findings


@pytest.mark.parametrize(("tunable", "gap_ms", "fires"), [
    ("5m", 300_000, False),
    ("5m", 300_001, True),
    ("600", 600_001, True),
    ("1h", 600_001, False),
])
def test_idle_timeout_tunable(tunable, gap_ms, fires):
    c = started()
    c.ev("pauseStart")
    c.ev("play", dt=gap_ms)
    an = c.analyze(Config.from_options(tunables={"idle_timeout": tunable}))
    assert ("session-timeout-idle" in rules(an)) is fires


def test_clock_skew_tunable():
    c = Capture(live=True)
    c.start(start_params(), received=c.ts / 1000 + 120)
    assert "clock-skew" not in rules(c.analyze())
    assert "clock-skew" in rules(c.analyze(Config.from_options(tunables=["clock_skew=1m"])))


def test_severity_of_per_protocol():
    cfg = Config()
    assert cfg.severity_of("param-type") == Severity.WARNING  # REST when no protocol is named
    assert cfg.severity_of("param-type", "rest") == Severity.WARNING
    assert cfg.severity_of("param-type", "edge") == Severity.ERROR  # media-edge.md Decisions' example
    assert cfg.severity_of("edge-content-type", "edge") == Severity.ERROR
    assert cfg.severity_of("param-type", "edge", Severity.INFO) == Severity.INFO  # an emitter's milder variant
    assert cfg.severity_of("show-type", "edge") == Severity.WARNING  # no Edge default: the REST one


def test_severity_override_applies_to_both_protocols():
    cfg = Config.from_options(severity=["param-type=info"])
    for protocol in ("rest", "edge"):
        assert cfg.severity_of("param-type", protocol) == Severity.INFO
        assert cfg.severity_of("param-type", protocol, Severity.ERROR) == Severity.INFO


def _edge_findings(cfg: Config | None = None) -> list:
    from tests.edge_builder import EdgeCapture, session_details

    c = EdgeCapture()
    c.start(session_details(length="600", streamType="film"))  # param-type, edge-enum-value (envelope, XDM)
    c.ev("play", dt=10)
    c.ev("ping", dt=13000)  # ping-first-late (a shared family on the REST-shaped reading)
    c.post(c.url("/va/v1/play"), {"events": []}, status=400)  # body-not-object: a transport finding
    an = c.analyze(cfg)
    return an.all_findings()


def test_every_edge_finding_gets_the_edge_default():
    found = _edge_findings()
    rules_found = {f.rule for f in found}
    assert {"param-type", "edge-enum-value", "ping-first-late", "body-not-object"} <= rules_found
    cfg = Config()
    for f in found:
        assert f.protocol == "edge", f
        assert f.severity == cfg.severity_of(f.rule, "edge"), f
    assert next(f for f in found if f.rule == "param-type").severity == Severity.ERROR  # REST: warning


def test_severity_override_reaches_every_edge_finding():
    rule_ids = {f.rule for f in _edge_findings()}
    cfg = Config.from_options(severity={rid: "info" for rid in rule_ids})
    assert {f.severity for f in _edge_findings(cfg)} == {Severity.INFO}
