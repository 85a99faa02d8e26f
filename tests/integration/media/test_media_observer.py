"""An observer never publishes, whatever its offer says: the server's media peer records nothing.

A real aiortc client plays a file's Opus (and VP8) to the server peer as a public
observer would if it forged its offer: `a=recvonly` then `a=sendrecv` in the audio
section (aiortc keeps the last), or plainly `sendrecv`. Signaling refuses both; this
is the media peer's own rule, for an offer that slips past signaling.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from media.errors import NegotiationError
from media.participant import ParticipantInfo
from media.peers import MediaService, MediaSettings
from media.recorder import RecordingEvent
from tests.integration.media.streams import Sender, count_frames

OBSERVER = ParticipantInfo("h1", "observer-1", role="observer", display_name="旁听群众")
JUDGE = ParticipantInfo("h1", "judge-1", role="judge", display_name="审判长")


def _recvonly_then_sendrecv(offer: str) -> str:
    assert offer.count("a=sendrecv\r\n") >= 1, offer
    return offer.replace("a=sendrecv\r\n", "a=recvonly\r\na=sendrecv\r\n")


@pytest.mark.parametrize("doctor", [_recvonly_then_sendrecv, lambda offer: offer],
                         ids=["recvonly-then-sendrecv", "plain-sendrecv"])
async def test_observer_audio_is_never_recorded(tmp_path: Path, source_webm: Path, doctor,  # type: ignore[no-untyped-def]
                                                caplog: pytest.LogCaptureFixture) -> None:
    events: list[RecordingEvent] = []
    settings = MediaSettings(archive_dir=tmp_path, host_addresses=("127.0.0.1",))
    async with MediaService(settings, events.append) as service:
        service.start("h1")
        judge = Sender(source_webm)
        await judge.accept(await service.answer(JUDGE, await judge.offer()))
        watcher = Sender(source_webm, video=False)
        offer = doctor(await watcher.offer())
        refusal: NegotiationError | None = None
        with caplog.at_level(logging.WARNING, logger="media.peers"):
            try:
                answer = await service.answer(OBSERVER, offer)
            except NegotiationError as exc:
                refusal = exc
            else:  # today's behaviour: connected and recorded — let it run to show it
                await watcher.accept(answer)
        await asyncio.sleep(3)
        states = service.states("h1")
        await service.stop("h1")
        await watcher.close()
        await judge.close()
    observer_dir = tmp_path / "h1" / "observer-1"
    assert not observer_dir.exists() or not any(observer_dir.iterdir()), \
        sorted(observer_dir.iterdir())
    assert "observer-1" not in states
    assert not any(e.participant_id == "observer-1" for e in events)
    assert refusal is not None
    assert str(refusal) == ("a participant whose role is 'observer' does not publish: the "
                            "server's media peer takes nothing from it")
    assert any("observer-1" in r.getMessage() and "audio" in r.getMessage()
               for r in caplog.records if r.levelno == logging.WARNING), caplog.records
    # The hearing's own recording is untouched.
    assert states == {"judge-1": "recording"}
    assert count_frames(tmp_path / "h1" / "judge-1" / "seg-00001.mkv")["audio"] > 50


async def test_an_honest_observer_offer_is_answered_to_receive_only(tmp_path: Path) -> None:
    """recvonly sections: the observer receives what the forwarder sends (issue 15), and
    the server peer takes nothing from it — no receiver runs, no recorder, no files."""
    from aiortc import RTCPeerConnection

    from media.ice import ice_configuration

    client = RTCPeerConnection(ice_configuration([]))
    client.addTransceiver("audio", direction="recvonly")
    await client.setLocalDescription(await client.createOffer())
    settings = MediaSettings(archive_dir=tmp_path, host_addresses=("127.0.0.1",))
    try:
        async with MediaService(settings, lambda event: None) as service:
            answer = await service.answer(OBSERVER, client.localDescription.sdp)
            assert "a=sendonly" in answer and "a=recvonly" not in answer
            peer = service.hearing("h1").peers["observer-1"]
            assert peer.recorder is None and peer.publishes == frozenset()
            assert service.states("h1") == {}
    finally:
        await client.close()
    assert not (tmp_path / "h1" / "observer-1").exists()
