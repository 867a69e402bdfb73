"""Captures in time order: HAR 1.2 asks readers to sort entries by ``startedDateTime``; mitmproxy flow files
are sorted by request start the same way.

The sort is stable (exchanges that started at the same instant keep their file order), and an exchange
without a start time (a HAR entry whose ``startedDateTime`` does not parse) keeps its place right after
the exchange before it in the file. Memory stays bounded: up to :data:`RUN_BYTES` of exchanges are sorted
in memory; a larger capture is cut into sorted runs, spilled as journal records to temporary files and
merged, so a capture is read once whatever its size. A capture already in order is recognised run by run
and merged without comparing across runs.
"""

from __future__ import annotations

import heapq
import json
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from mcscope.core.model import Exchange
from mcscope.io.journal import exchange_to_record, record_to_exchange

#: Bytes of bodies and headers (roughly) sorted in memory before a run is spilled to a temporary file.
RUN_BYTES = 64 * 1024 * 1024

_Keyed = tuple[float, int, Exchange]


def _size(ex: Exchange) -> int:
    return (len(ex.request_body or b"") + len(ex.response_body or b"") + len(ex.url) + 256
            + sum(len(k) + len(v) for k, v in ex.request_headers) + sum(len(k) + len(v) for k, v in ex.response_headers))


def in_start_order(exchanges: Iterable[Exchange], run_bytes: int = RUN_BYTES) -> Iterator[Exchange]:
    """``exchanges`` sorted by ``timestamp_start`` (stable). If the source raises after yielding some
    exchanges (a truncated capture), what was read is yielded in order and then the error is raised."""
    runs: list[IO[str]] = []
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


def _spill(run: list[_Keyed]) -> IO[str]:
    fh = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - open until the merge has read it
    for key, seq, ex in _sorted(run):
        fh.write(json.dumps([key, seq, exchange_to_record(ex)], ensure_ascii=False, separators=(",", ":")))
        fh.write("\n")
    fh.seek(0)
    return fh


def _read_run(fh: IO[str]) -> Iterator[_Keyed]:
    with fh:
        for line in fh:
            key, seq, record = json.loads(line)
            yield key, seq, record_to_exchange(record)


def _merged(runs: list[IO[str]], last: list[_Keyed]) -> Iterator[Exchange]:
    if not runs:
        for _key, _seq, ex in _sorted(last):
            yield ex
        return
    sources: list[Iterator[_Keyed]] = [_read_run(fh) for fh in runs]
    sources.append(iter(_sorted(last)))
    for _key, _seq, ex in heapq.merge(*sources, key=lambda item: (item[0], item[1])):
        yield ex
