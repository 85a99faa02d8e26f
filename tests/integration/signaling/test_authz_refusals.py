"""Every host-only event is refused to a party, over the wire, and changes nothing."""

from __future__ import annotations

from tests.integration.signaling.conftest import Room_, in_session

HOST_ONLY = {
    "hearing.control": {"action": "pause"},
    "lobby.admit": {"participant_id": "PID"},
    "lobby.deny": {"participant_id": "PID"},
    "lobby.send_back": {"participant_id": "PID"},
    "witness.call": {"participant_id": "PID"},
    "witness.dismiss": {"participant_id": "PID"},
    "participant.remove": {"participant_id": "PID"},
    "participant.mute": {"participant_id": "PID", "muted": True, "locked": True},
    "session.resolve": {"identity": "PID", "keep": "x"},
    "hand.clear": {"participant_id": "PID"},
}


async def test_party_is_refused_every_host_control(room: Room_) -> None:
    _judge, people = await in_session(room, "lawyer", "defendant")
    lawyer, target = people["lawyer"], room.trial.people["defendant"].id
    for event, payload in HOST_ONLY.items():
        payload = {k: (target if v == "PID" else v) for k, v in payload.items()}
        ack = await lawyer.call(event, payload)
        assert ack["error"] == {"event": event, "code": "forbidden", "message":
                                f"{event} is not allowed for a connection that is party"}, ack
    assert people["defendant"].sio.connected
    snap = await room.services.scheduling.hearing(room.trial.judge_actor, room.trial.hearing.id)
    assert snap.state.value == "in_session"
    assert snap.participant(target).state.value == "in_hearing"
    assert not snap.participant(target).muted


async def test_staff_without_a_seat_is_not_the_host(room: Room_) -> None:
    clerk = room.client("clerk")
    secret = (await room.services.access.login(room.trial.clerk.username,
                                               "clerk-password-1")).secret
    await clerk.connect({"session": secret, "hearing_id": room.trial.hearing.id})
    await clerk.wait("snapshot")
    ack = await clerk.call("hearing.control", {"action": "open_doors"})
    assert ack["error"]["message"] == "hearing.control is not allowed for a connection that is staff"
