"""The transcript's service handlers over the real database (SQLite and PostgreSQL):
versioned saves, frozen at close, signed in order by the right people, sealed, delivered."""

from __future__ import annotations

import hashlib

import pytest

from hearings.domain.actors import Actor
from hearings.domain.commands import ChangeHearing
from hearings.domain.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from hearings.domain.states import DocumentState, TranscriptState
from hearings.domain.transcript import apply_edit
from tests.factories import REMOTE_TRIAL, make_trial
from tests.integration.confirmation.conftest import CAPTURE
from tests.integration.transcripts.conftest import World

BODY = "审：现在开庭。核对被告人身份。\n被告人：我叫张某。\n证人：我看见他翻墙进去。"


async def test_saves_then_close_freezes_and_everyone_signs_in_order(world: World) -> None:
    t = await make_trial(world.services, seats=REMOTE_TRIAL, clerks=2,
                         present=("defendant", "witness"))
    recs = world.transcripts
    first = await recs.save(t.clerk_actor, t.hid, BODY.split("\n")[0], 0)
    assert first.transcript is not None and first.transcript.version == 1
    await recs.save(t.judge_actor, t.hid, BODY, 1)
    with pytest.raises(Conflict, match="saved meanwhile"):
        await recs.save(t.clerk_actor, t.hid, "审：旧稿", 1)  # made on version 1: stale
    kept = await recs.view(t.clerk_actor, t.hid)
    assert kept.transcript is not None and kept.transcript.body == BODY and kept.transcript.version == 2
    assert kept.transcript.clerk_name == "书记员王芳"
    updated = world.events.named("record.updated")
    assert [e["version"] for e in updated] == [1, 2] and "body" not in updated[0]
    # A participant neither edits nor reads the live draft.
    with pytest.raises(PermissionDenied):
        await recs.save(t.as_("defendant"), t.hid, "被告人：我没偷", 2)
    assert "body" not in (await recs.view(t.as_("defendant"), t.hid)).as_json()

    await world.control.change_hearing(t.judge_actor, ChangeHearing(t.hid, "close"))
    await recs.idle()
    view = await recs.view(t.as_("witness"), t.hid)
    data = view.as_json()
    assert data["state"] == "signing" and data["body"] == BODY
    order = data["signing"]["order"]
    assert [(s["field"], s["signer"]) for s in order] == [
        ("party1", "张某"), ("party2", "村民刘大山"), ("clerk", "书记员王芳"), ("judge", "审判员李明")]
    context = world.documents.contexts[-1]
    assert [p.role for p in context.participants] == ["被告人", "证人"]
    assert context.utterances[1] == ("被告人", "我叫张某。")
    with pytest.raises(IllegalTransition):
        await recs.save(t.clerk_actor, t.hid, BODY + "\n审：补充", 2)

    with pytest.raises(Conflict, match="party1"):  # out of order
        await recs.sign(t.as_("witness"), t.hid, "party2", CAPTURE)
    with pytest.raises(PermissionDenied):  # the wrong signer
        await recs.sign(t.as_("witness"), t.hid, "party1", CAPTURE)
    with pytest.raises(PermissionDenied):
        await recs.sign(t.clerk_actor, t.hid, "party1", CAPTURE)
    with pytest.raises(InvalidInput, match="by hand"):
        await recs.sign(t.as_("defendant"), t.hid, "party1", None)
    with pytest.raises(InvalidInput):
        await recs.sign(t.as_("defendant"), t.hid, "nobody", CAPTURE)
    await recs.sign(t.as_("defendant"), t.hid, "party1", CAPTURE)
    await recs.sign(t.as_("witness"), t.hid, "party2", CAPTURE)
    with pytest.raises(PermissionDenied):  # the judge is not the clerk
        await recs.sign(t.judge_actor, t.hid, "clerk", None)
    with pytest.raises(PermissionDenied):  # another clerk would sign with someone's key
        await recs.sign(Actor.staff(t.clerks[1]), t.hid, "clerk", None)
    await recs.sign(t.clerk_actor, t.hid, "clerk", None)  # the clerk's own account, own key
    with pytest.raises(PermissionDenied):
        await recs.sign(t.clerk_actor, t.hid, "judge", None)
    done = await recs.sign(t.judge_actor, t.hid, "judge", None)
    assert done.state is TranscriptState.SIGNED
    with pytest.raises(IllegalTransition):
        await recs.sign(t.judge_actor, t.hid, "judge", None)

    assert [op for op, _ in world.documents.calls] == [
        "transcript", "hand", "hand", "as", "as", "finish"]
    async with world.uow() as uow:
        assert done.transcript is not None and done.transcript.document_id is not None
        document = await uow.documents.get(done.transcript.document_id)
        assert document.state is DocumentState.SEALED and document.kind.value == "hearing_record"
        assert [s["field"] for s in document.signatures] == ["party1", "party2", "clerk", "judge"]
        actions = [e.action for e in await uow.audit.entries(t.hid)]
    assert actions.count("record.saved") == 2 and actions.count("record.signed") == 4
    # Every version comes back from the audit trail, each checked against its SHA-256.
    async with world.uow() as uow:
        saved = [e.payload for e in await uow.audit.entries(t.hid) if e.action == "record.saved"]
    text = ""
    for entry in saved:
        text = apply_edit(text, entry["edit"])
        assert hashlib.sha256(text.encode()).hexdigest() == entry["sha256"]
        assert "body" not in entry  # edits, not the whole text every second
    assert text == done.transcript.body
    assert "record.frozen" in actions
    delivered = world.events.named("document.delivered")
    assert delivered[-1]["document_id"] == document.id
    assert world.events.named("record.signing")[-1]["state"] == "signed"
    # A participant reads the signed transcript (its bytes through DocumentService.read).
    assert await recs.document_id(t.as_("defendant"), t.hid) == document.id
    assert (await world.documents.read(document)).startswith(b"%PDF")


async def test_an_empty_record_is_not_frozen_at_close_and_is_sent_by_hand(world: World) -> None:
    t = await make_trial(world.services, seats=REMOTE_TRIAL, present=("defendant", "witness"))
    await world.control.change_hearing(t.judge_actor, ChangeHearing(t.hid, "close"))
    await world.transcripts.idle()
    assert (await world.transcripts.view(t.clerk_actor, t.hid)).state is TranscriptState.DRAFTING
    with pytest.raises(InvalidInput, match="empty"):
        await world.transcripts.send_for_signature(t.clerk_actor, t.hid)
    await world.transcripts.save(t.clerk_actor, t.hid, BODY, 0)  # finished after the close
    with pytest.raises(PermissionDenied):
        await world.transcripts.send_for_signature(t.as_("defendant"), t.hid)
    view = await world.transcripts.send_for_signature(t.clerk_actor, t.hid)
    assert view.state is TranscriptState.SIGNING
    assert world.events.named("record.signing")[-1]["signing"]["next"] == "party1"


async def test_staff_of_another_court_neither_read_nor_edit(world: World) -> None:
    t = await make_trial(world.services, seats=REMOTE_TRIAL, present=("defendant", "witness"))
    other = await make_trial(world.services, seats=REMOTE_TRIAL, present=("defendant", "witness"))
    with pytest.raises(PermissionDenied):
        await world.transcripts.view(other.clerk_actor, t.hid)
    with pytest.raises(PermissionDenied):
        await world.transcripts.save(other.clerk_actor, t.hid, BODY, 0)
    with pytest.raises(PermissionDenied):
        await world.transcripts.view(other.as_("defendant"), t.hid)
