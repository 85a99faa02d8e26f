"""ICE configuration: settings → `RTCConfiguration`, TURN REST credentials, and host
candidates for aioice (pinned addresses, a UDP port range, an advertised address).

aiortc falls back to a public Google STUN server when `iceServers` is None, so the
configuration built here always carries an explicit list (possibly empty).

TURN credentials are never static: `TurnCredentials.issue` mints the short-lived
username/password pair of the "TURN REST API" (draft-uberti-behave-turn-rest-00), which
coturn checks with `use-auth-secret`: username `<expiry unix time>:<user>`, password
base64(HMAC-SHA1(shared secret, username)). coturn refuses it once the expiry has passed.

aioice gathers host candidates on every non-loopback interface, each on a random port,
with no filter. Its seams, replaced here and nowhere else: the module function
`aioice.ice.get_host_addresses` (which addresses) and, only when a port range or an
advertised address is configured, `aioice.ice.Connection.get_component_candidates`
(aioice 0.13 binds `(address, 0)` inside it and has no port-range option; the
replacement binds host sockets inside the range, announces the advertised address, and
leaves server-reflexive and relayed candidates to aioice's own code).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import random
import re
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import aioice.ice
import aioice.turn
from aioice.candidate import Candidate, candidate_foundation, candidate_priority
from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCIceTransportPolicy

from media.errors import IceConfigurationError

__all__ = [
    "HostAddresses", "TurnCredentials", "ice_configuration", "ice_server", "pinned_host_addresses",
]

_SCHEMES = ("stun:", "turn:", "turns:")
_ORIGINAL_GET_HOST_ADDRESSES: Callable[[bool, bool], list[str]] = aioice.ice.get_host_addresses
_ORIGINAL_COMPONENT_CANDIDATES = aioice.ice.Connection.get_component_candidates
_USER_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")


@dataclass(frozen=True)
class TurnCredentials:
    """The TURN servers and the secret shared with coturn (`static-auth-secret`)."""

    urls: tuple[str, ...]
    secret: str = field(repr=False)
    ttl_s: float = 3600.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "urls", tuple(self.urls))
        if not self.urls or not all(u.startswith(("turn:", "turns:")) for u in self.urls):
            raise IceConfigurationError(
                f"TURN URLs must start with turn: or turns: (got {list(self.urls)!r})")
        if len(self.secret) < 16:
            raise IceConfigurationError("the TURN secret must be at least 16 characters")
        if not 60 <= self.ttl_s <= 7 * 86400:
            raise IceConfigurationError(
                f"TURN credential lifetime must be 60 s to 7 days (got {self.ttl_s})")

    def issue(self, user: str, *, now: float | None = None) -> dict[str, Any]:
        """A fresh `{"urls", "username", "credential"}` for `user`, valid `ttl_s` from now.

        The user part is reduced to characters that cannot break coturn's
        `expiry:user` parsing (a ':' in a staff identity becomes '-').
        """
        expiry = int((time.time() if now is None else now) + self.ttl_s)
        username = f"{expiry}:{_USER_UNSAFE.sub('-', user)[:100] or 'anonymous'}"
        return {"urls": list(self.urls), "username": username,
                "credential": turn_password(self.secret, username)}


def turn_password(secret: str, username: str) -> str:
    """coturn's `use-auth-secret` password: base64(HMAC-SHA1(secret, username))."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def ice_server(entry: Mapping[str, Any]) -> RTCIceServer:
    """One `{"urls", "username"?, "credential"?}` mapping → `RTCIceServer`, checked."""
    urls = entry.get("urls")
    url_list = [urls] if isinstance(urls, str) else list(urls or [])
    if not url_list or not all(isinstance(u, str) for u in url_list):
        raise IceConfigurationError(f"'urls' must be a URL or a list of URLs (got {urls!r})")
    for url in url_list:
        if not url.startswith(_SCHEMES):
            raise IceConfigurationError(
                f"ICE URL must start with stun:, turn: or turns: (got {url!r})"
            )
        if url.startswith("turn") and not (entry.get("username") and entry.get("credential")):
            raise IceConfigurationError(f"TURN server {url!r} needs 'username' and 'credential'")
    unknown = set(entry) - {"urls", "username", "credential"}
    if unknown:
        raise IceConfigurationError(
            f"unknown ICE server keys {sorted(unknown)} (got {dict(entry)!r})"
        )
    return RTCIceServer(
        urls=url_list, username=entry.get("username"), credential=entry.get("credential")
    )


def ice_configuration(
    servers: Iterable[Mapping[str, Any]] = (), *, relay_only: bool = False,
    turn: TurnCredentials | None = None, user: str = "server",
) -> RTCConfiguration:
    """Build the peer configuration; never leaves `iceServers` as None.

    `turn` adds a TURN server with credentials issued now for `user`.
    `relay_only` maps to aiortc's `iceTransportPolicy=RELAY` (aioice then gathers no host
    or server-reflexive candidate), which only connects when a TURN server is configured.
    Note aiortc uses only the first STUN and the first TURN server of the list (and of
    a server's URLs), so list the UDP URL first.
    """
    entries = [*servers, *([turn.issue(user)] if turn is not None else [])]
    ice_servers = [ice_server(entry) for entry in entries]
    if relay_only and not any(
        url.startswith("turn") for s in ice_servers for url in _urls(s)
    ):
        raise IceConfigurationError("relay-only ICE policy needs at least one TURN server")
    policy = RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL
    return RTCConfiguration(iceServers=ice_servers, iceTransportPolicy=policy)


def _urls(server: RTCIceServer) -> list[str]:
    return [server.urls] if isinstance(server.urls, str) else list(server.urls)


class HostAddresses:
    """Replaces aioice's host-address discovery with a fixed list (the "host addresses" setting),
    and optionally binds host candidates inside a UDP port range (`ports`, inclusive) and
    announces `advertised` (the public address a NAT or container maps to) instead of the
    bound address.

    Process-wide by nature (aioice reads module globals); `install()` is idempotent and
    `uninstall()` restores aioice's own functions. An empty list means aioice's default.
    """

    def __init__(self, addresses: Sequence[str], *, ports: tuple[int, int] | None = None,
                 advertised: str = "") -> None:
        for address in (*addresses, *([advertised] if advertised else [])):
            try:
                ipaddress.ip_address(address)
            except ValueError as exc:
                message = f"host address must be an IP (got {address!r})"
                raise IceConfigurationError(message) from exc
        if ports is not None and not 1024 <= ports[0] <= ports[1] <= 65535:
            raise IceConfigurationError(f"UDP port range must lie in 1024-65535 (got {ports})")
        self.addresses = tuple(addresses)
        self.ports = ports
        self.advertised = advertised

    def get_host_addresses(self, use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [
            a for a in self.addresses
            if (use_ipv4 and ipaddress.ip_address(a).version == 4)
            or (use_ipv6 and ipaddress.ip_address(a).version == 6)
        ]

    def install(self) -> None:
        self.uninstall()
        if self.addresses:
            aioice.ice.get_host_addresses = self.get_host_addresses
        if self.ports is not None or self.advertised:
            aioice.ice.Connection.get_component_candidates = (  # type: ignore[method-assign]
                _component_candidates(self.ports, self.advertised))

    @staticmethod
    def uninstall() -> None:
        aioice.ice.get_host_addresses = _ORIGINAL_GET_HOST_ADDRESSES  # type: ignore[assignment]
        aioice.ice.Connection.get_component_candidates = (  # type: ignore[method-assign]
            _ORIGINAL_COMPONENT_CANDIDATES)


def _component_candidates(ports: tuple[int, int] | None, advertised: str) -> Callable[..., Any]:
    """aioice's `get_component_candidates` with host sockets bound inside `ports`."""

    async def get_component_candidates(
        self: aioice.ice.Connection, component: int, addresses: list[str], timeout: int = 5  # noqa: ASYNC109 (aioice's signature)
    ) -> list[Candidate]:
        # aioice's own code for the relayed candidate (no host address: no host socket).
        candidates: list[Candidate] = await _ORIGINAL_COMPONENT_CANDIDATES(
            self, component, [], timeout)
        hosts: list[Candidate] = []
        protocols: list[aioice.ice.StunProtocol] = []
        for address in addresses:
            protocol = await _bind(self, address, ports)
            if protocol is None:
                continue
            bound = protocol.transport.get_extra_info("sockname")
            shown = address
            if advertised and (ipaddress.ip_address(advertised).version
                               == ipaddress.ip_address(address).version):
                shown = advertised
            protocol.local_candidate = Candidate(
                foundation=candidate_foundation("host", "udp", shown), component=component,
                transport="udp", priority=candidate_priority(component, "host"),
                host=shown, port=bound[1], type="host")
            hosts.append(protocol.local_candidate)
            protocols.append(protocol)
        self._protocols += protocols
        reflexive = []
        if self.stun_server:  # server-reflexive candidates: aioice's own query
            reflexive = [
                asyncio.create_task(aioice.ice.server_reflexive_candidate(p, self.stun_server))
                for p in protocols if ipaddress.ip_address(p.local_candidate.host).version == 4]
        if reflexive:
            done, pending = await asyncio.wait(reflexive, timeout=timeout)
            candidates += [t.result()[0] for t in done if t.exception() is None]
            for task in pending:
                task.cancel()
        return hosts + candidates

    return get_component_candidates


async def _bind(connection: aioice.ice.Connection, address: str,
                ports: tuple[int, int] | None) -> aioice.ice.StunProtocol | None:
    """A UDP socket on `address`, on a free port of the range (random order) or any port."""
    loop = asyncio.get_running_loop()
    choices = [0] if ports is None else random.sample(range(ports[0], ports[1] + 1),
                                                       ports[1] - ports[0] + 1)
    for port in choices:
        try:
            transport, protocol = await loop.create_datagram_endpoint(
                lambda: aioice.ice.StunProtocol(connection), local_addr=(address, port))
        except OSError:
            continue
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, aioice.turn.UDP_SOCKET_BUFFER_SIZE)
        return protocol
    return None


@contextmanager
def pinned_host_addresses(addresses: Sequence[str], *, ports: tuple[int, int] | None = None,
                          advertised: str = "") -> Iterator[HostAddresses]:
    """Pin host candidates for the duration of a block (tests, benchmarks)."""
    previous = aioice.ice.get_host_addresses
    previous_candidates = aioice.ice.Connection.get_component_candidates
    pin = HostAddresses(addresses, ports=ports, advertised=advertised)
    pin.install()
    try:
        yield pin
    finally:
        aioice.ice.get_host_addresses = previous
        aioice.ice.Connection.get_component_candidates = (  # type: ignore[method-assign]
            previous_candidates)
