"""Captures in time order: HAR 1.2 asks readers to sort entries by ``startedDateTime``; mitmproxy flow files
are sorted by request start the same way.

The sort is stable (exchanges that started at the same instant keep their file order), and an exchange
without a start time (a HAR entry whose ``startedDateTime`` does not parse) keeps its place right after
the exchange before it in the file. Memory stays bounded: up to :data:`RUN_BYTES` of exchanges are sorted
in memory; a larger capture is cut into sorted runs, spilled (pickled: exact and several times cheaper than
journal records) to temporary files and merged, so a capture is read once whatever its size. A capture
already in order is recognised run by run (no sort) and, when every run starts at or after the end of the
one before, read back run after run without a merge.
"""

from __future__ import annotations

import heapq
import itertools
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from mcscope.core.model import Exchange

#: Bytes of bodies and headers (roughly) sorted in memory before a run is spilled to a temporary file. The
#: Exchanges take a few times that in memory; reading a 1 GB HAR with 16 MiB runs stayed at 75 MB of RSS,
#: and a spilled exchange costs a few microseconds (pickled) on top of the ~37 us of reading it.
RUN_BYTES = 32 * 1024 * 1024

_Keyed = tuple[float, int, Exchange]


def _size(ex: Exchange) -> int:
    return (len(ex.request_body or b"") + len(ex.response_body or b"") + len(ex.url) + 256
            + sum(len(k) + len(v) for k, v in ex.request_headers) + sum(len(k) + len(v) for k, v in ex.response_headers))


def in_start_order(exchanges: Iterable[Exchange], run_bytes: int | None = None) -> Iterator[Exchange]:
    """``exchanges`` sorted by ``timestamp_start`` (stable). If the source raises after yielding some
    exchanges (a truncated capture), what was read is yielded in order and then the error is raised.
    ``run_bytes``: see :data:`RUN_BYTES` (its default)."""
    if run_bytes is None:
        run_bytes = RUN_BYTES
    runs: list[_Run] = []
    run: list[_Keyed] = []
    run_size = 0
    key = 0.0
    try:
        for seq, ex in enumerate(exchanges):
            if ex.timestamp_start:
                key = ex.timestamp_start
            run.append((key, seq, ex))
            run_size += _size(ex)
            if run_size >= run_bytes:
                runs.append(_spill(run))
                run, run_size = [], 0
    except Exception:  # a capture that breaks off (CaptureError, OSError): what was read, in order, first
        yield from _merged(runs, run)
        raise
    yield from _merged(runs, run)


def _sorted(run: list[_Keyed]) -> list[_Keyed]:
    if all(run[i][0] <= run[i + 1][0] for i in range(len(run) - 1)):
        return run  # already in order: the common case, no sort
    return sorted(run, key=lambda item: (item[0], item[1]))


_BATCH = 1024  # exchanges per pickle record of a spilled run


class _Run:
    """A sorted run spilled to a temporary file, with the keys it starts and ends with."""

    def __init__(self, run: list[_Keyed]) -> None:
        run = _sorted(run)
        self.first, self.last = (run[0][0], run[0][1]), (run[-1][0], run[-1][1])
        self.fh: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - open until the merge has read it
        for i in range(0, len(run), _BATCH):
            pickle.dump(run[i : i + _BATCH], self.fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.fh.seek(0)

    def __iter__(self) -> Iterator[_Keyed]:
        with self.fh:
            while True:
                try:
                    batch = pickle.load(self.fh)
                except EOFError:
                    return
                yield from batch


def _spill(run: list[_Keyed]) -> _Run:
    return _Run(run)


def _merged(runs: list[_Run], last: list[_Keyed]) -> Iterator[Exchange]:
    if not runs:
        for _key, _seq, ex in _sorted(last):
            yield ex
        return
    tail = _sorted(last)
    bounds = [(r.first, r.last) for r in runs]
    if tail:
        bounds.append(((tail[0][0], tail[0][1]), (tail[-1][0], tail[-1][1])))
    sources: list[Iterable[_Keyed]] = [*runs, tail]
    if all(bounds[i][1] <= bounds[i + 1][0] for i in range(len(bounds) - 1)):
        items: Iterable[_Keyed] = itertools.chain.from_iterable(sources)  # in order already: no merge
    else:
        items = heapq.merge(*sources, key=lambda item: (item[0], item[1]))
    for _key, _seq, ex in items:
        yield ex
