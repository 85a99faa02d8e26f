"""A remote interrogation's transcript (讯问笔录) over the real database: its own signing order
(detainee, appropriate adult of a minor, lawyer, interrogator, recorder), the notice of
rights, the detainee's statement, a correction asked for and a refusal, each signature's
moment marked in the recording, and a close refused while the transcript is being signed."""

from __future__ import annotations

from typing import Any

import pytest

from hearings.domain.actors import Actor
from hearings.domain.commands import ChangeHearing
from hearings.domain.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from hearings.domain.interrogation import InterrogationContext
from hearings.domain.states import DocumentState, TranscriptState
from hearings.domain.transcript import DETAINEE_STATEMENT
from hearings.services.signature_marks import OffCamera
from tests.factories import INTERROGATION, REMOTE_TRIAL, Trial, adult, make_trial
from tests.integration.confirmation.conftest import CAPTURE
from tests.integration.transcripts.conftest import World
from web.app.bootstrap import Services

PRESENT = ("prosecutor", "detainee", "adult", "lawyer")  # the interpreter never comes
BODY = "问：你叫什么名字？\n答：张小某。\n问：你把当天的经过说一下。\n答：我拿了超市的东西。"


class Marks:
    """The recording as the service sees it (a fake of the SignatureMarks port)."""

    def __init__(self) -> None:
        self.marked: list[dict[str, Any]] = []
        self.off_camera: set[str] = set()  # participants whose track is in a gap

    async def offsets(self, hearing_id: str, at: float) -> dict[str, Any]:
        return {"detainee-track": {"segment": "seg-00001.mkv", "offset": 12.5,
                                   "track_offset": 12.5}}

    async def on_camera(self, hearing_id: str, mark: dict[str, Any]) -> bool:
        return mark["participant_id"] not in self.off_camera

    async def signed(self, hearing_id: str, mark: dict[str, Any]) -> None:
        self.marked.append(mark)


async def make_interrogation(services: Services, *, minor: bool = True) -> Trial:
    """An interrogation in progress: everyone but the interpreter connected and admitted."""
    return await make_trial(services, kind="remote_interrogation",
                            seats=INTERROGATION if minor else adult(INTERROGATION),
                            case_title="张小某盗窃案", present=PRESENT)


async def test_an_interrogation_is_signed_on_camera_in_its_own_order(world: World) -> None:
    marks = Marks()
    world.transcripts.mark_with(marks)
    t = await make_interrogation(world.services)
    recs = world.transcripts
    await recs.save(t.clerk_actor, t.hid, BODY, 0)
    with pytest.raises(InvalidInput, match="notice of rights"):
        await recs.send_for_signature(t.clerk_actor, t.hid)
    await recs.acknowledge_rights(t.clerk_actor, t.hid)
    sent = await recs.send_for_signature(t.clerk_actor, t.hid)
    order = sent.as_json()["signing"]["order"]
    assert [(s["field"], s["signer"], s["role"]) for s in order] == [
        ("party1", "张小某", "person"), ("party2", "张母", "person"),
        ("party3", "律师周正", "person"), ("interrogator1", "检察员孙强", "interrogator"),
        ("clerk", "书记员王芳", "clerk")]
    assert sent.as_json()["kind"] == "interrogation_record"
    assert sent.as_json()["document"]["title"] == "讯问笔录"
    context = world.documents.contexts[-1]
    assert isinstance(context, InterrogationContext)
    assert context.interrogators == ("检察员孙强",) and context.place == "渝北区看守所提讯室"
    assert [p.role for p in context.participants] == ["犯罪嫌疑人", "合适成年人", "辩护律师"]
    assert context.rights_acknowledged_at is not None
    assert context.statement == DETAINEE_STATEMENT

    # closing now would stop the camera before the signatures: refused
    with pytest.raises(Conflict, match="signed on camera"):
        await world.control.change_hearing(t.judge_actor, ChangeHearing(t.hid, "close"))

    # the detainee asks for a correction: back to drafting, the copy abandoned, audited
    with pytest.raises(PermissionDenied):
        await recs.reopen(t.clerk_actor, t.hid, "改一下", refused=False)
    asked = await recs.reopen(t.as_("detainee"), t.hid, "第二个回答：我没有拿，是别人给我的",
                              refused=False)
    assert asked.state is TranscriptState.DRAFTING and asked.as_json()["signing"] is None
    assert asked.as_json()["reopened"]["reason"].startswith("第二个回答")
    assert (await recs.view(t.clerk_actor, t.hid)).as_json()["reopened"]["by"] == "张小某"
    async with world.uow() as uow:  # the copy out for signature is given up, never sealed
        assert sent.transcript is not None and sent.transcript.document_id is not None
        abandoned = await uow.documents.get(sent.transcript.document_id)
        assert abandoned.state is DocumentState.ABANDONED
    await recs.save(t.clerk_actor, t.hid, BODY.replace("我拿了超市的东西", "是别人给我的"), 1)
    resent = await recs.send_for_signature(t.clerk_actor, t.hid)
    assert resent.transcript is not None and resent.transcript.document_id != sent.transcript.document_id

    with pytest.raises(InvalidInput, match="statement"):  # the detainee confirms first
        await recs.sign(t.as_("detainee"), t.hid, "party1", CAPTURE)
    with pytest.raises(InvalidInput, match="statement"):  # and only the detainee does
        await recs.sign(t.as_("detainee"), t.hid, "party1", CAPTURE, "我看过")
    at_pad = {**CAPTURE, "signed_at": "2026-12-02T10:00:00+08:00"}
    await recs.sign(t.as_("detainee"), t.hid, "party1", at_pad, DETAINEE_STATEMENT)
    with pytest.raises(InvalidInput, match="only the detainee"):
        await recs.sign(t.as_("adult"), t.hid, "party2", CAPTURE, DETAINEE_STATEMENT)
    # the adult's camera drops out as she signs: refused, nothing kept; she signs again
    marks.off_camera.add(t.people["adult"].id)
    with pytest.raises(OffCamera) as refused:
        await recs.sign(t.as_("adult"), t.hid, "party2", CAPTURE)
    assert refused.value.code == "off_camera"
    still = (await recs.view(t.as_("adult"), t.hid)).as_json()["signing"]
    assert still["next"] == "party2" and len(marks.marked) == 1
    marks.off_camera.clear()
    await recs.sign(t.as_("adult"), t.hid, "party2", CAPTURE)
    await recs.sign(t.as_("lawyer"), t.hid, "party3", CAPTURE)
    with pytest.raises(InvalidInput, match="by hand"):  # a prosecutor has no key of ours
        await recs.sign(t.as_("prosecutor"), t.hid, "interrogator1", None)
    await recs.sign(t.as_("prosecutor"), t.hid, "interrogator1", CAPTURE)
    done = await recs.sign(t.clerk_actor, t.hid, "clerk", None)
    assert done.state is TranscriptState.SIGNED

    assert [(m["signer"], m["field"], m["kind"]) for m in marks.marked] == [
        ("张小某", "party1", "interrogation_record"), ("张母", "party2", "interrogation_record"),
        ("律师周正", "party3", "interrogation_record"),
        ("检察员孙强", "interrogator1", "interrogation_record"),
        ("书记员王芳", "clerk", "interrogation_record")]
    assert marks.marked[0]["participant_id"] == t.people["detainee"].id
    assert marks.marked[0]["captured_at"] == "2026-12-02T10:00:00+08:00"
    assert marks.marked[-1]["staff_user_id"] == t.clerk.id
    async with world.uow() as uow:
        entries = await uow.audit.entries(t.hid)
    signed = [e.payload for e in entries if e.action == "record.signed"]
    assert [e["field"] for e in signed] == ["party1", "party2", "party3", "interrogator1",
                                            "clerk"]
    assert signed[0]["statement"] == DETAINEE_STATEMENT
    assert signed[0]["media"]["tracks"]["detainee-track"]["offset"] == 12.5
    assert signed[0]["sha256"] == marks.marked[0]["sha256"]
    actions = [e.action for e in entries]
    assert actions.count("record.frozen") == 2 and "record.rights_acknowledged" in actions
    asked_entry = next(e.payload for e in entries if e.action == "record.correction_requested")
    assert asked_entry["reason"].startswith("第二个回答") and asked_entry["version"] == 1
    # the last signature is in: now the interrogation (and its recording) may end
    await world.control.change_hearing(t.judge_actor, ChangeHearing(t.hid, "close"))


async def test_an_adult_detainee_signs_without_an_appropriate_adult_and_may_refuse(
        world: World) -> None:
    t = await make_interrogation(world.services, minor=False)
    recs = world.transcripts
    await recs.save(t.clerk_actor, t.hid, BODY, 0)
    await recs.acknowledge_rights(t.judge_actor, t.hid)
    sent = await recs.send_for_signature(t.judge_actor, t.hid)
    assert [s["field"] for s in sent.as_json()["signing"]["order"]] == [
        "party1", "party2", "interrogator1", "clerk"]
    with pytest.raises(InvalidInput):
        await recs.reopen(t.as_("detainee"), t.hid, "", refused=True)
    refused = await recs.reopen(t.as_("detainee"), t.hid, "笔录没有记我说的话", refused=True)
    assert refused.state is TranscriptState.DRAFTING
    with pytest.raises(IllegalTransition):
        await recs.reopen(t.as_("detainee"), t.hid, "again", refused=True)
    async with world.uow() as uow:
        entry = next(e for e in await uow.audit.entries(t.hid) if e.action == "record.refused")
    assert entry.payload["reason"] == "笔录没有记我说的话"
    assert entry.payload["participant_id"] == t.people["detainee"].id
    # not a trial: a trial's hearing has no notice of rights to record
    assert Actor.staff(t.clerk).kind == "staff"


async def test_the_prosecutor_who_joined_by_link_sends_the_record_for_signature(
        world: World) -> None:
    t = await make_interrogation(world.services)
    recs = world.transcripts
    await recs.save(t.clerk_actor, t.hid, BODY, 0)
    await recs.acknowledge_rights(t.clerk_actor, t.hid)
    for key in ("lawyer", "detainee"):  # on the order, but not an interrogator
        with pytest.raises(PermissionDenied, match=r"transcript\.send_interrogation"):
            await recs.send_for_signature(t.as_(key), t.hid)
    sent = await recs.send_for_signature(t.as_("prosecutor"), t.hid)
    assert sent.state is TranscriptState.SIGNING
    async with world.uow() as uow:
        frozen = next(e for e in await uow.audit.entries(t.hid) if e.action == "record.frozen")
    assert frozen.actor == t.as_("prosecutor").label


async def test_a_trials_prosecutor_does_not_send_the_trial_record(world: World) -> None:
    t = await make_trial(world.services, seats=REMOTE_TRIAL, present=("defendant", "witness"))
    await world.transcripts.save(t.clerk_actor, t.hid, BODY, 0)
    with pytest.raises(PermissionDenied, match=r"transcript\.edit"):
        await world.transcripts.send_for_signature(t.as_("prosecutor"), t.hid)
