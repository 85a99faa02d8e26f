"""Relay-only mode end to end: the app (a real `yunting serve` process) with
YUNTING_ICE_RELAY_ONLY and TURN REST credentials, coturn from deploy/turnserver.conf, and
a participant's aiortc peer that may only use the relay credentials its snapshot carried:
the media reaches the recorder through coturn (both ends' selected candidates are relays),
and every (re)connection brings new credentials."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer

from hearings.adapters.database import Database
from media.ice import ice_configuration
from tests.factories import Trial, make_trial
from tests.integration.field.fieldkit import Coturn, TestCA
from tests.integration.media.streams import make_source
from tests.integration.signaling.serve_kit import Participant, Server, admit_and_start, until
from tests.wiring import settle, wire
from web.app.bootstrap import Services

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SECRET = "relay-test-secret-0123456789abcdef"
RELAY_ADDRESS = "127.0.0.3"  # coturn's relays: the only loopback peers it may reach


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    directory = tmp_path_factory.mktemp("coturn-relay")
    server = Coturn(directory, TestCA(directory / "tls"), SECRET, relay=RELAY_ADDRESS,
                    allowed_peers=(RELAY_ADDRESS,))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_source(tmp_path_factory.mktemp("relay-src") / "source.webm", seconds=20)


@pytest.fixture
async def world(postgres_url: str) -> AsyncIterator[tuple[Services, Trial]]:
    db = Database(postgres_url)
    await db.drop_all()
    await db.create_all()
    services = wire(db)
    try:
        yield services, await make_trial(services)
    finally:
        await settle()
        await db.dispose()


def bundled_as_chromium(sdp: str) -> str:
    """The offer as Chromium writes it with max-bundle: the candidates in the first media
    section only, no end-of-candidates (aiortc's own offer repeats both in every section).

    Through TURN nothing else reaches the server's peer: coturn drops the browser's
    checks until the server has asked for a permission to the browser's relay, so the
    server must read the candidates where Chromium put them."""
    head, *sections = sdp.split("\r\nm=")
    kept = [sections[0], *["\r\n".join(line for line in s.split("\r\n")
                                       if not line.startswith(("a=candidate:",
                                                               "a=end-of-candidates")))
                          for s in sections[1:]]]
    assert sum(s.count("a=candidate:") for s in kept[1:]) == 0 < kept[0].count("a=candidate:")
    return "\r\nm=".join([head, *kept])


class RelaySender:
    """A browser stand-in that may only relay: iceTransportPolicy=relay with the ICE
    servers (and TURN credentials) the app's snapshot gave it."""

    def __init__(self, source: Path, servers: list[dict[str, Any]]) -> None:
        self.player = MediaPlayer(str(source), decode=False)
        self.pc = RTCPeerConnection(ice_configuration(servers, relay_only=True))
        for track in (self.player.audio, self.player.video):
            if track is not None:
                self.pc.addTrack(track)
        for kind, n in (("audio", 8), ("video", 5)):  # the forwarder's slots, as rtc.js asks
            for _ in range(n):
                self.pc.addTransceiver(kind, direction="recvonly")

    def selected_local_candidate(self) -> str:
        transport = self.pc.getTransceivers()[0].sender.transport.transport
        connection = transport._connection  # aioice's Connection: the nominated pair
        pair = connection._nominated.get(1)
        return "" if pair is None else str(pair.local_candidate.type)

    async def close(self) -> None:
        await self.pc.close()


async def test_relay_only_media_reaches_the_recorder_through_coturn(
        world: tuple[Services, Trial], coturn: Coturn, postgres_url: str, source: Path,
        tmp_path: Path) -> None:
    _, trial = world
    hid, pid = trial.hearing.id, trial.people["defendant"].id
    server = Server(tmp_path, tmp_path / "server.log", database_url=postgres_url,
                    turn_urls=",".join(coturn.urls()), turn_secret=SECRET,
                    turn_ttl_seconds="600", ice_relay_only="true",
                    ice_host_addresses="127.0.0.2")
    judge = Participant(trial, "judge", source)
    defendant = Participant(trial, "defendant", source)
    sender: RelaySender | None = None
    try:
        await server.start()
        j = await judge.join(server.url)
        d = await defendant.join(server.url)
        await admit_and_start(j, d, pid)
        servers = d.seen("snapshot")[-1]["ice_servers"]
        turn = [s for s in servers if "username" in s]
        assert len(turn) == 1 and turn[0]["username"].endswith(f":{pid}"), servers
        sender = RelaySender(source, servers)
        await sender.pc.setLocalDescription(await sender.pc.createOffer())
        assert " typ host" not in sender.pc.localDescription.sdp
        offer = bundled_as_chromium(sender.pc.localDescription.sdp)
        ack = await d.call("rtc.offer", {"to": "media", "sdp": offer})
        assert ack == {"ok": True}, ack
        answer = await d.wait("rtc.answer", lambda m: m["from"] == "media")
        # The server peer is relay-only too: its answer offers coturn's relays and nothing else.
        assert " typ relay" in answer["sdp"] and " typ host" not in answer["sdp"], answer["sdp"]
        await sender.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        await until(lambda: sender is not None and sender.pc.connectionState == "connected",
                    30, "connected through coturn")
        assert sender.selected_local_candidate() == "relay"
        segments = tmp_path / "archive" / hid / pid
        await until(lambda: len(list(segments.glob("seg-*.mkv"))) >= 1, 30,
                    "a recorded segment")

        # A reconnection's snapshot carries fresh credentials (a later expiry).
        await defendant.close()
        d = await defendant.join(server.url)
        again = next(s for s in d.seen("snapshot")[-1]["ice_servers"] if "username" in s)
        assert again["username"].endswith(f":{pid}")
        assert int(again["username"].split(":")[0]) >= int(turn[0]["username"].split(":")[0])
        assert again["credential"] and "urls" in again
    finally:
        if sender is not None:
            await sender.close()
        for p in (judge, defendant):
            await p.close()
        await asyncio.to_thread(server.stop)
