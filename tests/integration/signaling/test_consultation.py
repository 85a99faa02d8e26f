"""Lawyer–client consultation: request, reject, accept, leave; the judge receives nothing of it."""

from __future__ import annotations

from pathlib import Path

from tests.integration.signaling.conftest import Room_, in_session

OFFER = (Path(__file__).parents[2] / "unit/signaling/sdp/chromium_offer.sdp").read_text()
CANDIDATE = "candidate:2960668144 1 udp 2122194687 127.0.0.1 52022 typ host generation 0"


async def test_consultation_is_private(room: Room_) -> None:
    judge, people = await in_session(room, "lawyer", "defendant", "witness")
    lawyer, defendant = people["lawyer"], people["defendant"]
    ids = {k: p.id for k, p in room.trial.people.items()}

    # Only counsel and their client; never the judge.
    ack = await people["witness"].call("consultation.request", {"participant_id": ids["lawyer"]})
    assert ack["error"]["code"] == "forbidden"
    ack = await judge.call("consultation.request", {"participant_id": ids["lawyer"]})
    assert ack["error"]["code"] == "forbidden"

    # A rejected request.
    request = (await lawyer.call("consultation.request",
                                 {"participant_id": ids["defendant"]}))["request_id"]
    got = await defendant.wait("consultation.requested")
    assert got["request_id"] == request and got["from"]["role"] == "defence_lawyer"
    await defendant.call("consultation.reject", {"request_id": request})
    await lawyer.wait("consultation.rejected")

    # An accepted one.
    request = (await lawyer.call("consultation.request",
                                 {"participant_id": ids["defendant"]}))["request_id"]
    await defendant.wait("consultation.requested", lambda d: d["request_id"] == request)
    ack = await defendant.call("consultation.accept", {"request_id": request})
    assert ack["ok"], ack
    await lawyer.wait("consultation.started")
    await defendant.wait("consultation.started")
    await judge.wait("participants", lambda d: sum(
        p["state"] == "in_consultation" for p in d["participants"]) == 2)

    # Inside: they negotiate with each other, nobody else.
    assert (await lawyer.call("rtc.offer", {"to": ids["defendant"], "sdp": OFFER}))["ok"]
    await lawyer.call("rtc.candidate", {"to": ids["defendant"], "candidate": CANDIDATE,
                                        "sdp_mid": "0", "sdp_mline_index": 0})
    assert (await defendant.wait("rtc.offer"))["from"] == ids["lawyer"]
    await defendant.wait("rtc.candidate")
    for sender, target in ((lawyer, ids["judge"]), (judge, ids["lawyer"]),
                           (people["witness"], ids["defendant"])):
        ack = await sender.call("rtc.offer", {"to": target, "sdp": OFFER})
        assert ack["error"]["code"] == "forbidden", ack
    ack = await lawyer.call("rtc.offer", {"to": "media", "sdp": OFFER})
    assert ack["error"]["message"] == "a consultation is private: no media to the server's peer"
    snap_ack = await defendant.call("snapshot.request")
    assert snap_ack["ok"]
    snap = await defendant.wait("snapshot", lambda d: d["consultation"] is not None)
    assert set(snap["consultation"]["members"]) == {ids["lawyer"], ids["defendant"]}
    assert snap["you"]["standing"] == "consulting"

    await lawyer.call("consultation.leave")
    await defendant.wait("consultation.ended")
    await defendant.wait("participant.state", lambda d: d["state"] == "in_hearing")
    await judge.wait("participants", lambda d: not any(
        p["state"] == "in_consultation" for p in d["participants"]))

    private = [e for e, _ in judge.events if e.startswith(("consultation.", "rtc."))]
    assert private == [], private
    async with room.services.uow() as uow:
        actions = [e.action for e in await uow.audit.entries(room.trial.hearing.id)]
    assert "consultation.started" in actions and "consultation.ended" in actions


async def test_consultation_ends_when_one_side_drops(room: Room_) -> None:
    judge, people = await in_session(room, "lawyer", "defendant")
    ids = {k: p.id for k, p in room.trial.people.items()}
    request = (await people["lawyer"].call("consultation.request",
                                           {"participant_id": ids["defendant"]}))["request_id"]
    await people["defendant"].wait("consultation.requested")
    await people["defendant"].call("consultation.accept", {"request_id": request})
    await people["lawyer"].wait("consultation.started")
    await people["lawyer"].close()
    await people["defendant"].wait("consultation.ended")
    listed = await judge.wait("participants", lambda d: any(
        p["id"] == ids["defendant"] and p["state"] == "in_hearing" for p in d["participants"]))
    states = {p["id"]: p["state"] for p in listed["participants"]}
    assert states[ids["lawyer"]] in ("in_hearing", "disconnected")
    await judge.wait("participants", lambda d: any(
        p["id"] == ids["lawyer"] and p["state"] == "disconnected" for p in d["participants"]))
