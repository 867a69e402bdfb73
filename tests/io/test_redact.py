"""io.redact: every identifier of a capture is gone from every redacted output, pseudonyms are stable within
one output, and a redacted capture still judges the same."""

from __future__ import annotations

import json
from pathlib import Path

from mcscope.core.model import Exchange
from mcscope.core.session import Analyzer
from mcscope.io import report as rpt
from mcscope.io.journal import exchange_to_record, journal_header
from mcscope.io.redact import NOTE, Redactor, redact_exchanges, redact_report
from tests.builder import Capture, start_params

ECID = "12345678901234567890123456789012345678"
ORIGINALS = {
    "ecid": ECID,
    "visitor_id": "vid-2f9a8c7e6d5b",
    "aid": "2F9A8C7E6D5B4A39-60000A1B2C3D4E5F",
    "install_1": "install-aaaa-1111",
    "install_2": "install-bbbb-2222",
    "customer": "crm-user-4711",
    "kndctr_identity": "CiYzNTk4NTc0MjMxNzk3ODQzMzU2MTI3MDAyMzc4OTk2NTk4NTEyOVIQCM",
    "kndctr_cluster": "va6-cluster-hint",
    "session_cookie": "s3ss10n-c00k13-v4lu3",
    "bearer": "eyJhbGciOiJIUzI1NiJ9.secret-token-value",
    "api_key": "api-key-0123456789abcdef",
    "client_ip": "203.0.113.9",
    "forwarded_ip": "198.51.100.77",
    "edge_ecid": "98765432109876543210987654321098765432",
    "edge_state": "CiY5ODc2NTQzMjEwOTg3NjU0MzIxMDk4NzY1NDMyMTA5ODc2NTQzMlIQ",
    "query_token": "query-token-abcdef123456",
}
HEADERS = [
    ("Content-Type", "application/json"),
    ("Cookie", f"kndctr_ORG_AdobeOrg_identity={ORIGINALS['kndctr_identity']}; session={ORIGINALS['session_cookie']}"),
    ("Authorization", f"Bearer {ORIGINALS['bearer']}"),
    ("X-Api-Key", ORIGINALS["api_key"]),
    ("X-Forwarded-For", f"{ORIGINALS['forwarded_ip']}, {ORIGINALS['client_ip']}"),
    ("User-Agent", "TestPlayer/1.0"),
]


def identified_capture() -> Capture:
    """Two sessions of one client (one ECID) with different install ids (app-installation-id-changed quotes
    both), every identifier kind in params, headers, cookies, an Edge call, and a client address."""
    c = Capture(sid="s" * 64)
    params = start_params(**{
        "visitor.marketingCloudUserId": ECID, "analytics.visitorId": ORIGINALS["visitor_id"],
        "analytics.aid": ORIGINALS["aid"], "appInstallationId": ORIGINALS["install_1"],
        "visitor.customerIDs": {"crm": {"id": ORIGINALS["customer"], "authState": 7}},
    })
    first = c.start(params, headers=list(HEADERS))
    first.response_headers.append(("Set-Cookie", f"kndctr_ORG_AdobeOrg_cluster={ORIGINALS['kndctr_cluster']}; Path=/"))
    c.ev("play", dt=1000)
    c.ev("ping", dt=10_000)
    c.ev("sessionEnd", dt=1000)
    c.sid = "t" * 64
    c.start(dict(params, appInstallationId=ORIGINALS["install_2"]), dt=5000, headers=list(HEADERS))
    c.ev("play", dt=1000)
    c.ev("sessionEnd", dt=1000)
    edge_body = {"events": [{"xdm": {"eventType": "media.ping", "identityMap": {
        "ECID": [{"id": ORIGINALS["edge_ecid"], "authenticatedState": "ambiguous", "primary": True}]}}}],
        "meta": {"state": {"entries": [{"key": "kndctr_ORG_AdobeOrg_identity", "value": ORIGINALS["edge_state"]}]}}}
    edge_answer = {"handle": [{"type": "identity:result", "payload": [
        {"namespace": {"code": "ECID"}, "id": ORIGINALS["edge_ecid"]}]}]}
    c.post(f"/ee/v1/interact?configId=abc&token={ORIGINALS['query_token']}", edge_body, status=200,
           resp_body=json.dumps(edge_answer).encode())
    for ex in c.exchanges:
        ex.client = f"{ORIGINALS['client_ip']}:51515"
    return c


def leaks(text: str) -> list[str]:
    return sorted(name for name, value in ORIGINALS.items() if value in text)


def journal_text(exchanges: list[Exchange], **header: object) -> str:
    lines = [json.dumps(journal_header(**header))] + [json.dumps(exchange_to_record(e)) for e in exchanges]
    return "\n".join(lines) + "\n"


def test_the_capture_holds_every_original() -> None:
    """The fixture is honest: unredacted, every value is there."""
    text = journal_text(identified_capture().exchanges)
    assert leaks(text) == sorted(ORIGINALS)


def test_redacted_exchanges_hold_no_original() -> None:
    r = Redactor()
    safe = list(redact_exchanges(identified_capture().exchanges, r))
    text = journal_text(safe, redacted=r.notice())
    assert leaks(text) == []
    assert '"redacted"' in text and NOTE in text


def test_pseudonyms_are_stable_within_one_redactor() -> None:
    r = Redactor()
    first = r.value(ECID, "ecid")
    assert first == "redacted-ecid-1" and r.value(ECID, "ecid") == first
    assert r.value("another", "ecid") == "redacted-ecid-2"
    assert r.value(first, "ecid") == first  # redacting twice changes nothing
    assert r.ip("203.0.113.9:5000") == "198.18.0.1:5000" and r.ip("203.0.113.9") == "198.18.0.1"
    assert r.ip("[2001:db8:1::5]:443").startswith("[2001:db8::") and r.notice()["pseudonyms"] == {
        "ecid": 2, "ip": 2}
    safe = list(redact_exchanges(identified_capture().exchanges, Redactor()))
    ecids = {json.loads(ex.request_body or b"{}").get("params", {}).get("visitor.marketingCloudUserId")
             for ex in safe if ex.url.endswith("/api/v1/sessions")}
    assert ecids == {"redacted-ecid-1"}  # both sessions: one visitor, one pseudonym
    assert len({ex.client for ex in safe}) == 1


def test_structure_is_kept() -> None:
    safe = list(redact_exchanges(identified_capture().exchanges))
    start = json.loads(safe[0].request_body or b"{}")
    assert start["params"]["visitor.customerIDs"]["crm"]["authState"] == 7
    assert start["params"]["media.id"] == "episode-1"
    headers = dict(safe[0].request_headers)
    assert headers["Authorization"].startswith("Bearer redacted-credential-")
    assert headers["Cookie"].startswith("kndctr_ORG_AdobeOrg_identity=redacted-kndctr-")
    assert headers["User-Agent"] == "TestPlayer/1.0"
    assert int(headers.get("Content-Length", "0") or 0) in (0, len(safe[0].request_body or b""))
    edge = next(ex for ex in safe if "/ee/" in ex.url)
    assert "configId=abc" in edge.url
    body = json.loads(edge.request_body or b"{}")
    assert body["events"][0]["xdm"]["identityMap"]["ECID"][0]["primary"] is True


def test_a_redacted_capture_judges_the_same() -> None:
    def rules(exchanges: list[Exchange]) -> list[str]:
        an = Analyzer()
        for ex in exchanges:
            an.feed(ex)
        an.finish()
        return sorted(f.rule for f in an.all_findings())

    original = identified_capture().exchanges
    assert "app-installation-id-changed" in rules(original)
    assert rules(list(redact_exchanges(original))) == rules(original)


def test_redacted_report_in_every_format_holds_no_original(tmp_path: Path) -> None:
    an = identified_capture().analyze()
    report = rpt.build_report({"capture.ndjson": an})
    assert leaks(rpt.to_json(report))  # app-installation-id-changed quotes the install ids; client has the IP
    r = Redactor()
    r.learn_sessions(an.sessions)
    safe = r.report(report)
    assert safe["redacted"]["by"] == "mcscope" and safe["redacted"]["pseudonyms"]
    for kind in rpt.REPORT_KINDS:
        text = r.mark(kind, rpt.render(kind, safe, "error"))
        assert leaks(text) == [], kind
        assert NOTE in text, kind
    assert leaks(rpt.to_text(safe)) == []
    assert redact_report(report, [an])["sessions"][0]["client"] == safe["sessions"][0]["client"]
    messages = [f["message"] for s in safe["sessions"] for f in s["findings"] if f["rule"] == "app-installation-id-changed"]
    assert messages and "redacted-app-" in messages[0]


def test_free_text_and_mark() -> None:
    r = Redactor()
    r.value("install-aaaa-1111", "app")
    assert r.text("id 'install-aaaa-1111' changed") == "id 'redacted-app-1' changed"
    assert r.text(f"ecid {ECID}") == "ecid redacted-ecid-1"  # ECID-shaped numbers even unlearned
    assert r.mark("junit", '<?xml version="1.0"?>\n<testsuites/>\n').splitlines()[1].startswith("<!-- identifiers")
    assert r.mark("markdown", "## x\n").endswith(f"_{NOTE}._\n")
    assert r.mark("json", "{}") == "{}"
