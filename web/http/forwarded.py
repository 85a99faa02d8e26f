"""The client behind a reverse proxy: `X-Forwarded-For` and `X-Forwarded-Proto`, believed
only when the peer that sent them is one of the configured proxies
(`YUNTING_TRUSTED_PROXIES`).

Anyone can send these headers. A proxy appends the address it saw to `X-Forwarded-For`,
so the list is read from the right: each address that is itself a trusted proxy passed the
request on, and the first one that is not is the client (everything to its left is what
the client claimed, and is ignored). From any other peer the headers are ignored
altogether and the peer's own address is the client's. Login throttling, join-code
throttling and the audit log all take the address from here (`web.http.security` puts it on
the request before any handler runs).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from aiohttp import web

__all__ = ["Proxies", "client_of", "forwarded_request"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Proxies:
    """The networks whose forwarding headers are believed."""

    def __init__(self, networks: Iterable[str]) -> None:
        self._networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(n.strip(), strict=False) for n in networks)

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, address: str | None) -> bool:
        parsed = _address(address)
        return parsed is not None and any(
            parsed.version == n.version and parsed in n for n in self._networks)


def _address(text: str | None) -> Address | None:
    if not text:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


@lru_cache(maxsize=8)
def _proxies(networks: tuple[str, ...]) -> Proxies:
    return Proxies(networks)


def client_of(peer: str | None, forwarded_for: Iterable[str], proxies: Proxies) -> str:
    """The client's address: the rightmost address of the chain that is no trusted proxy."""
    if not proxies.trusts(peer):
        return peer or "unknown"
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    client = peer or "unknown"
    for hop in reversed([h for h in hops if h]):
        parsed = _address(hop)
        if parsed is None:  # garbage: the last trusted hop is as far as we can tell
            return client
        client = str(parsed)
        if not proxies.trusts(client):
            return client
    return client


def forwarded_request(request: web.Request, trusted: tuple[str, ...]) -> web.Request:
    """`request` with the client's address and scheme, as the trusted proxies tell them."""
    if not trusted:
        return request
    proxies = _proxies(trusted)
    if not proxies.trusts(request.remote):
        return request
    remote = client_of(request.remote, request.headers.getall("X-Forwarded-For", []), proxies)
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
    changes: dict[str, str] = {"remote": remote}
    if proto in ("http", "https"):
        changes["scheme"] = proto
    return request.clone(**changes)  # type: ignore[arg-type]
