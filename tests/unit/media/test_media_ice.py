"""ICE configuration: explicit server lists, relay-only policy, loopback-pinned candidates."""

from __future__ import annotations

import re

import aioice.ice
import pytest
from aiortc import RTCPeerConnection
from aiortc.rtcconfiguration import RTCIceTransportPolicy

from media.errors import IceConfigurationError, MediaError
from media.ice import HostAddresses, ice_configuration, pinned_host_addresses


def test_empty_list_stays_an_empty_list_never_none() -> None:
    config = ice_configuration([])
    assert config.iceServers == []
    assert config.iceTransportPolicy == RTCIceTransportPolicy.ALL


def test_servers_and_relay_only() -> None:
    config = ice_configuration(
        [{"urls": "stun:stun.court.example:3478"},
         {"urls": ["turn:turn.court.example:3478?transport=udp"], "username": "u", "credential": "c"}],
        relay_only=True,
    )
    assert config.iceTransportPolicy == RTCIceTransportPolicy.RELAY
    assert config.iceServers is not None and config.iceServers[1].username == "u"


@pytest.mark.parametrize(
    ("servers", "relay_only", "message"),
    [
        ([{"urls": "http://x"}], False, "must start with stun:"),
        ([{"urls": "turn:x"}], False, "needs 'username' and 'credential'"),
        ([{"urls": "stun:x", "password": "p"}], False, "unknown ICE server keys"),
        ([{"urls": []}], False, "'urls' must be"),
        ([{"urls": "stun:x"}], True, "relay-only ICE policy needs"),
    ],
)
def test_bad_servers_are_refused_with_a_clear_message(servers: list[dict[str, object]], relay_only: bool, message: str) -> None:
    with pytest.raises(IceConfigurationError, match=message) as caught:
        ice_configuration(servers, relay_only=relay_only)
    assert isinstance(caught.value, MediaError)


def test_host_addresses_are_validated_and_filtered_by_family() -> None:
    with pytest.raises(IceConfigurationError):
        HostAddresses(["not-an-ip"])
    pin = HostAddresses(["127.0.0.1", "::1"])
    assert pin.get_host_addresses(True, False) == ["127.0.0.1"]
    assert pin.get_host_addresses(False, True) == ["::1"]


def test_uninstall_restores_aioice() -> None:
    original = aioice.ice.get_host_addresses
    pin = HostAddresses(["127.0.0.1"])
    pin.install()
    pin.install()
    assert aioice.ice.get_host_addresses == pin.get_host_addresses
    HostAddresses.uninstall()
    assert aioice.ice.get_host_addresses is original


async def test_offer_carries_only_loopback_candidates() -> None:
    original = aioice.ice.get_host_addresses
    with pinned_host_addresses(["127.0.0.1"]):
        pc = RTCPeerConnection(ice_configuration([]))
        pc.addTransceiver("audio")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
    assert aioice.ice.get_host_addresses is original
    addresses = re.findall(r"^a=candidate:\S+ \d \S+ \d+ (\S+) \d+ typ (\S+)", sdp, re.M)
    assert addresses, sdp
    assert {a for a, _ in addresses} == {"127.0.0.1"}
    assert {t for _, t in addresses} == {"host"}
