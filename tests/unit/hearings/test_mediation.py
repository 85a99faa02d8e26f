"""The mediation aggregate: terms, signing order, refusal, and the MEDIATION table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hearings.domain.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from hearings.domain.mediation import AgreementTerm, Mediation
from hearings.domain.participants import Participant, Role
from hearings.domain.states import MediationState

TERM = {"obligor": "陈国富", "obligee": "刘桂兰", "obligation": "赔偿修复费用",
        "amount_yuan": "3200.50", "deadline": "2026-12-31"}


def people() -> tuple[list[Participant], Participant]:
    parties = [Participant("h", "刘桂兰", Role.PARTY), Participant("h", "陈国富", Role.PARTY)]
    return parties, Participant("h", "周建国", Role.MEDIATOR)


def signing() -> Mediation:
    m = Mediation("h", "c")
    m.draft("事实", [AgreementTerm.from_json(TERM)])
    parties, mediator = people()
    m.start_signing("doc1", parties, mediator, mediator.name)
    return m


def test_a_term_round_trips_and_keeps_the_exact_amount() -> None:
    term = AgreementTerm.from_json(TERM)
    assert term.amount_yuan == Decimal("3200.50")
    assert term.as_json() == TERM


@pytest.mark.parametrize(("change", "message"), [
    ({"amount_yuan": "-1"}, "'amount_yuan' must be a non-negative amount"),
    ({"amount_yuan": "1.005"}, "at most 2 decimals"),
    ({"amount_yuan": "abc"}, "'amount_yuan' must be a decimal amount"),
    ({"amount_yuan": True}, "'amount_yuan' must be a number"),
    ({"deadline": "31/12/2026"}, "'deadline' must be a date YYYY-MM-DD"),
    ({"obligation": "  "}, "'obligation' must be a non-empty string"),
    ({"extra": 1}, "unknown term field(s): ['extra']"),
])
def test_bad_terms_are_named(change: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        AgreementTerm.from_json(TERM | change)


def test_parties_sign_in_order_then_the_mediator() -> None:
    m = signing()
    assert [s.field for s in m.slots] == ["party1", "party2", "mediator"]
    with pytest.raises(Conflict, match="party1"):
        m.record_signature("party2")
    assert m.record_signature("party1") is False
    assert m.next_slot is not None and m.next_slot.field == "party2"
    m.record_signature("party2")
    assert m.record_signature("mediator") is True
    assert m.state is MediationState.SIGNED
    with pytest.raises(IllegalTransition):
        m.record_signature("mediator")


def test_an_unknown_field_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="'field' must be in"):
        signing().record_signature("judge")


def test_refusal_goes_back_to_drafting_and_drops_the_signatures() -> None:
    m = signing()
    m.record_signature("party1")
    party2 = m.slots[1].participant_id
    assert party2 is not None
    m.refuse(party2, "赔偿金额不对")
    assert m.state is MediationState.AGREEMENT_DRAFTED
    assert m.signing == [] and m.document_id is None and m.refusal == "赔偿金额不对"
    m.draft("事实", [AgreementTerm.from_json(TERM | {"amount_yuan": "4000"})])
    assert m.refusal is None


def test_only_a_party_refuses() -> None:
    with pytest.raises(PermissionDenied):
        signing().refuse("someone-else", "no")


def test_confirmation_follows_signing_only() -> None:
    m = Mediation("h", "c")
    with pytest.raises(IllegalTransition):
        m.request_confirmation("a1")
    m = signing()
    for f in ("party1", "party2", "mediator"):
        m.record_signature(f)
    m.request_confirmation("a1")
    m.decide(confirmed=True)
    assert m.state is MediationState.CONFIRMED


def test_an_agreement_needs_two_parties_and_a_term() -> None:
    m = Mediation("h", "c")
    with pytest.raises(InvalidInput, match="at least one obligation"):
        m.draft("事实", [])
    m.draft("事实", [AgreementTerm.from_json(TERM)])
    parties, mediator = people()
    with pytest.raises(InvalidInput, match="at least 2 parties"):
        m.start_signing("d", parties[:1], mediator, mediator.name)
