"""How a scripted player's steps go on the wire: the request of each step, and what each answer means.

A wire is one player's client state for one protocol. :meth:`Wire.request` turns a protocol-neutral
:class:`~mcscope.sim.script.Step` into the :class:`Request` its client sends (None: the client drops the step,
e.g. it has no session to send it on); :meth:`Wire.answer` reads the answer (the session id, a failed start)
and returns a failure text when the answer is unusable. :class:`RestWire` speaks the REST MC API;
``edge_wire.EdgeWire`` the Media Edge API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from mcscope.core.model import HttpResponse
from mcscope.sim.script import Step

__all__ = ["Request", "Wire", "RestWire", "SID_RE", "sid_from"]

SID_RE = re.compile(r"^/api/(.*)/sessions/(.*)")  # the regex of Adobe's reference player and SDK


@dataclass(frozen=True, slots=True)
class Request:
    path: str  # with the query string
    headers: list[tuple[str, str]]
    body: bytes
    method: str = "POST"


class Wire(Protocol):
    @property
    def sid(self) -> str | None: ...

    def request(self, step: Step) -> Request | None: ...

    def answer(self, step: Step, response: HttpResponse) -> str | None: ...


def sid_from(location: str | None) -> str | None:
    """The sid of a ``201``'s ``Location`` (a path or an absolute URL), as Adobe's reference player reads it."""
    if not location:
        return None
    path = location.strip()
    if "://" in path:
        rest = path.split("://", 1)[1]
        path = rest[rest.find("/") :] if "/" in rest else "/"
    m = SID_RE.match(path)
    if not m or not m.group(2):
        return None
    return m.group(2).split("?", 1)[0] or None


class RestWire:
    """A REST MC API client: ``/api/v1/sessions``, then ``/api/v1/sessions/{sid}/events`` with the sid of the
    ``201``'s ``Location``; without a session it drops its events."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.sid: str | None = None
        self._failed = False

    def request(self, step: Step) -> Request | None:
        if step.endpoint == "events" and step.sid is None and (self.sid is None or self._failed):
            return None
        if step.endpoint == "sessions":
            path = f"{self.prefix}/api/v1/sessions"
        elif step.endpoint == "downloaded":
            path = f"{self.prefix}/api/v1/downloaded"
        else:
            path = f"{self.prefix}/api/v1/sessions/{step.sid or self.sid}/events"
        ctype = (step.tweak.content_type if step.tweak else None) or "application/json"
        return Request(path, [("Content-Type", ctype)], step.payload())

    def answer(self, step: Step, response: HttpResponse) -> str | None:
        if step.endpoint != "sessions" or not isinstance(step.body, dict):
            return None
        if response.status != 201:
            self._failed = True
            return None
        self.sid = sid_from(response.header("Location"))
        self._failed = self.sid is None
        return "201 without a usable Location header" if self.sid is None else None
