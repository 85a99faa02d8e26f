"""Signing the next slot re-checks the document's hash before it commits (hearings/services/signing.py):
a signature that lands on a document that moved meanwhile is refused, nothing is recorded."""

from __future__ import annotations

from typing import Any

import pytest

from hearings.domain.commands import ChangeHearing
from hearings.domain.documents import Document
from hearings.domain.errors import Conflict
from tests.factories import REMOTE_TRIAL, make_trial
from tests.integration.confirmation.conftest import CAPTURE
from tests.integration.transcripts.conftest import World


async def test_a_document_changed_while_signing_is_a_conflict(world: World) -> None:
    t = await make_trial(world.services, seats=REMOTE_TRIAL, present=("defendant", "witness"))
    recs = world.transcripts
    await recs.save(t.clerk_actor, t.hid, "审：现在开庭。\n被告人：我叫张某。", 0)
    await world.control.change_hearing(t.judge_actor, ChangeHearing(t.hid, "close"))
    await recs.idle()
    signing = type(world.documents).sign_by_hand

    async def meanwhile(self: Any, document: Document, *args: Any) -> str:
        sha = await signing(self, document, *args)
        async with world.uow() as uow:  # another signature committed the document meanwhile
            stored = await uow.documents.get(document.id)
            stored.sha256 = "0" * 64
            await uow.commit()
        return sha

    world.documents.sign_by_hand = meanwhile.__get__(world.documents)  # type: ignore[method-assign]
    with pytest.raises(Conflict, match="the transcript changed while it was being signed; retry"):
        await recs.sign(t.as_("defendant"), t.hid, "party1", CAPTURE)
    view = await recs.view(t.clerk_actor, t.hid)
    assert view.transcript is not None and view.transcript.next_slot is not None
    assert view.transcript.next_slot.field == "party1"
    assert world.events.named("record.signed") == []
    async with world.uow() as uow:
        document = await uow.documents.get(view.transcript.document_id or "")
        assert document.signatures == []
