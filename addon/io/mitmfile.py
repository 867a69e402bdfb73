"""mitmproxy flow files (``.mitm``, from ``mitmdump -w``) -> Exchanges, streamed flow by flow."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from mcscope.core.model import Exchange
from mcscope.io.common import CaptureError, ReadProgress

log = logging.getLogger(__name__)


def read_mitm(fh: IO[bytes], path: Path, progress: ReadProgress) -> Iterator[Exchange]:
    """The HTTP exchanges of a mitmproxy flow file (``mitmdump -w``); other flow types are skipped."""
    # Imported here, not at the top: `mcscope check` on a HAR or a journal never pays for loading mitmproxy.
    from mitmproxy import http, io

    from mcscope.io.flows import flow_to_exchange

    reader = io.FlowReader(fh)
    stream = iter(reader.stream())
    flows = 0
    while True:
        try:
            flow = next(stream)
        except StopIteration:
            return
        except Exception as exc:  # FlowReadException, or anything flow migration raises on garbage
            detail = str(exc) or type(exc).__name__
            raise CaptureError(
                f"{path}: truncated or corrupt flow file: stopped after {flows} flows "
                f"({progress.read_count} HTTP exchanges) near byte {_tell(fh)} ({detail})",
                progress.read_count,
            ) from None
        flows += 1
        progress.position = _tell(fh)
        if not isinstance(flow, http.HTTPFlow):
            continue
        try:
            yield flow_to_exchange(flow)
        except Exception as exc:  # a flow we cannot convert: skip it, keep reading
            log.warning("%s: flow %d skipped (%s)", path, flows, exc)

def _tell(fh: IO[bytes]) -> int:
    try:
        return fh.tell()
    except (OSError, ValueError):
        return 0
