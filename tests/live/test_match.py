"""Which flows the addon looks at."""

from __future__ import annotations

from mcscope.live import match
from tests.live.helpers import make_flow


def test_collection_paths() -> None:
    assert match.is_collection_path("/api/v1/sessions")
    assert match.is_collection_path("/api/v1/sessions/abc/events?x=1")
    assert match.is_collection_path("/prefix/api/v1/downloaded")
    assert not match.is_collection_path("/api/v1/sessions/abc")
    assert not match.is_collection_path("/api/v1/schemas/play")
    assert not match.is_collection_path("/index.html")


def test_host_matches() -> None:
    assert match.host_matches("anything", [])
    assert match.host_matches("a.hb-api.omtrdc.net", [".hb-api.omtrdc.net"])
    assert match.host_matches("hb-api.omtrdc.net", ["hb-api.omtrdc.net"])
    assert match.host_matches("x.HB-API.omtrdc.net.", ["*.hb-api.omtrdc.net"])
    assert not match.host_matches("evilhb-api.omtrdc.net", ["hb-api.omtrdc.net"])


def test_wanted_and_mock_pattern() -> None:
    assert match.wanted(make_flow(), ())
    assert not match.wanted(make_flow(), ("other.example",))
    schema = make_flow(path="/api/v1/schemas/play")
    assert not match.wanted(schema, ()) and match.wanted(schema, (), match.MOCK_RE)


def test_loopbackish() -> None:
    for host in ("127.0.0.1", "localhost", "a.localhost", "[::1]", "0.0.0.0", "some.name"):
        assert match.is_loopbackish(host)
    assert not match.is_loopbackish("8.8.8.8")


def test_media_edge_calls_are_wanted() -> None:
    """Media Edge API calls on any host (issue 11): /ee[/{hint}]/va/v1/{eventType}, /ee-pre-prd, downloaded,
    and Web SDK interact calls that carry media events; other interact traffic is not looked at."""
    for path in ("/ee/va/v1/sessionStart?configId=c", "/ee/or2/va/v1/play", "/ee-pre-prd/va/v1/ping",
                 "/ee/va/v1/downloaded", "/ee/VA/v1/sessionComplete"):
        assert match.wanted(make_flow(path=path, host="edge.adobedc.net"), ()), path
    media = b'{"events":[{"xdm":{"eventType":"media.sessionStart"}}]}'
    other = b'{"events":[{"xdm":{"eventType":"web.webpagedetails.pageViews"}}]}'
    assert match.wanted(make_flow(path="/ee/v1/interact?configId=c", body=media, host="edge.adobedc.net"), ())
    assert not match.wanted(make_flow(path="/ee/v1/interact?configId=c", body=other, host="edge.adobedc.net"), ())
    assert not match.wanted(make_flow(path="/ee/v1/collect", body=media), ())
    assert not match.wanted(make_flow(path="/ee/va/v1/play", host="edge.adobedc.net"), ("hb-api.omtrdc.net",))


def test_mock_mode_answers_rest_only() -> None:
    edge = make_flow(path="/ee/va/v1/sessionStart")
    assert not match.wanted(edge, (), match.MOCK_RE, edge=False)
