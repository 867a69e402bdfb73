"""Plain data types shared by every part of mcscope (no mitmproxy, no Qt)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use error, warning or info)") from None


Headers = list[tuple[str, str]]


@dataclass(slots=True)
class Exchange:
    """One HTTP exchange as any reader (live proxy, .mitm, HAR, journal) sees it.

    Bodies are already decoded from Content-Encoding by the caller. ``None`` means the body was not
    captured (streamed or truncated), ``b""`` means it was empty.
    """

    flow_id: str
    method: str
    url: str
    request_headers: Headers = field(default_factory=list)
    request_body: bytes | None = b""
    response_status: int | None = None
    response_headers: Headers = field(default_factory=list)
    response_body: bytes | None = b""
    timestamp_start: float = 0.0  # epoch seconds when the request was seen
    timestamp_end: float | None = None  # epoch seconds when the response was complete
    error: str | None = None  # connection error / timeout text, if the exchange failed
    live: bool = False  # True when seen by a running proxy (enables clock-skew checks)
    client: str | None = None  # the player's address ("ip" or "ip:port"), when known

    def request_header(self, name: str) -> str | None:
        return _header(self.request_headers, name)

    def response_header(self, name: str) -> str | None:
        return _header(self.response_headers, name)


def _header(headers: Headers, name: str) -> str | None:
    lname = name.lower()
    size = len(lname)
    for key, value in headers:
        if len(key) == size and key.lower() == lname:
            return value
    return None


@dataclass(slots=True)
class HttpResponse:
    """An HTTP response: what the mock collector answers, what the simulator's client reads back."""

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)


@dataclass(slots=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    sid: str | None = None
    event: int | None = None  # index of the event inside its session
    flow: str | None = None
    ts: int | None = None
    ignored: bool = False
    consequence: str | None = None
    protocol: str = "rest"  # "edge" for a Media Edge API exchange's transport finding (a session's: its session's)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity.label,
            "message": self.message,
            "sid": self.sid,
            "event": self.event,
            "flow": self.flow,
            "ts": self.ts,
            "ignored": self.ignored,
        }
        if self.consequence:
            out["consequence"] = self.consequence
        return out
