"""A remote interrogation's plea statement (认罪认罚具结书, issue 17.1) over the real database:
the prosecutor who joined by link drafts it, the detainee signs by hand and then the lawyer;
a refusal keeps its reason and abandons the copy; a new draft supersedes one out for
signature; the signed copy is sealed, delivered and audited."""

from __future__ import annotations

import pytest

from hearings.domain.commands import ChangeHearing
from hearings.domain.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from hearings.domain.plea import PleaContext
from hearings.domain.states import DocumentState, PleaState
from hearings.services.pleas import Pleas
from tests.factories import REMOTE_TRIAL, make_trial
from tests.integration.confirmation.conftest import CAPTURE, TZ
from tests.integration.transcripts.conftest import World
from tests.integration.transcripts.test_interrogation_service import Marks, make_interrogation

TERMS = {"charges": "盗窃罪",
         "facts": "2026年10月3日，张小某在渝北区某超市窃取商品，价值人民币二千元。",
         "sentencing_proposal": "有期徒刑六个月，缓刑一年，并处罚金人民币二千元",
         "procedure": "速裁程序"}


def pleas(world: World, marks: Marks | None = None) -> Pleas:
    p = Pleas(world.uow, world.documents, court_tz=TZ)
    if marks is not None:
        p.mark_with(marks)
    return p


async def test_the_prosecutor_drafts_the_detainee_and_the_lawyer_sign(world: World) -> None:
    t = await make_interrogation(world.services)
    marks = Marks()
    p = pleas(world, marks)
    assert (await p.view(t.as_("lawyer"), t.hid)).as_json()["state"] is None
    for key in ("lawyer", "detainee"):  # only the prosecutor (or the court's staff) drafts
        with pytest.raises(PermissionDenied, match=r"plea\.draft"):
            await p.draft(t.as_(key), t.hid, **TERMS)
    with pytest.raises(InvalidInput, match="charges"):
        await p.draft(t.as_("prosecutor"), t.hid, **{**TERMS, "charges": ""})
    first = await p.draft(t.as_("prosecutor"), t.hid, **TERMS)
    body = first.as_json()
    assert body["state"] == "signing" and body["charges"] == "盗窃罪"
    # a minor: the appropriate adult signs between the detainee and the lawyer
    assert [(s["field"], s["signer"]) for s in body["signing"]["order"]] == [
        ("party1", "张小某"), ("party2", "张母"), ("lawyer", "律师周正")]
    context = world.documents.contexts[-1]
    assert isinstance(context, PleaContext)
    assert (context.defendant, context.appropriate_adult, context.lawyer, context.prosecutor) \
        == ("张小某", "张母", "律师周正", "检察员孙强")

    # the prosecutor corrects the proposal: the first copy is superseded, kept abandoned
    second = await p.draft(t.as_("prosecutor"), t.hid,
                           **{**TERMS, "sentencing_proposal": "有期徒刑五个月，缓刑一年"})
    assert second.plea is not None and first.plea is not None
    assert second.plea.document_id != first.plea.document_id

    with pytest.raises(InvalidInput, match="by hand"):
        await p.sign(t.as_("detainee"), t.hid, "party1", None)
    with pytest.raises(PermissionDenied):  # nobody signs for the detainee
        await p.sign(t.as_("lawyer"), t.hid, "party1", CAPTURE)
    with pytest.raises(Conflict, match="in order"):
        await p.sign(t.as_("lawyer"), t.hid, "lawyer", CAPTURE)
    await p.sign(t.as_("detainee"), t.hid, "party1",
                 {**CAPTURE, "signed_at": "2026-12-03T10:00:00+08:00"})
    # the others' signatures are still to come on camera: the interrogation does not close
    with pytest.raises(Conflict, match="张母 signs next"):
        await world.control.change_hearing(t.judge_actor, ChangeHearing(t.hid, "close"))
    await p.sign(t.as_("adult"), t.hid, "party2", CAPTURE)
    done = await p.sign(t.as_("lawyer"), t.hid, "lawyer", CAPTURE)
    assert done.as_json()["state"] == "signed"
    with pytest.raises(Conflict, match="signed already"):
        await p.draft(t.as_("prosecutor"), t.hid, **TERMS)
    with pytest.raises(IllegalTransition):
        await p.refuse(t.as_("detainee"), t.hid, "我反悔了")

    async with world.uow() as uow:
        sealed = await uow.documents.get(second.plea.document_id)
        abandoned = await uow.documents.get(first.plea.document_id)
        entries = await uow.audit.entries(t.hid)
    assert sealed.state is DocumentState.SEALED and sealed.title == "认罪认罚具结书"
    assert abandoned.state is DocumentState.ABANDONED
    actions = [e.action for e in entries if e.action.startswith("plea.")]
    assert actions == ["plea.drafted", "plea.superseded", "plea.drafted", "plea.signed",
                       "plea.signed", "plea.signed"]
    # signed while the interrogation is recorded: each moment marked in the signer's track
    assert [(m["signer"], m["field"], m["kind"], m["title"]) for m in marks.marked] == [
        ("张小某", "party1", "plea_statement", "认罪认罚具结书"),
        ("张母", "party2", "plea_statement", "认罪认罚具结书"),
        ("律师周正", "lawyer", "plea_statement", "认罪认罚具结书")]
    assert marks.marked[0]["participant_id"] == t.people["detainee"].id
    assert marks.marked[0]["captured_at"] == "2026-12-03T10:00:00+08:00"
    signed = [e.payload for e in entries if e.action == "plea.signed"]
    assert signed[0]["media"]["tracks"]["detainee-track"]["offset"] == 12.5
    assert [s["sha256"] for s in signed] == [m["sha256"] for m in marks.marked]
    drafted = [e.payload for e in entries if e.action == "plea.drafted"]
    assert drafted[1]["sentencing_proposal"] == "有期徒刑五个月，缓刑一年"
    told = [(e, p["state"], p["signing"]["next"]) for _, e, p in world.events.hearing
            if e.startswith("plea.")]
    assert told == [("plea.signing", "signing", "party1"), ("plea.signing", "signing", "party1"),
                    ("plea.signing", "signing", "party2"), ("plea.signing", "signing", "lawyer"),
                    ("plea.signing", "signed", None)]
    delivered = world.events.named("document.delivered")
    assert [(d["kind"], d["document_id"]) for d in delivered] == [
        ("plea_statement", sealed.id)]
    # signed: now the interrogation may end (the transcript was never sent)
    await world.control.change_hearing(t.judge_actor, ChangeHearing(t.hid, "close"))


async def test_a_refusal_is_kept_with_its_reason_and_a_new_draft_follows(world: World) -> None:
    t = await make_interrogation(world.services, minor=False)
    p = pleas(world)
    sent = await p.draft(t.as_("prosecutor"), t.hid, **TERMS)
    with pytest.raises(PermissionDenied):  # not a signer of the plea statement
        await p.refuse(t.as_("prosecutor"), t.hid, "不同意")
    with pytest.raises(InvalidInput):
        await p.refuse(t.as_("detainee"), t.hid, "  ")
    refused = await p.refuse(t.as_("detainee"), t.hid, "我不同意量刑建议")
    assert refused.plea is not None and refused.plea.state is PleaState.ABANDONED
    assert refused.as_json()["refusal"]["reason"] == "我不同意量刑建议"
    assert refused.as_json()["refusal"]["by"] == "张小某"
    with pytest.raises(IllegalTransition):
        await p.sign(t.as_("detainee"), t.hid, "party1", CAPTURE)
    async with world.uow() as uow:
        assert sent.plea is not None
        assert (await uow.documents.get(sent.plea.document_id)).state is DocumentState.ABANDONED
        entry = next(e for e in await uow.audit.entries(t.hid) if e.action == "plea.refused")
    assert entry.payload["reason"] == "我不同意量刑建议"
    assert entry.payload["participant_id"] == t.people["detainee"].id
    told = world.events.named("plea.refused")
    assert [p["refusal"]["reason"] for p in told] == ["我不同意量刑建议"]
    again = await p.draft(t.as_("prosecutor"), t.hid, **TERMS)
    assert again.as_json()["state"] == "signing" and again.as_json()["refusal"] is None


async def test_an_adult_detainee_signs_with_the_lawyer_alone(world: World) -> None:
    t = await make_interrogation(world.services, minor=False)
    sent = await pleas(world).draft(t.as_("prosecutor"), t.hid, **TERMS)
    assert [s["field"] for s in sent.as_json()["signing"]["order"]] == ["party1", "lawyer"]
    context = world.documents.contexts[-1]
    assert isinstance(context, PleaContext) and context.appropriate_adult is None


async def test_only_an_interrogation_in_session_with_a_lawyer_has_one(world: World) -> None:
    trial = await make_trial(world.services, seats=REMOTE_TRIAL, present=("defendant", "witness"))
    with pytest.raises(InvalidInput, match="remote interrogation"):
        await pleas(world).draft(trial.judge_actor, trial.hid, **TERMS)
