"""mcscope/commands/listen.py: the ``--listen`` addresses of ``proxy`` and ``mock-collector``."""

from __future__ import annotations

import pytest

from mcscope.commands.listen import parse_listen


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8090", ("127.0.0.1", 8090)),
        (":0", ("127.0.0.1", 0)),
        ("9000", ("127.0.0.1", 9000)),
        ("[::1]:80", ("::1", 80)),
        ("0.0.0.0:1", ("0.0.0.0", 1)),
        (" 8081 ", ("127.0.0.1", 8081)),
    ],
)
def test_addresses(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


def test_an_empty_host_means_what_the_command_says() -> None:
    """``mcscope proxy --listen :9000`` listens on every interface, the mock collector on loopback."""
    assert parse_listen(":9000", empty_host="0.0.0.0") == ("0.0.0.0", 9000)
    assert parse_listen("9000", empty_host="0.0.0.0") == ("127.0.0.1", 9000)


@pytest.mark.parametrize(
    "text", ["", "host:", "host:abc", "host:port", "h:70000", "1.2.3.4:70000", "[::1]80", "[::1", "a:b:c"]
)
def test_bad_addresses_say_why(text: str) -> None:
    with pytest.raises(ValueError, match="listen address|port"):
        parse_listen(text)
