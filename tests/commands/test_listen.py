"""mcscope/commands/listen.py: the ``--listen`` addresses of ``proxy`` and ``mock-collector``."""

from __future__ import annotations

import socket

import pytest

from mcscope.commands.listen import bind_problem, parse_listen


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


def test_a_port_someone_listens_on_is_in_use() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert bind_problem("127.0.0.1", port) == f"127.0.0.1:{port} is in use; choose another with --listen HOST:PORT"
    assert bind_problem("127.0.0.1", port) is None  # closed again: free (SO_REUSEADDR, as mitmproxy binds)


def test_a_free_port_and_port_0_are_fine() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert bind_problem("127.0.0.1", port) is None
    assert bind_problem("127.0.0.1", 0) is None


@pytest.mark.parametrize("host", ["192.0.2.1", "no-such-host.invalid"])
def test_an_address_not_on_this_machine_says_why(host: str) -> None:
    problem = bind_problem(host, 18080)
    assert problem is not None and problem.startswith(f"cannot listen on {host}:18080: ")
