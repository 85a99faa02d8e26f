"""The room hears a transcript sent back and sent again (issue 17.3): a signer's correction
asked for or refusal to sign reaches every connection as its own event with the reason,
and the new version sent after it as `record.revised` — through the domain's bus, as
web/app/application.py wires it (signaling/follow.py `push_of`), with no socket command at all."""

from __future__ import annotations

from hearings.domain.actors import Actor
from tests.integration.signaling.conftest import Room_, in_session

BODY = "审：被告人张某，你对起诉书指控的事实有无异议？\n被告人：没有异议。"


async def test_a_correction_a_refusal_and_the_new_version_are_heard_in_the_room(
        room: Room_) -> None:
    judge, people = await in_session(room, "lawyer", "defendant")
    records = room.services.transcripts  # wired as the product wires it (tests/wiring.py)
    trial, hid = room.trial, room.trial.hearing.id
    clerk = Actor.staff(trial.clerk)
    defendant = Actor.participant(trial.people["defendant"].id, "张某", hid,
                                  trial.people["defendant"].role)
    await records.save(clerk, hid, BODY, 0)
    await records.send_for_signature(clerk, hid)
    for c in (judge, *people.values()):
        await c.wait("record.signing", lambda d: d["state"] == "signing")

    await records.reopen(defendant, hid, "我说的是“有异议”", refused=False)
    for c in (judge, *people.values()):
        asked = await c.wait("record.correction_requested")
        assert asked["state"] == "drafting" and asked["signing"] is None
        assert asked["reopened"]["by"] == "张某" and asked["reopened"]["refused"] is False
        assert asked["reopened"]["reason"] == "我说的是“有异议”"
        assert "body" not in asked  # the draft never reaches participants' sockets

    await records.save(clerk, hid, BODY.replace("没有异议", "有异议"), 1)
    await records.send_for_signature(clerk, hid)
    for c in (judge, *people.values()):
        revised = await c.wait("record.revised")
        assert revised["version"] == 2 and revised["state"] == "signing"
        assert revised["reopened"]["reason"] == "我说的是“有异议”"
        assert revised["document"]["id"]
        assert c.seen("record.signing", lambda d: d["version"] == 2)

    await records.reopen(defendant, hid, "我不签", refused=True)
    for c in (judge, *people.values()):
        refused = await c.wait("record.refused")
        assert refused["reopened"]["refused"] is True and refused["reopened"]["reason"] == "我不签"
    # the first send is no revision: only the one after the correction was told so
    assert len(people["lawyer"].seen("record.revised")) == 1
