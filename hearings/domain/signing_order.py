"""The signing order of a document signed in turn: the mediation agreement
(hearings/domain/mediation.py) and the transcript (hearings/domain/transcript.py).

A `SigningOrder` is a value: the ordered slots (each a signature field and who signs it),
whether signatures are being collected, whose turn it is, and who may refuse. It does no
I/O; the aggregate that owns it stores the slots as JSON and moves its own state table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from hearings.domain.errors import Conflict, InvalidInput, PermissionDenied

__all__ = ["SigningOrder", "Slot"]


class Slot(Protocol):
    """One signature field of the document and who signs it (a frozen dataclass)."""

    @property
    def field(self) -> str: ...
    @property
    def signer(self) -> str: ...
    @property
    def participant_id(self) -> str | None: ...
    @property
    def role(self) -> str: ...
    @property
    def signed_at(self) -> str | None: ...
    def as_json(self) -> dict[str, Any]: ...


S = TypeVar("S", bound=Slot)


def _open() -> None:
    return None


@dataclass(frozen=True)
class SigningOrder(Generic[S]):
    """`slots` in the order they sign; `collecting` while the document is out for signature;
    `closed` raises the owner's state-table refusal when a signature comes at another time;
    `refusers` are the slot roles whose holders may refuse to sign."""

    slots: tuple[S, ...]
    collecting: bool
    closed: Callable[[], object] = field(default=_open, compare=False, repr=False)
    refusers: frozenset[str] = frozenset()

    @property
    def fields(self) -> list[str]:
        return [s.field for s in self.slots]

    @property
    def next(self) -> S | None:
        """Whose turn it is; None when nothing is being collected or everyone has signed."""
        if not self.collecting:
            return None
        return next((s for s in self.slots if s.signed_at is None), None)

    def is_last(self, slot: S) -> bool:
        return bool(self.slots) and slot.field == self.slots[-1].field

    def check_turn(self, field_name: object) -> S:
        """The slot `field_name` if it is the next to sign; otherwise a conflict."""
        if not isinstance(field_name, str):
            raise InvalidInput("'field' must be a string")
        nxt = self.next
        if nxt is None:
            self.closed()  # raises: not collecting signatures
            raise Conflict("every signature is in already")
        if nxt.field != field_name:
            known = set(self.fields)
            if field_name not in known:
                raise InvalidInput(f"'field' must be in {sorted(known)} (got {field_name!r})")
            raise Conflict(f"signatures go in order: {nxt.field} ({nxt.signer}) signs next")
        return nxt

    def sign(self, field_name: str, at: str, **details: str) -> SigningOrder[S]:
        """The order after `field_name` signed at `at` (its turn checked first)."""
        self.check_turn(field_name)
        slots = tuple(dataclasses.replace(s, signed_at=at, **details)  # type: ignore[type-var]
                      if s.field == field_name else s for s in self.slots)
        return dataclasses.replace(self, slots=slots)

    @property
    def complete(self) -> bool:
        return bool(self.slots) and all(s.signed_at is not None for s in self.slots)

    def check_refusal(self, participant_id: str) -> None:
        """Only the holder of a slot in `refusers` may refuse to sign."""
        if participant_id not in {s.participant_id for s in self.slots
                                  if s.role in self.refusers}:
            who = " or ".join(sorted(self.refusers)) or "signer"
            raise PermissionDenied(f"only a {who} to the agreement may refuse to sign it")

    def as_json(self) -> list[dict[str, Any]]:
        return [s.as_json() for s in self.slots]
