"""The server's media peer gathers host candidates on the configured UDP port range and
announces the configured (public) address — aioice alone binds random ports and shows the
bound address."""

from __future__ import annotations

import asyncio
import socket

import aioice.ice
import pytest
from aiortc import RTCPeerConnection

from media.errors import IceConfigurationError
from media.ice import HostAddresses, ice_configuration, pinned_host_addresses


def _free_range(size: int) -> tuple[int, int]:
    for start in range(46000, 60000, 97):
        socks = []
        try:
            for port in range(start, start + size):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
        return start, start + size - 1
    raise RuntimeError("no free UDP range")


def _host_candidates(sdp: str) -> list[tuple[str, int]]:
    found = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:") and " typ host" in line:
            parts = line.split()
            found.append((parts[4], int(parts[5])))
    return found


async def test_candidates_use_the_port_range_and_media_connects() -> None:
    low, high = _free_range(6)
    original = aioice.ice.Connection.get_component_candidates
    with pinned_host_addresses(["127.0.0.1"], ports=(low, high)):
        ranged = RTCPeerConnection(ice_configuration([]))
        other = RTCPeerConnection(ice_configuration([]))
        try:
            other.createDataChannel("probe")
            await other.setLocalDescription(await other.createOffer())
            await ranged.setRemoteDescription(other.localDescription)
            await ranged.setLocalDescription(await ranged.createAnswer())
            hosts = _host_candidates(ranged.localDescription.sdp)
            assert hosts and all(a == "127.0.0.1" and low <= p <= high for a, p in hosts)
            connected = asyncio.Event()

            @ranged.on("connectionstatechange")
            def changed() -> None:
                if ranged.connectionState == "connected":
                    connected.set()

            await other.setRemoteDescription(ranged.localDescription)
            async with asyncio.timeout(10):
                await connected.wait()
        finally:
            await ranged.close()
            await other.close()
    assert aioice.ice.Connection.get_component_candidates is original


async def test_the_advertised_address_is_announced() -> None:
    low, high = _free_range(3)
    with pinned_host_addresses(["127.0.0.1"], ports=(low, high), advertised="203.0.113.9"):
        pc = RTCPeerConnection(ice_configuration([]))
        try:
            pc.addTransceiver("audio", direction="recvonly")
            await pc.setLocalDescription(await pc.createOffer())
            hosts = _host_candidates(pc.localDescription.sdp)
            assert hosts and all(a == "203.0.113.9" and low <= p <= high for a, p in hosts)
        finally:
            await pc.close()


def test_a_bad_range_is_refused() -> None:
    with pytest.raises(IceConfigurationError):
        HostAddresses(["127.0.0.1"], ports=(60000, 50000))
    with pytest.raises(IceConfigurationError):
        HostAddresses(["127.0.0.1"], advertised="court.example")


async def test_a_full_range_leaves_no_host_candidate() -> None:
    low, high = _free_range(2)
    taken = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    try:
        for s, port in zip(taken, (low, high), strict=True):
            s.bind(("127.0.0.1", port))
        with pinned_host_addresses(["127.0.0.1"], ports=(low, high)):
            pc = RTCPeerConnection(ice_configuration([]))
            try:
                pc.addTransceiver("audio", direction="recvonly")
                await pc.setLocalDescription(await pc.createOffer())
                assert _host_candidates(pc.localDescription.sdp) == []
            finally:
                await pc.close()
    finally:
        for s in taken:
            s.close()

