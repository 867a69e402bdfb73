"""The mitmproxy adapter: live ``HTTPFlow`` objects -> :class:`~mcscope.core.model.Exchange`.

``flow_parts`` copies what an Exchange needs of a flow as plain picklable data (the proxy's hook does only
that); ``exchange_from_parts`` rebuilds exactly ``flow_to_exchange(flow)`` from it in another process.
"""

from __future__ import annotations

from typing import Any

from mitmproxy import http

from mcscope.core.model import Exchange


def flow_to_exchange(flow: Any) -> Exchange:
    """An ``mitmproxy.http.HTTPFlow`` as an Exchange (bodies decoded from Content-Encoding)."""
    error = flow.error.msg if flow.error is not None else None
    return _exchange(str(flow.id), flow.request, flow.response, error, bool(getattr(flow, "live", False)),
                     _peer(flow))


def flow_parts(flow: Any) -> tuple[Any, ...]:
    """What flow_to_exchange needs of a live flow, as plain picklable data, cheaply (attribute reads only).

    ``exchange_from_parts`` turns it into exactly ``flow_to_exchange(flow)``, in another process.
    """
    req = flow.request.data
    resp = flow.response.data if flow.response is not None else None
    return (
        str(flow.id),
        (req.http_version, req.headers.fields, req.content, req.timestamp_start, req.timestamp_end, req.host,
         req.port, req.method, req.scheme, req.authority, req.path),
        None if resp is None else (resp.http_version, resp.headers.fields, resp.content, resp.timestamp_start,
                                   resp.timestamp_end, resp.status_code, resp.reason),
        flow.error.msg if flow.error is not None else None,
        bool(getattr(flow, "live", False)),
        _peer(flow),
    )


def exchange_from_parts(parts: tuple[Any, ...]) -> Exchange:
    """The Exchange of ``flow_parts(flow)``: mitmproxy's own URL and body decoding on the same data."""
    flow_id, rq, rs, error, live, client = parts
    # The fields as they were, without the constructors' conversions and type checks (~70 µs): they are
    # exactly what a live flow held.
    req = _bare(http.Request, data=_bare(
        http.RequestData, http_version=rq[0], headers=_bare(http.Headers, fields=rq[1]), content=rq[2],
        trailers=None, timestamp_start=rq[3], timestamp_end=rq[4], host=rq[5], port=rq[6], method=rq[7],
        scheme=rq[8], authority=rq[9], path=rq[10],
    ))
    resp = None
    if rs is not None:
        resp = _bare(http.Response, data=_bare(
            http.ResponseData, http_version=rs[0], headers=_bare(http.Headers, fields=rs[1]), content=rs[2],
            trailers=None, timestamp_start=rs[3], timestamp_end=rs[4], status_code=rs[5], reason=rs[6],
        ))
    # pretty_url reads only these; every event of a session has the same ones
    key = (rq[0], rq[5], rq[6], rq[7], rq[8], rq[9], rq[10], tuple(v for k, v in rq[1] if k.lower() == b"host"))
    url = _PRETTY_URLS.get(key)
    if url is None:
        if len(_PRETTY_URLS) >= 4096:
            _PRETTY_URLS.clear()
        url = _PRETTY_URLS[key] = _url(req)
    return _exchange(flow_id, req, resp, error, live, client, url)


_PRETTY_URLS: dict[tuple[Any, ...], str] = {}


def _bare(cls: type, **attrs: Any) -> Any:
    obj = object.__new__(cls)
    obj.__dict__.update(attrs)
    return obj


def _url(req: Any) -> str:
    try:
        return req.pretty_url
    except Exception:  # it parses the Host header of arbitrary traffic: the raw URL is the safe answer
        return req.url


def _exchange(
    flow_id: str, req: Any, resp: Any, error: str | None, live: bool, client: str | None, url: str | None = None
) -> Exchange:
    return Exchange(
        flow_id=flow_id,
        method=req.method,
        url=_url(req) if url is None else url,
        request_headers=list(req.headers.items(multi=True)),
        request_body=_message_body(req),
        response_status=resp.status_code if resp is not None else None,
        response_headers=list(resp.headers.items(multi=True)) if resp is not None else [],
        response_body=_message_body(resp) if resp is not None else None,
        timestamp_start=float(req.timestamp_start or 0.0),
        timestamp_end=float(resp.timestamp_end) if resp is not None and resp.timestamp_end else None,
        error=error,
        live=live,
        client=client,
    )


def _peer(flow: Any) -> str | None:
    try:
        peer = flow.client_conn.peername
    except AttributeError:
        return None
    if isinstance(peer, tuple | list) and peer:
        return str(peer[0])
    return None


def _message_body(message: Any) -> bytes | None:
    if message.raw_content is None:
        return None  # streamed or not stored
    try:
        return message.get_content(strict=False)
    except Exception:  # a codec fed arbitrary bytes may raise anything: keep the bytes as they came
        return message.raw_content
