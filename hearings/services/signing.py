"""Signing the next slot of a document signed in turn — the one flow behind
`Mediations.sign` (hearings/services/mediations.py) and `Transcripts.sign`
(hearings/services/transcripts.py).

Read (whose turn, who may sign, the document's hash) → sign by hand or by key outside any
unit of work (a PAdES signature takes ~0.1–0.3 s) → finish the document after the last
slot → in a second unit of work check that nothing moved meanwhile (the aggregate is
still there and the document's hash is the one signed over) → mark the slot, the
document's signature and seal → audit and events → commit. What differs between the two
documents comes in as the three callbacks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from hearings.domain.documents import Document
from hearings.domain.errors import Conflict
from hearings.domain.signing_order import Slot
from hearings.services.ports import Documents, UnitOfWork

__all__ = ["Signature", "Turn", "sign_next_slot"]

S = TypeVar("S", bound=Slot)
V = TypeVar("V")


@dataclass(frozen=True)
class Turn(Generic[S]):
    """What the first read found: the slot whose turn it is, checked against the actor."""

    slot: S
    document: Document
    last: bool
    role: str  # the signer's role as the signature names it (当事人, 人民调解员, 审判员 …)
    key_holder: str | None = None  # whose key signs the slot when no capture is given


@dataclass(frozen=True)
class Signature(Generic[S]):
    """What the second unit of work records: the slot signed, `how`, the new hash."""

    slot: S
    document: Document
    how: str  # hand | key
    sha256: str
    complete: bool


async def sign_next_slot(
    uow: Callable[[], UnitOfWork], documents: Documents, capture: dict[str, Any] | None, *,
    read: Callable[[UnitOfWork], Awaitable[Turn[S]]],
    mark: Callable[[UnitOfWork, S, str], Awaitable[bool | None]],
    tell: Callable[[UnitOfWork, Signature[S]], Awaitable[V]],
    changed: str,
) -> V:
    """`read` finds the turn (raising when it is not the actor's); `mark` re-reads the
    aggregate and records the slot signed `how`, returning True on the last signature
    (None: the aggregate is gone); `tell` writes the audit entry and the events and
    returns the view. `changed` is the conflict's message when something moved."""
    async with uow() as unit:
        turn = await read(unit)
    document, slot = turn.document, turn.slot
    before = document.sha256
    if capture is not None:
        sha = await documents.sign_by_hand(document, slot.field, slot.signer, turn.role,
                                           capture)
    else:
        assert turn.key_holder is not None  # `read` refused a hand field without a capture
        sha = await documents.sign_as(document, slot.field, slot.signer, turn.role,
                                      user_id=turn.key_holder)
    how = "hand" if capture is not None else "key"
    document.sha256 = sha
    if turn.last:
        sha = await documents.finish(document)
    async with uow() as unit:
        document = await unit.documents.get(document.id)
        done = await mark(unit, slot, how) if document.sha256 == before else None
        if done is None:
            raise Conflict(changed)
        document.signed(slot.field, slot.signer, "hand" if how == "hand" else "as", sha)
        if done:
            document.seal(sha)
        view = await tell(unit, Signature(slot, document, how, sha, done))
        await unit.commit()
    return view

