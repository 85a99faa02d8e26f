"""WebRTC negotiation: mesh relay, the server's media peer, ICE restart, observers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hearings.domain.commands import InviteParticipant, IssueJoinLink
from hearings.domain.participants import Role
from tests.integration.signaling.conftest import Client, Room_, in_session

FIXTURES = Path(__file__).parents[2] / "unit/signaling/sdp"
OFFER = (FIXTURES / "chromium_offer.sdp").read_text()
ANSWER = (FIXTURES / "chromium_answer.sdp").read_text()
RECVONLY = (FIXTURES / "chromium_recvonly.sdp").read_text()
FIREFOX = (FIXTURES / "firefox99_offer.sdp").read_text()
CANDIDATE = "candidate:2960668144 1 udp 2122194687 127.0.0.1 52022 typ host generation 0"


async def test_mesh_offer_answer_candidates(room: Room_) -> None:
    judge, people = await in_session(room, "lawyer")
    lawyer, ids = people["lawyer"], {k: p.id for k, p in room.trial.people.items()}
    assert (await judge.call("rtc.offer", {"to": ids["lawyer"], "sdp": FIREFOX}))["ok"]
    offer = await lawyer.wait("rtc.offer")
    assert offer == {"from": ids["judge"], "sdp": FIREFOX, "ice_restart": False}
    await lawyer.call("rtc.answer", {"to": ids["judge"], "sdp": ANSWER})
    assert (await judge.wait("rtc.answer"))["sdp"] == ANSWER
    await lawyer.call("rtc.candidate", {"to": ids["judge"], "candidate": CANDIDATE,
                                        "sdp_mid": "0", "sdp_mline_index": 0})
    cand = await judge.wait("rtc.candidate")
    assert cand == {"from": ids["lawyer"], "candidate": CANDIDATE, "sdp_mid": "0",
                    "sdp_mline_index": 0}
    await lawyer.call("rtc.candidate", {"to": ids["judge"], "candidate": ""})  # end of candidates
    await judge.wait("rtc.candidate", lambda d: d["candidate"] == "")
    # ICE restart: a new offer flagged as such.
    await judge.call("rtc.offer", {"to": ids["lawyer"], "sdp": OFFER, "ice_restart": True})
    assert (await lawyer.wait("rtc.offer", lambda d: d["ice_restart"]))["sdp"] == OFFER


async def test_media_peer_answers_through_the_callable(room_factory) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[Any, ...]] = []

    async def media_answer(hearing_id: str, participant_id: str, sdp: str, *,
                           ice_restart: bool) -> str:
        calls.append((hearing_id, participant_id, sdp, ice_restart))
        return ANSWER

    room: Room_ = await room_factory(media_answer=media_answer)
    _judge, people = await in_session(room, "defendant")
    await people["defendant"].call("rtc.offer", {"to": "media", "sdp": OFFER})
    answer = await people["defendant"].wait("rtc.answer")
    assert answer == {"from": "media", "sdp": ANSWER, "ice_restart": False}
    await people["defendant"].call("rtc.offer", {"to": "media", "sdp": OFFER,
                                                 "ice_restart": True})
    await people["defendant"].wait("rtc.answer", lambda d: d["ice_restart"])
    pid = room.trial.people["defendant"].id
    assert calls == [(room.trial.hearing.id, pid, OFFER, False),
                     (room.trial.hearing.id, pid, OFFER, True)]


async def test_no_media_peer_configured(room: Room_) -> None:
    judge, _ = await in_session(room)
    ack = await judge.call("rtc.offer", {"to": "media", "sdp": OFFER})
    assert ack["error"] == {"event": "rtc.offer", "code": "forbidden",
                            "message": "this server has no media peer"}


async def test_waiting_room_cannot_negotiate(room: Room_) -> None:
    judge, _ = await in_session(room)
    witness = await room.join("witness")
    ack = await witness.call("rtc.offer", {"to": room.trial.people["judge"].id, "sdp": OFFER})
    assert ack["error"]["message"] == "rtc.offer is not allowed for a connection that is waiting"
    ack = await judge.call("rtc.offer", {"to": room.trial.people["witness"].id, "sdp": OFFER})
    assert ack["error"]["code"] == "forbidden"  # and nobody may offer to the lobby
    assert witness.seen("rtc.offer") == []


async def observer(room: Room_) -> Client:
    t = room.trial
    p = await room.services.scheduling.invite(t.clerk_actor, InviteParticipant(
        t.hearing.id, "旁听群众", Role.OBSERVER))
    link = await room.services.scheduling.issue_join_link(t.clerk_actor,
                                                          IssueJoinLink(t.hearing.id, p.id))
    c = room.client("observer")
    await c.connect({"token": link.secret, "hearing_id": t.hearing.id})
    await c.wait("snapshot")
    return c


async def test_observer_receives_but_never_publishes(room_factory) -> None:  # type: ignore[no-untyped-def]
    async def media_answer(hearing_id: str, participant_id: str, sdp: str, *,
                           ice_restart: bool) -> str:
        return ANSWER

    room: Room_ = await room_factory(media_answer=media_answer)
    judge, people = await in_session(room, "lawyer")
    watcher = await observer(room)
    snap = watcher.seen("snapshot")[-1]
    assert snap["you"]["standing"] == "observer"
    # Receives what the hearing sees...
    await judge.call("hearing.control", {"action": "pause"})
    await watcher.wait("hearing.state", lambda d: d["state"] == "paused")
    listed = await watcher.wait("participants")
    # ...but is never listed, and publishes nothing.
    assert all(p["role"] != "observer" for p in listed["participants"])
    assert all(p["role"] != "observer" for p in judge.seen("participants")[-1]["participants"])
    ack = await watcher.call("rtc.offer", {"to": "media", "sdp": OFFER})
    assert ack["error"]["message"] == ("an observer may only receive: every media section must "
                                       "be recvonly or inactive")
    ack = await watcher.call("rtc.offer", {"to": room.trial.people["judge"].id, "sdp": RECVONLY})
    assert ack["error"]["message"] == "an observer negotiates only with the server's media peer"
    assert (await watcher.call("rtc.offer", {"to": "media", "sdp": RECVONLY}))["ok"]
    await watcher.wait("rtc.answer")
    for event, payload in (("chat.send", {"text": "hi"}), ("hand.raise", {}),
                           ("self.mute", {"muted": False}), ("help.request", {})):
        ack = await watcher.call(event, payload)
        assert ack["error"]["code"] == "forbidden", (event, ack)
    ack = await people["lawyer"].call("rtc.offer", {"to": snap["you"]["identity"], "sdp": OFFER})
    assert ack["error"]["code"] == "forbidden"
