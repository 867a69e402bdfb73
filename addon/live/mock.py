"""Mock mode (``mcscope_mock``): collection calls answered in the ``request`` hook like Adobe's collector."""

from __future__ import annotations

from mitmproxy import http

from mcscope.sim.collector import MockCollector


class Mock:
    """Answers a collection request with the mock collector's response (sets ``flow.response``)."""

    def __init__(self) -> None:
        self.collector = MockCollector()

    def answer(self, flow: http.HTTPFlow) -> None:
        req = flow.request
        body = req.get_content(strict=False) if req.raw_content is not None else None
        answer = self.collector.handle(req.method, req.path, list(req.headers.items(multi=True)), body)
        headers = http.Headers([(k.encode("latin-1", "replace"), v.encode("latin-1", "replace"))
                                for k, v in answer.headers])
        flow.response = http.Response.make(answer.status, answer.body, headers)
