"""ICE configuration: settings → `RTCConfiguration`, and host-address pinning for aioice.

aiortc falls back to a public Google STUN server when `iceServers` is None, so the
configuration built here always carries an explicit list (possibly empty).
aioice gathers host candidates on every non-loopback interface with no filter; the
only seam is the module function `aioice.ice.get_host_addresses`, replaced here and
nowhere else.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCIceTransportPolicy

from media.errors import IceConfigurationError

__all__ = ["HostAddresses", "ice_configuration", "ice_server", "pinned_host_addresses"]

_SCHEMES = ("stun:", "turn:", "turns:")
_ORIGINAL_GET_HOST_ADDRESSES: Callable[[bool, bool], list[str]] = aioice.ice.get_host_addresses


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
    servers: Iterable[Mapping[str, Any]] = (), *, relay_only: bool = False
) -> RTCConfiguration:
    """Build the peer configuration; never leaves `iceServers` as None.

    `relay_only` maps to aiortc's `iceTransportPolicy=RELAY` (aioice then gathers no host
    or server-reflexive candidate), which only connects when a TURN server is configured.
    Note aiortc uses only the first STUN and the first TURN server of the list.
    """
    ice_servers = [ice_server(entry) for entry in servers]
    if relay_only and not any(
        url.startswith("turn") for s in ice_servers for url in _urls(s)
    ):
        raise IceConfigurationError("relay-only ICE policy needs at least one TURN server")
    policy = RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL
    return RTCConfiguration(iceServers=ice_servers, iceTransportPolicy=policy)


def _urls(server: RTCIceServer) -> list[str]:
    return [server.urls] if isinstance(server.urls, str) else list(server.urls)


class HostAddresses:
    """Replaces aioice's host-address discovery with a fixed list (the "host addresses" setting).

    Process-wide by nature (aioice reads a module global); `install()` is idempotent and
    `uninstall()` restores aioice's own function. An empty list means aioice's default.
    """

    def __init__(self, addresses: Sequence[str]) -> None:
        for address in addresses:
            try:
                ipaddress.ip_address(address)
            except ValueError as exc:
                message = f"host address must be an IP (got {address!r})"
                raise IceConfigurationError(message) from exc
        self.addresses = tuple(addresses)

    def get_host_addresses(self, use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [
            a for a in self.addresses
            if (use_ipv4 and ipaddress.ip_address(a).version == 4)
            or (use_ipv6 and ipaddress.ip_address(a).version == 6)
        ]

    def install(self) -> None:
        if self.addresses:
            aioice.ice.get_host_addresses = self.get_host_addresses
        else:
            self.uninstall()

    @staticmethod
    def uninstall() -> None:
        aioice.ice.get_host_addresses = _ORIGINAL_GET_HOST_ADDRESSES  # type: ignore[assignment]


@contextmanager
def pinned_host_addresses(addresses: Sequence[str]) -> Iterator[HostAddresses]:
    """Pin host candidates for the duration of a block (tests, benchmarks)."""
    previous = aioice.ice.get_host_addresses
    pin = HostAddresses(addresses)
    pin.install()
    try:
        yield pin
    finally:
        aioice.ice.get_host_addresses = previous
