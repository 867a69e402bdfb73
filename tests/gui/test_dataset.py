"""gui/dataset.py: what the window keeps, and how little memory a big capture's headers take."""

from __future__ import annotations

from mcscope.core.model import Exchange
from mcscope.gui.dataset import Dataset, HeaderPool
from tests.builder import clean_vod


def _ex(n: int, headers: list[tuple[str, str]]) -> Exchange:
    return Exchange(flow_id=f"f{n}", method="POST", url="https://x.hb-api.omtrdc.net/api/v1/sessions/a/events",
                    request_headers=list(headers), response_headers=[("Date", f"t{n}")])


def test_equal_header_pairs_are_shared_between_exchanges() -> None:
    pool = HeaderPool()
    a = pool.share(_ex(1, [("Content-Type", "application/json")]))
    b = pool.share(_ex(2, [("Content-Type", "application/json")]))
    assert a.request_headers == b.request_headers == [("Content-Type", "application/json")]
    assert a.request_headers[0] is b.request_headers[0]
    assert a.response_headers != b.response_headers  # different values stay different


def test_the_pool_is_bounded() -> None:
    pool = HeaderPool(limit=2)
    for n in range(10):
        ex = pool.share(_ex(n, [("X-N", str(n))]))
        assert ex.request_headers == [("X-N", str(n))]
    assert len(pool._pairs) == 2


def test_dataset_feeds_the_analyzer_and_keeps_every_exchange() -> None:
    ds = Dataset()
    capture = clean_vod()
    for ex in capture.exchanges:
        ds.feed(ex)
    ds.finish()
    assert len(ds.exchanges) == len(capture.exchanges)
    assert [s.event_count for s in ds.sessions] == [len(capture.exchanges)]
