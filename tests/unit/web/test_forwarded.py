"""X-Forwarded-For is believed only from a configured proxy; the client is the rightmost
address of the chain that is no trusted proxy."""

from __future__ import annotations

import pytest

from web.http.forwarded import Proxies, client_of

PROXIES = Proxies(["127.0.0.1", "10.0.0.0/8", "fd00::/8"])


@pytest.mark.parametrize(("peer", "headers", "client"), [
    # an untrusted peer's headers are ignored, whatever they say
    ("203.0.113.9", ["1.2.3.4"], "203.0.113.9"),
    ("203.0.113.9", ["127.0.0.1"], "203.0.113.9"),
    # a trusted proxy: the address it appended
    ("127.0.0.1", ["198.51.100.7"], "198.51.100.7"),
    # a client that sends its own header cannot choose its address
    ("127.0.0.1", ["6.6.6.6, 198.51.100.7"], "198.51.100.7"),
    ("127.0.0.1", ["6.6.6.6", "198.51.100.7"], "198.51.100.7"),
    # a chain of trusted proxies is walked through
    ("127.0.0.1", ["6.6.6.6, 198.51.100.7, 10.1.2.3"], "198.51.100.7"),
    # no header: the proxy itself
    ("127.0.0.1", [], "127.0.0.1"),
    # garbage stops the walk at the last trusted hop
    ("127.0.0.1", ["198.51.100.7, bogus"], "127.0.0.1"),
    ("127.0.0.1", ["2001:db8::5"], "2001:db8::5"),
    ("127.0.0.1", ["[2001:db8::5]:4711"], "2001:db8::5"),
    ("127.0.0.1", ["198.51.100.7:4711"], "198.51.100.7"),
    ("::ffff:127.0.0.1", ["198.51.100.7"], "198.51.100.7"),
])
def test_client_address(peer: str, headers: list[str], client: str) -> None:
    assert client_of(peer, headers, PROXIES) == client


def test_no_proxies_trust_nobody() -> None:
    assert client_of("127.0.0.1", ["1.2.3.4"], Proxies([])) == "127.0.0.1"
    assert not Proxies([])
