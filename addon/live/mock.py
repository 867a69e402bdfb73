"""Mock mode (``mcscope_mock``): collection calls answered in the ``request`` hook like Adobe's back ends.

REST Media Collection calls get the mock collector's answers, Media Edge API calls (``/ee[/{hint}]/va/v1/…``,
``/ee-pre-prd``) the mock Edge's; a Web SDK ``/v1/interact`` call is answered only when it carries media events
(any other interact call is the real Edge's business and passes through untouched).
"""

from __future__ import annotations

from mitmproxy import http

from mcscope.core import edge_spec as es
from mcscope.sim.collector import MockCollector
from mcscope.sim.edge_collector import is_media_interact


class Mock:
    """Answers a collection request with the mock collector's response (sets ``flow.response``)."""

    def __init__(self) -> None:
        self.collector = MockCollector()

    def answer(self, flow: http.HTTPFlow) -> bool:
        """Set ``flow.response``; False (flow untouched) for an interact call without media events."""
        req = flow.request
        body = req.get_content(strict=False) if req.raw_content is not None else None
        path = req.path.split("?", 1)[0]
        if es.INTERACT_PATH_RE.search(path) is not None and not is_media_interact(body):
            return False
        answer = self.collector.handle(req.method, req.path, list(req.headers.items(multi=True)), body)
        headers = http.Headers([(k.encode("latin-1", "replace"), v.encode("latin-1", "replace"))
                                for k, v in answer.headers])
        flow.response = http.Response.make(answer.status, answer.body, headers)
        return True
