"""The mediation aggregate: agreement terms drafted by the mediator, signed in order, confirmed.

Its state moves only through the MEDIATION table (hearings/domain/states.py). Signing order is
every party in the order they were invited, then the mediator; a party refusing to sign
sends the agreement back to drafting and clears the signatures collected so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hearings.domain.errors import InvalidInput
from hearings.domain.identity import new_id, utcnow
from hearings.domain.participants import Participant, Role
from hearings.domain.signing_order import SigningOrder
from hearings.domain.states import MEDIATION, MediationState
from hearings.domain.values import long_text, text

__all__ = ["PARTY_ROLES", "AgreementTerm", "Mediation", "SigningSlot"]

# Who signs a mediation agreement as a party.
PARTY_ROLES = frozenset({Role.PARTY, Role.PLAINTIFF, Role.DEFENDANT})
MAX_TERMS = 50


@dataclass(frozen=True)
class AgreementTerm:
    """One obligation: who owes whom what, how much and by when."""

    obligor: str
    obligee: str
    obligation: str
    amount_yuan: Decimal | None = None
    deadline: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "obligor", text(self.obligor, "obligor"))
        object.__setattr__(self, "obligee", text(self.obligee, "obligee"))
        object.__setattr__(self, "obligation", long_text(self.obligation, "obligation",
                                                         max_length=2000))
        if self.amount_yuan is not None:
            if not self.amount_yuan.is_finite() or self.amount_yuan < 0:
                raise InvalidInput(f"'amount_yuan' must be a non-negative amount "
                                   f"(got {self.amount_yuan})")
            if self.amount_yuan.as_tuple().exponent < -2:  # type: ignore[operator]
                raise InvalidInput(f"'amount_yuan' has at most 2 decimals (got {self.amount_yuan})")

    @classmethod
    def from_json(cls, data: object) -> AgreementTerm:
        if not isinstance(data, dict):
            raise InvalidInput(f"a term must be an object (got {type(data).__name__})")
        unknown = set(data) - {"obligor", "obligee", "obligation", "amount_yuan", "deadline"}
        if unknown:
            raise InvalidInput(f"unknown term field(s): {sorted(unknown)}")
        return cls(data.get("obligor"), data.get("obligee"),  # type: ignore[arg-type]
                   data.get("obligation"), _amount(data.get("amount_yuan")),  # type: ignore[arg-type]
                   _date(data.get("deadline")))

    def as_json(self) -> dict[str, Any]:
        return {"obligor": self.obligor, "obligee": self.obligee, "obligation": self.obligation,
                "amount_yuan": None if self.amount_yuan is None else str(self.amount_yuan),
                "deadline": None if self.deadline is None else self.deadline.isoformat()}


def _amount(value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidInput(f"'amount_yuan' must be a number or a decimal string (got {value!r})")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"'amount_yuan' must be a decimal amount (got {value!r})") from None


def _date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(f"'deadline' must be a date YYYY-MM-DD (got {value!r})")


@dataclass(frozen=True)
class SigningSlot:
    field: str  # the document's signature field: party1, party2, ..., mediator
    signer: str
    participant_id: str | None
    role: str  # party | mediator
    signed_at: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "signer": self.signer,
                "participant_id": self.participant_id, "role": self.role,
                "signed_at": self.signed_at}


@dataclass(eq=False)
class Mediation:
    """One mediation hearing's agreement; `terms` and `signing` are stored as JSON lists."""

    hearing_id: str
    case_id: str
    state: MediationState = MediationState.OPEN
    facts: str | None = None
    terms: list[dict[str, Any]] = field(default_factory=list)
    signing: list[dict[str, Any]] = field(default_factory=list)
    document_id: str | None = None
    application_id: str | None = None
    refusal: str | None = None
    id: str = field(default_factory=new_id)
    updated_at: datetime = field(default_factory=utcnow)

    # -- reading -------------------------------------------------------------------------
    @property
    def agreement_terms(self) -> list[AgreementTerm]:
        return [AgreementTerm.from_json(t) for t in self.terms]

    @property
    def order(self) -> SigningOrder[SigningSlot]:
        """The signing order: every party as invited, then the mediator; a party may refuse."""
        return SigningOrder(tuple(SigningSlot(**s) for s in self.signing),
                            collecting=self.state is MediationState.SIGNING,
                            closed=lambda: MEDIATION.next(self.state, "sign"),
                            refusers=frozenset({"party"}))

    @property
    def slots(self) -> list[SigningSlot]:
        return list(self.order.slots)

    @property
    def next_slot(self) -> SigningSlot | None:
        return self.order.next

    # -- moving --------------------------------------------------------------------------
    def _move(self, action: str) -> None:
        self.state = MEDIATION.next(self.state, action)
        self.updated_at = utcnow()

    def draft(self, facts: str, terms: list[AgreementTerm]) -> None:
        if not terms:
            raise InvalidInput("'terms' must list at least one obligation")
        if len(terms) > MAX_TERMS:
            raise InvalidInput(f"'terms' must list at most {MAX_TERMS} obligations "
                               f"(got {len(terms)})")
        facts = long_text(facts, "facts", max_length=5000)
        self._move("draft")
        self.facts, self.terms = facts, [t.as_json() for t in terms]
        self.refusal = None
        self.document_id, self.signing = None, []

    def start_signing(self, document_id: str, parties: list[Participant],
                      mediator: Participant | None, mediator_name: str) -> None:
        if len(parties) < 2:
            raise InvalidInput(f"a mediation agreement needs at least 2 parties "
                               f"(got {len(parties)})")
        self._move("start_signing")
        slots = [SigningSlot(f"party{i}", p.name, p.id, "party")
                 for i, p in enumerate(parties, 1)]
        slots.append(SigningSlot("mediator", mediator_name,
                                 mediator.id if mediator else None, "mediator"))
        self.document_id = document_id
        self.signing = [s.as_json() for s in slots]

    def check_turn(self, field_name: str) -> SigningSlot:
        """The slot `field_name` if it is the next to sign; otherwise a conflict."""
        return self.order.check_turn(field_name)

    def record_signature(self, field_name: str) -> bool:
        """Mark the field signed; True when that was the last one (state → signed)."""
        order = self.order.sign(field_name, utcnow().isoformat())
        self.signing = order.as_json()
        if order.next is None:
            self._move("complete_signing")
            return True
        self.updated_at = utcnow()
        return False

    def refuse(self, participant_id: str, reason: str) -> None:
        reason = long_text(reason, "reason", max_length=1000)
        self.order.check_refusal(participant_id)
        self._move("refuse")
        # The signed copy is abandoned: a redrafted agreement is a new document.
        self.refusal, self.signing, self.document_id = reason, [], None

    def request_confirmation(self, application_id: str) -> None:
        self._move("request_confirmation")
        self.application_id = application_id

    def decide(self, confirmed: bool) -> None:
        self._move("confirm" if confirmed else "reject")

    def withdraw(self) -> None:
        self._move("withdraw")
