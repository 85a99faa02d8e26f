"""coturn from deploy/turnserver.conf against the app's TURN REST credentials: a fresh
credential allocates (UDP and TLS), one past its expiry is refused, a forged one is
refused, and no credential relays into the court's own networks (Redis, PostgreSQL,
private, link-local, multicast) — only to the media peers' own address."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aioice.stun
import aioice.turn
import pytest

from media.ice import TurnCredentials
from tests.integration.field.fieldkit import ROOT, Coturn, TestCA

SECRET = "field-test-secret-0123456789abcdef"
MEDIA_ADDRESS = "127.0.0.2"  # the server's media peer: the one loopback peer allowed
_USERS = itertools.count()


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    directory = tmp_path_factory.mktemp("coturn")
    server = Coturn(directory, TestCA(directory / "tls"), SECRET,
                    allowed_peers=(MEDIA_ADDRESS,))
    server.start()
    try:
        yield server
    finally:
        server.stop()


class _Sink(asyncio.DatagramProtocol):
    pass


async def _allocate(coturn: Coturn, credential: dict[str, Any], *, tls: bool = False
                    ) -> tuple[aioice.turn.TurnTransport, Any]:
    if tls:
        return await aioice.turn.create_turn_endpoint(
            _Sink, server_addr=(coturn.listen, coturn.tls_port),
            username=credential["username"], password=credential["credential"],
            ssl=coturn.ca.client_context(), transport="tcp")
    return await aioice.turn.create_turn_endpoint(
        _Sink, server_addr=(coturn.listen, coturn.port),
        username=credential["username"], password=credential["credential"])


@pytest.fixture
async def allocation(coturn: Coturn) -> AsyncIterator[aioice.turn.TurnClientUdpProtocol]:
    """A TURN client's allocation, driven message by message (Allocate, then ChannelBind:
    coturn installs the permission for the peer, or refuses it)."""
    credential = TurnCredentials(coturn.urls(), SECRET, 3600).issue(f"p-{next(_USERS)}")
    async with _client(coturn, credential) as client:
        await client.connect()
        yield client


@contextlib.asynccontextmanager
async def _client(coturn: Coturn, credential: dict[str, Any]
                  ) -> AsyncIterator[aioice.turn.TurnClientUdpProtocol]:
    server = (coturn.listen, coturn.port)
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_datagram_endpoint(
        lambda: aioice.turn.TurnClientUdpProtocol(
            server, username=credential["username"], password=credential["credential"],
            lifetime=600, channel_refresh_time=300), remote_addr=server)
    try:
        yield client
    finally:
        if client.refresh_task is not None:
            await client.delete()
        transport.close()


async def test_a_leaked_credential_has_a_quota_of_allocations(coturn: Coturn) -> None:
    credential = TurnCredentials(coturn.urls(), SECRET, 3600).issue(f"p-{next(_USERS)}")
    quota = int(next(line.split("=")[1] for line in
                     (ROOT / "deploy" / "turnserver.conf").read_text().splitlines()
                     if line.startswith("user-quota=")))
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(quota):
            await (await stack.enter_async_context(_client(coturn, credential))).connect()
        extra = await stack.enter_async_context(_client(coturn, credential))
        with pytest.raises(aioice.stun.TransactionFailed) as refused:
            await extra.connect()
        assert refused.value.response.error_code == 486  # Allocation Quota Reached


async def test_a_fresh_credential_allocates_a_relay_over_udp_and_tls(coturn: Coturn) -> None:
    turn = TurnCredentials(coturn.urls(), SECRET, 3600)
    for tls in (False, True):
        transport, _ = await _allocate(coturn, turn.issue("participant-1"), tls=tls)
        try:
            relayed = transport.get_extra_info("sockname")
            low, high = coturn.relay_ports
            assert relayed[0] == coturn.relay and low <= relayed[1] <= high, relayed
        finally:
            transport.close()
            await asyncio.sleep(0.05)


async def test_a_credential_past_its_expiry_is_refused(coturn: Coturn) -> None:
    turn = TurnCredentials(coturn.urls(), SECRET, 600)
    stale = turn.issue("participant-2", now=time.time() - 601)  # expired a second ago
    with pytest.raises(aioice.stun.TransactionFailed) as refused:
        await _allocate(coturn, stale)
    assert refused.value.response.error_code == 401
    # the same user with a live credential is fine
    transport, _ = await _allocate(coturn, turn.issue("participant-2"))
    transport.close()
    await asyncio.sleep(0.05)


async def test_a_credential_not_signed_with_the_secret_is_refused(coturn: Coturn) -> None:
    forged = TurnCredentials(coturn.urls(), "not-the-court-secret-at-all", 3600).issue("x")
    with pytest.raises(aioice.stun.TransactionFailed) as refused:
        await _allocate(coturn, forged)
    assert refused.value.response.error_code == 401


@pytest.mark.parametrize("peer", [
    ("127.0.0.1", 6379),        # Redis
    ("127.0.0.1", 5432),        # PostgreSQL
    ("127.0.0.1", 8080),        # the app itself
    ("10.0.0.5", 5432),         # the court's private network
    ("172.17.0.2", 6379),       # a container network
    ("192.168.1.1", 80),
    ("169.254.169.254", 80),    # cloud metadata (link-local)
    ("100.64.0.1", 80),         # CGNAT
    ("0.0.0.0", 80),
    ("224.0.0.251", 5353),      # multicast
    ("255.255.255.255", 9),     # broadcast
])
async def test_no_relay_into_the_courts_own_networks(
        allocation: aioice.turn.TurnClientUdpProtocol, peer: tuple[str, int]) -> None:
    with pytest.raises(aioice.stun.TransactionFailed) as refused:
        await allocation.channel_bind(0x4000, peer)
    assert refused.value.response.error_code == 403, refused.value.response


async def test_the_media_peers_own_address_is_allowed(
        allocation: aioice.turn.TurnClientUdpProtocol) -> None:
    await allocation.channel_bind(0x4000, (MEDIA_ADDRESS, 40000))


def test_the_deployment_config_is_what_the_test_ran(coturn: Coturn) -> None:
    """The policy lines are read from deploy/turnserver.conf, not written by the test."""
    command = coturn.command()
    assert command[1:3] == ["-c", str(Path(__file__).resolve().parents[3] / "deploy"
                                      / "turnserver.conf")]
    lines = [line.strip() for line in Path(command[2]).read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    for wanted in ("use-auth-secret", "no-multicast-peers", "no-tcp-relay", "no-cli",
                   "denied-peer-ip=127.0.0.0-127.255.255.255",
                   "denied-peer-ip=10.0.0.0-10.255.255.255"):
        assert wanted in lines, wanted
    assert any(line.startswith("user-quota=") for line in lines)
    # the secret is the deployment's (command line from .env), never in the shared file
    assert not any(line.startswith(("static-auth-secret", "user=")) for line in lines)
