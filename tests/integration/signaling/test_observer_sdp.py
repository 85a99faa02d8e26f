"""An observer's forged offers stop at signaling: every path to the media peer, every time.

The SDP check reads what the media peer (aiortc) would read; an offer two peers could
read differently is refused as `invalid_message`, one that publishes as `forbidden`,
and in both cases the media callable is never reached — on the first offer, on a second
one (renegotiation) and on an ICE restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hearings.domain.commands import InviteParticipant, IssueJoinLink
from hearings.domain.participants import Role
from tests.integration.signaling.conftest import Client, Room_, in_session

FIXTURES = Path(__file__).parents[2] / "unit/signaling/sdp"
RECVONLY = (FIXTURES / "chromium_recvonly.sdp").read_bytes().decode()
OFFER = (FIXTURES / "chromium_offer.sdp").read_bytes().decode()
ANSWER = (FIXTURES / "chromium_answer.sdp").read_bytes().decode()
AUDIO_RECVONLY = "a=recvonly\r\na=rtcp-mux\r\n"  # the audio section's (the first) direction

FORGED = {
    "recvonly-then-sendrecv": (RECVONLY.replace(AUDIO_RECVONLY,
                                                "a=recvonly\r\na=sendrecv\r\na=rtcp-mux\r\n", 1),
                               "invalid_message", "SDP media section 1 (audio) has a second "
                               "direction a=sendrecv after a=recvonly: peers disagree on which "
                               "one counts"),
    "sendrecv-with-a-value": (RECVONLY.replace(AUDIO_RECVONLY,
                                               "a=recvonly\r\na=sendrecv:1\r\na=rtcp-mux\r\n", 1),
                              "invalid_message", "SDP direction must be the bare attribute "
                              "a=sendrecv (got 'a=sendrecv:1')"),
    "hidden-behind-a-line-separator": (
        RECVONLY.replace(AUDIO_RECVONLY, "a=recvonly\r\na=rtcp-mux\u2028a=sendrecv\r\n", 1),
        "invalid_message", "SDP line 22 has a control character or line separator "
        "('\\u2028')"),
    "port-zero-sendrecv": (RECVONLY.replace("m=audio 9 ", "m=audio 0 ").replace(
        AUDIO_RECVONLY, "a=sendrecv\r\na=rtcp-mux\r\n", 1), "forbidden",
        "an observer may only receive: every media section must be recvonly or inactive"),
    "plain-sendrecv": (OFFER, "forbidden",
                       "an observer may only receive: every media section must be recvonly "
                       "or inactive"),
}


async def _observer(room: Room_) -> Client:
    t = room.trial
    p = await room.services.scheduling.invite(t.clerk_actor, InviteParticipant(
        t.hearing.id, "旁听群众", Role.OBSERVER))
    link = await room.services.scheduling.issue_join_link(t.clerk_actor,
                                                          IssueJoinLink(t.hearing.id, p.id))
    c = room.client("observer")
    await c.connect({"token": link.secret, "hearing_id": t.hearing.id})
    await c.wait("snapshot")
    return c


@pytest.fixture
async def watched(room_factory) -> tuple[Room_, Client, list[str]]:  # type: ignore[no-untyped-def]
    offers: list[str] = []

    async def media_answer(hearing_id: str, participant_id: str, sdp: str, *,
                           ice_restart: bool) -> str:
        offers.append(sdp)
        return ANSWER

    room: Room_ = await room_factory(media_answer=media_answer)
    await in_session(room, "lawyer")
    return room, await _observer(room), offers


@pytest.mark.parametrize("name", list(FORGED))
async def test_a_forged_offer_never_reaches_the_media_peer(
        watched: tuple[Room_, Client, list[str]], name: str) -> None:
    _room, watcher, offers = watched
    sdp, code, message = FORGED[name]
    for payload in ({"to": "media", "sdp": sdp},
                    {"to": "media", "sdp": sdp, "ice_restart": True}):
        ack = await watcher.call("rtc.offer", payload)
        assert ack == {"ok": False, "error": {"event": "rtc.offer", "code": code,
                                              "message": message}}
        assert watcher.seen("error")[-1]["code"] == code
    assert offers == []
    assert watcher.sio.connected


async def test_a_second_offer_is_checked_like_the_first(
        watched: tuple[Room_, Client, list[str]]) -> None:
    """Renegotiation: an honest receive-only offer first, then a forged one."""
    _room, watcher, offers = watched
    assert (await watcher.call("rtc.offer", {"to": "media", "sdp": RECVONLY}))["ok"]
    await watcher.wait("rtc.answer")
    sdp, code, _message = FORGED["recvonly-then-sendrecv"]
    ack: Any = await watcher.call("rtc.offer", {"to": "media", "sdp": sdp,
                                                "ice_restart": True})
    assert ack["error"]["code"] == code
    assert offers == [RECVONLY]
