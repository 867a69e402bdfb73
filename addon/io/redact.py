"""Redact identifiers from what mcscope writes: reports, exchanges (journal, HAR, HTML), any JSON.

    from mcscope.io.redact import Redactor, redact_report, redact_exchanges

    r = Redactor()                          # one per output file: a pseudonym is stable within it
    r.learn_sessions(analyzer.sessions)     # optional first pass: ids that free text may repeat
    safe = r.report(report)                 # a redacted copy of a JSON report (+ "redacted": {...})
    safe_ex = r.exchange(exchange)          # a redacted copy of an Exchange (headers, URL, bodies, client)
    r.text(s) / r.json(obj)                 # any string / JSON value
    r.notice()                              # {"by": "mcscope", "pseudonyms": {...}, "note": ...}
    r.mark(kind, rendered)                  # a rendered json/junit/markdown/html/journal text that says so

What is redacted: visitor and customer ids (``visitor.marketingCloudUserId``, ``analytics.visitorId``,
``analytics.aid``, ``appInstallationId``, the ids in ``visitor.customerIDs``, Edge ``identityMap`` ids and
identity results, ``kndctr_*`` state entries and cookies), every cookie value (``Cookie``/``Set-Cookie``),
``Authorization`` and other credential headers (any header whose name says auth, token, key, secret,
session, signature or password), credential-like URL query arguments, and client IP addresses (the
exchange's client, ``X-Forwarded-For`` and its kin). A redacted value becomes a pseudonym such as
``redacted-ecid-1`` (IPs: ``198.18.0.1``, ``2001:db8::1``, still addresses), the same one for the same
original everywhere in the output of one :class:`Redactor`, so sessions can still be followed. Free text
(finding messages, non-JSON bodies) is scanned for every original value learned so far (at least
:data:`MIN_LEARNED` characters long) and for ECID-shaped numbers; learn first (``learn_*``) when a value
could appear in text before its structured occurrence.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mcscope.core.model import Exchange, Headers
from mcscope.io import report as rpt

#: params / XDM keys whose values are visitor or customer ids -> pseudonym kind.
ID_KEYS: dict[str, str] = {
    "visitor.marketingCloudUserId": "ecid",
    "analytics.visitorId": "vid",
    "analytics.aid": "aid",
    "appInstallationId": "app",
    "visitor.customerIDs": "customer",
    "identityMap": "identity",
    "ECID": "ecid",
    "ecid": "ecid",
    "marketingCloudUserId": "ecid",
}
#: Headers whose value names the client's address.
IP_HEADERS = frozenset({"x-forwarded-for", "x-real-ip", "forwarded", "true-client-ip", "cf-connecting-ip",
                        "x-client-ip", "x-cluster-client-ip", "fastly-client-ip", "x-original-forwarded-for"})
_CREDENTIAL_HEADER_RE = re.compile(r"auth|token|secret|api[-_]?key|session|signature|password|credential|csrf|xsrf",
                                   re.IGNORECASE)
_CREDENTIAL_QUERY_RE = re.compile(r"^(?:mid|mcid|ecid|aid|vid|uid|userid|user_id|visitorid|token|access_token|"
                                  r"id_token|key|api_key|apikey|sig|signature|password|secret|auth|session)$",
                                  re.IGNORECASE)
_ECID_RE = re.compile(r"(?<![0-9])[0-9]{38}(?![0-9])")
_IPV4_RE = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9])")
#: Learned originals shorter than this are replaced only where they stand as values, not inside free text.
MIN_LEARNED = 4
NOTE = ("identifiers redacted by mcscope: visitor and customer ids, cookies, credentials and client addresses "
        "are pseudonyms, the same pseudonym for the same original within this file")


class Redactor:
    """Pseudonyms for one output file. Not thread-safe."""

    def __init__(self) -> None:
        self._pseudonyms: dict[str, str] = {}  # original -> pseudonym
        self._issued: set[str] = set()
        self._kinds: Counter[str] = Counter()
        self._pattern: re.Pattern[str] | None = None
        self._dirty = False

    # --- pseudonyms ----------------------------------------------------------------------------------
    def value(self, original: Any, kind: str) -> Any:
        """The pseudonym of ``original`` (a string; other scalars become a pseudonym string too)."""
        if original is None or isinstance(original, bool) or original == "":
            return original
        text = str(original)
        if text in self._issued:
            return text  # already a pseudonym (redacting twice changes nothing)
        known = self._pseudonyms.get(text)
        if known is None:
            self._kinds[kind] += 1
            n = self._kinds[kind]
            known = _ip_pseudonym(text, n) if kind == "ip" else f"redacted-{kind}-{n}"
            self._pseudonyms[text] = known
            self._issued.add(known)
            self._dirty = True
        return known

    def ip(self, address: str) -> str:
        """An address, optionally with a port ("ip:port", "[v6]:port"), with its IP replaced."""
        host, sep, port = _split_host_port(address)
        if not _is_ip(host):
            return self.value(address, "client")
        pseudo = self.value(host, "ip")
        if ":" in pseudo and sep:
            return f"[{pseudo}]:{port}"
        return f"{pseudo}{sep}{port}"

    def notice(self) -> dict[str, Any]:
        """What the output should say about itself: {"by", "note", "pseudonyms": {kind: count}}."""
        return {"by": "mcscope", "note": NOTE, "pseudonyms": dict(sorted(self._kinds.items()))}

    # --- learning ------------------------------------------------------------------------------------
    def learn_json(self, obj: Any) -> None:
        self.json(obj)

    def learn_exchange(self, ex: Exchange) -> None:
        self.exchange(ex)

    def learn_sessions(self, sessions: Iterable[Any]) -> None:
        """Ids of sessions (their sessionStart params, kept events, client) for the free text of a report."""
        for s in sessions:
            start = getattr(s, "start_event", None)
            events = list(getattr(s, "events", None) or [])
            for ev in ([start] if start is not None else []) + events:
                body = getattr(ev, "body", None)
                if body is not None:
                    self.json(body)
            client = getattr(s, "client", None)
            if isinstance(client, str):
                self._client_key(client)

    # --- redacting -----------------------------------------------------------------------------------
    def text(self, text: str) -> str:
        """Free text with every learned original (and ECID-shaped numbers) replaced."""
        if not text:
            return text
        pattern = self._compiled()
        if pattern is not None:
            text = pattern.sub(lambda m: self._pseudonyms[m.group(0)], text)
        return _ECID_RE.sub(lambda m: self.value(m.group(0), "ecid"), text)

    def json(self, obj: Any, key: str | None = None) -> Any:
        """A redacted copy of a JSON value (dict keys kept, id values replaced, strings scanned)."""
        if isinstance(obj, dict):
            out: dict[Any, Any] = {}
            for k, v in obj.items():
                kind = ID_KEYS.get(k) if isinstance(k, str) else None
                if kind is None and isinstance(k, str) and k.startswith("kndctr_"):
                    kind = "kndctr"
                if kind is not None:
                    out[k] = self._ids(v, kind)
                else:
                    out[k] = self.json(v, k)
            # Edge state entries {"key": "kndctr_…", "value": …} and identity results {"namespace", "id"}
            entry_key = obj.get("key")
            if isinstance(entry_key, str) and entry_key.startswith("kndctr_") and "value" in obj:
                out["value"] = self._ids(obj["value"], "kndctr")
            if "namespace" in obj and isinstance(obj.get("id"), str):
                out["id"] = self.value(obj["id"], "identity")
            return out
        if isinstance(obj, list):
            return [self.json(v, key) for v in obj]
        if isinstance(obj, str):
            return self.text(obj)
        return obj

    def _ids(self, value: Any, kind: str) -> Any:
        """Every scalar inside ``value`` is an id, except small integers (authState, primary flags)."""
        if isinstance(value, dict):
            return {k: (v if k in ("authState", "authenticatedState", "primary") else self._ids(v, kind))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self._ids(v, kind) for v in value]
        if value is None or isinstance(value, bool):
            return value
        return self.value(value, kind)

    def headers(self, headers: Headers) -> Headers:
        out: Headers = []
        for name, value in headers:
            lname = name.lower()
            if lname == "cookie":
                value = "; ".join(self._cookie(part) for part in value.split(";") if part.strip())
            elif lname == "set-cookie":
                first, sep, attrs = value.partition(";")
                value = self._cookie(first) + sep + attrs
            elif lname == "authorization" or lname == "proxy-authorization":
                scheme, space, cred = value.strip().partition(" ")
                value = f"{scheme} {self.value(cred, 'credential')}" if space else self.value(value, "credential")
            elif lname in IP_HEADERS:
                value = _IPV4_RE.sub(lambda m: self.ip(m.group(0)), value)
                value = re.sub(r"[0-9A-Fa-f]*:[0-9A-Fa-f:]+:[0-9A-Fa-f]+",
                               lambda m: self.ip(m.group(0)) if _is_ip(m.group(0)) else m.group(0), value)
            elif _CREDENTIAL_HEADER_RE.search(lname):
                value = self.value(value, "credential")
            else:
                value = self.text(value)
            out.append((name, value))
        return out

    def _cookie(self, part: str) -> str:
        name, eq, value = part.strip().partition("=")
        if not eq:
            return self.value(name, "cookie")
        kind = "kndctr" if name.startswith("kndctr_") else "cookie"
        return f"{name}={self.value(value, kind)}" if value else f"{name}="

    def url(self, url: str) -> str:
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.text(url)
        if not parts.query:
            return self.text(url)
        query = [(k, self.value(v, "credential") if _CREDENTIAL_QUERY_RE.match(k) else self.text(v))
                 for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        return urlunsplit(parts._replace(path=self.text(parts.path), query=urlencode(query)))

    def body(self, body: bytes | None) -> bytes | None:
        if not body:
            return body
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return self.text(text).encode("utf-8")
        return json.dumps(self.json(data), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def exchange(self, ex: Exchange) -> Exchange:
        """A redacted copy of an exchange; Content-Length follows a body whose length changed."""
        request_body, response_body = self.body(ex.request_body), self.body(ex.response_body)
        return replace(
            ex,
            url=self.url(ex.url),
            request_headers=_length(self.headers(ex.request_headers), ex.request_body, request_body),
            request_body=request_body,
            response_headers=_length(self.headers(ex.response_headers), ex.response_body, response_body),
            response_body=response_body,
            error=self.text(ex.error) if ex.error else ex.error,
            client=self.ip(ex.client) if ex.client else ex.client,
        )

    def report(self, report: Mapping[str, Any]) -> dict[str, Any]:
        """A redacted copy of a JSON report (io.report.build_report) that says it was redacted."""
        for s in report.get("sessions", []) or []:
            if isinstance(s, Mapping) and isinstance(s.get("client"), str):
                self._client_key(s["client"])
        out = self._report_value(report)
        out["redacted"] = self.notice()
        return out

    def _report_value(self, obj: Any) -> Any:
        if isinstance(obj, Mapping):
            out: dict[str, Any] = {}
            for k, v in obj.items():
                if k == "client" and isinstance(v, str):
                    out[k] = self._client_key(v)
                else:
                    out[k] = self.json(v, k) if k in ID_KEYS else self._report_value(v)
            return out
        if isinstance(obj, list | tuple):
            return [self._report_value(v) for v in obj]
        if isinstance(obj, str):
            return self.text(obj)
        return obj

    def _client_key(self, key: str) -> str:
        """A session's client key ("ecid:ID", "addr:IP|User-Agent", "IP:port") with its ids replaced."""
        if key.startswith("ecid:"):
            return "ecid:" + self.value(key[5:], "ecid")
        if key.startswith("addr:"):
            host, bar, ua = key[5:].partition("|")
            return "addr:" + (self.ip(host) if host else "") + bar + ua
        return self.ip(key)

    # --- output marks --------------------------------------------------------------------------------
    def mark(self, kind: str, text: str) -> str:
        """A rendered output that says it was redacted (a JSON report carries its "redacted" member)."""
        if kind in ("junit", "html"):
            comment = f"<!-- {NOTE} -->\n"
            if text.startswith("<?xml"):
                head, nl, rest = text.partition("\n")
                return head + nl + comment + rest
            if text.lower().startswith("<!doctype"):
                head, nl, rest = text.partition("\n")
                return head + nl + comment + rest
            return comment + text
        if kind == "markdown":
            return text.rstrip("\n") + f"\n\n_{NOTE}._\n"
        return text

    def _compiled(self) -> re.Pattern[str] | None:
        if self._dirty or self._pattern is None:
            originals = sorted((o for o in self._pseudonyms if len(o) >= MIN_LEARNED), key=len, reverse=True)
            self._pattern = (re.compile("(?<![A-Za-z0-9])(?:" + "|".join(map(re.escape, originals)) + ")(?![A-Za-z0-9])")
                             if originals else None)
            self._dirty = False
        return self._pattern


def _length(headers: Headers, before: bytes | None, after: bytes | None) -> Headers:
    if before is None or after is None or len(before) == len(after):
        return headers
    return [(k, str(len(after)) if k.lower() == "content-length" else v) for k, v in headers]


def _split_host_port(address: str) -> tuple[str, str, str]:
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        return host, (":" if rest.startswith(":") else ""), rest[1:]
    if address.count(":") == 1:
        host, _, port = address.partition(":")
        return host, ":", port
    return address, "", ""


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _ip_pseudonym(original: str, n: int) -> str:
    try:
        v6 = ipaddress.ip_address(original).version == 6
    except ValueError:
        v6 = False
    if v6:
        return f"2001:db8::{n:x}"
    return str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("198.18.0.0")) + n))  # 198.18.0.0/15: benchmarks


# --------------------------------------------------------------------------------------------------
# One-call helpers


def redact_report(report: Mapping[str, Any], sessions: Iterable[Any] = ()) -> dict[str, Any]:
    """A redacted copy of a JSON report; ``sessions`` (or Analyzers) lend the ids free text may repeat."""
    r = Redactor()
    r.learn_sessions(_sessions(sessions))
    return r.report(report)


def redact_exchanges(exchanges: Iterable[Exchange], redactor: Redactor | None = None) -> Iterator[Exchange]:
    """Redacted copies, one pseudonym table for all: two passes, so materialise an iterator once."""
    items = list(exchanges)
    r = redactor or Redactor()
    for ex in items:
        r.learn_exchange(ex)
    for ex in items:
        yield r.exchange(ex)


def _sessions(items: Iterable[Any]) -> Iterator[Any]:
    for item in items:
        inner = getattr(item, "sessions", None)
        if isinstance(inner, list):
            yield from inner
        else:
            yield item


def render(kind: str, report: Mapping[str, Any], fail_on: Any, sessions: Iterable[Any] = ()) -> str:
    """``io.report.render`` of the redacted report, marked as redacted."""
    r = Redactor()
    r.learn_sessions(_sessions(sessions))
    return r.mark(kind, rpt.render(kind, r.report(report), fail_on))


def write_text(path: str | Path, text: str) -> None:
    """Write a (redacted) report's text atomically through io.report.write_file."""
    rpt.write_file(path, text.encode("utf-8"))
