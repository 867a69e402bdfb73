"""Which flows the addon looks at: Media Collection endpoints, the ``mcscope_hosts`` filter, and the
loopback test of the viewer-stream guard."""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import re
import socket
from collections.abc import Sequence

from mitmproxy import http

from mcscope.core.edge_exchange import is_edge_path
from mcscope.core.edge_spec import VA_PATH_RE

#: Collection endpoints (after any path prefix, query stripped).
COLLECTION_RE = re.compile(r"/api/v1/(?:sessions(?:/[^/]+/events)?|downloaded)/?$")
#: What mock mode answers on REST (collection endpoints plus the schema endpoint); Media Edge calls are
#: recognised by :func:`is_edge_media_call`.
MOCK_RE = re.compile(r"/api/v1/(?:sessions(?:/[^/]+/events)?|downloaded|schemas/[^/]+)/?$")


def _bare_path(path: str) -> str:
    return path.split("?", 1)[0].split("#", 1)[0]


def is_collection_path(path: str) -> bool:
    return COLLECTION_RE.search(_bare_path(path)) is not None


def host_matches(host: str, patterns: Sequence[str]) -> bool:
    """Empty patterns = any host. ``.example.com`` / ``example.com`` match the domain and subdomains."""
    if not patterns:
        return True
    host = host.lower().rstrip(".")
    for pat in patterns:
        p = pat.lower().strip().rstrip(".")
        if p.startswith("*."):
            p = p[1:]
        bare = p.lstrip(".")
        if host == bare or host.endswith("." + bare):
            return True
    return False


def is_edge_media_call(path: str, body: bytes | None) -> bool:
    """A Media Edge API call: ``/ee[/{hint}]/va/v1/{eventType}`` (and ``/ee-pre-prd``), or a Web SDK
    ``/v1/interact`` whose events include media ones (other interact traffic is none of mcscope's business:
    a substring test on the request body, no JSON parsing in the hook)."""
    if not is_edge_path(path):  # the core's test, cheap for the proxy's other traffic
        return False
    return VA_PATH_RE.search(path) is not None or (body is not None and b'"media.' in body)


def wanted(flow: http.HTTPFlow, hosts: Sequence[str], pattern: re.Pattern[str] = COLLECTION_RE,
           edge: bool = True) -> bool:
    """A flow whose path matches ``pattern`` (or, with ``edge``, a Media Edge call) on one of ``hosts``
    (any host when empty)."""
    req = flow.request
    path = _bare_path(req.path)
    if pattern.search(path) is None and not (edge and is_edge_media_call(path, req.raw_content)):
        return False
    return not hosts or host_matches(req.pretty_host, hosts)


@functools.cache
def _own_names_and_addresses() -> frozenset[str]:
    """This machine's host names and the addresses they resolve to (looked up once, at the first check)."""
    names: set[str] = set()
    with contextlib.suppress(OSError):
        hostname = socket.gethostname().lower()
        names |= {hostname, socket.getfqdn().lower()}
        for info in socket.getaddrinfo(hostname, None):
            names.add(str(info[4][0]).split("%", 1)[0].lower())
    return frozenset(n for n in names if n)


def is_own_address(host: str) -> bool:
    """True when ``host`` names this machine: a loopback, unspecified or own address, ``localhost`` (and
    ``*.localhost``), or this machine's own host name. Any other name is someone else's: the viewer
    stream only listens on 127.0.0.1, so a proxied connection to another host's port is no threat."""
    h = host.strip("[]").lower().rstrip(".")
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(h.split("%", 1)[0])
    except ValueError:
        try:  # the forms the resolver also takes: 127.1, 2130706433, 0x7f.0.0.1
            ip = ipaddress.IPv4Address(socket.inet_aton(h))
        except OSError:
            return h in _own_names_and_addresses()
    if ip.is_loopback or ip.is_unspecified:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        mapped = ip.ipv4_mapped
        if mapped.is_loopback or mapped.is_unspecified:
            return True
    return str(ip) in _own_names_and_addresses()


def is_loopbackish(host: str) -> bool:
    """True for loopback/unspecified addresses and for names (a name could resolve to loopback)."""
    h = host.strip("[]").lower().rstrip(".")
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        return True  # a name could resolve to loopback: refuse to be safe
    return ip.is_loopback or ip.is_unspecified
