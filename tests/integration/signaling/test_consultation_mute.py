"""The judge's mute stays in the hearing (issue 13.8): a defendant muted and locked by the
judge can speak to their lawyer in a private consultation, and the mute is back on when
they return to the hearing."""

from __future__ import annotations

from tests.integration.signaling.conftest import Room_, in_session


async def _snapshot(client: object, where: object) -> dict[str, object]:
    ack = await client.call("snapshot.request")  # type: ignore[attr-defined]
    assert ack["ok"], ack
    return await client.wait("snapshot", where)  # type: ignore[attr-defined,no-any-return]


async def test_judges_mute_does_not_follow_into_a_consultation(room: Room_) -> None:
    judge, people = await in_session(room, "lawyer", "defendant")
    lawyer, defendant = people["lawyer"], people["defendant"]
    ids = {k: p.id for k, p in room.trial.people.items()}
    ack = await judge.call("participant.mute", {"participant_id": ids["defendant"],
                                                "muted": True, "locked": True})
    assert ack == {"ok": True, "muted": True, "locked": True}
    await defendant.wait("mute", lambda d: d["locked"])

    request = (await lawyer.call("consultation.request",
                                 {"participant_id": ids["defendant"]}))["request_id"]
    await defendant.wait("consultation.requested", lambda d: d["request_id"] == request)
    assert (await defendant.call("consultation.accept", {"request_id": request}))["ok"]
    await defendant.wait("consultation.started")

    # In the consultation the microphone is the defendant's own: on, and theirs to mute.
    snap = await _snapshot(defendant, lambda d: d["consultation"] is not None)
    assert snap["you"]["standing"] == "consulting"  # type: ignore[index]
    assert snap["you"]["muted"] is False and snap["you"]["mute_locked"] is False  # type: ignore[index]
    assert (await defendant.call("self.mute", {"muted": True})) == {
        "ok": True, "muted": True, "locked": False}
    assert (await defendant.call("self.mute", {"muted": False})) == {
        "ok": True, "muted": False, "locked": False}
    # A mute the judge gives meanwhile is for the hearing: it does not reach the consultation.
    before = len(defendant.seen("mute"))
    ack = await judge.call("participant.mute", {"participant_id": ids["defendant"],
                                                "muted": True, "locked": True})
    assert ack["ok"] and ack["locked"] is True

    # Back in the hearing the judge's locked mute applies again.
    await lawyer.call("consultation.leave")
    await defendant.wait("consultation.ended")
    assert len(defendant.seen("mute")) == before
    snap = await _snapshot(defendant, lambda d: d["consultation"] is None
                           and d["you"]["standing"] == "party")
    assert snap["you"]["muted"] is True and snap["you"]["mute_locked"] is True  # type: ignore[index]
    ack = await defendant.call("self.mute", {"muted": False})
    assert ack["error"]["code"] == "forbidden", ack
