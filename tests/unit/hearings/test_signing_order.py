"""The signing order shared by the mediation agreement and the transcript."""

from __future__ import annotations

import pytest

from hearings.domain.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from hearings.domain.mediation import SigningSlot
from hearings.domain.signing_order import SigningOrder
from hearings.domain.states import MEDIATION, MediationState


def order(collecting: bool = True, state: MediationState = MediationState.SIGNING
          ) -> SigningOrder[SigningSlot]:
    return SigningOrder((SigningSlot("party1", "刘桂兰", "p1", "party"),
                         SigningSlot("party2", "陈国富", "p2", "party"),
                         SigningSlot("mediator", "周建国", "m", "mediator")),
                        collecting=collecting, closed=lambda: MEDIATION.next(state, "sign"),
                        refusers=frozenset({"party"}))


def test_slots_sign_in_turn_and_the_order_is_a_value() -> None:
    start = order()
    assert start.next is not None and start.next.field == "party1"
    after = start.sign("party1", "2026-12-02T10:00:00+00:00")
    assert start.next.field == "party1"  # unchanged: sign returns a new order
    assert after.next is not None and after.next.field == "party2"
    assert after.slots[0].signed_at == "2026-12-02T10:00:00+00:00"
    assert after.as_json()[0]["signed_at"] == "2026-12-02T10:00:00+00:00"
    done = after.sign("party2", "t2").sign("mediator", "t3")
    assert done.next is None and done.complete
    assert done.is_last(done.slots[-1]) and not done.is_last(done.slots[0])
    assert done.fields == ["party1", "party2", "mediator"]


def test_out_of_turn_unknown_and_non_string_fields_are_refused() -> None:
    with pytest.raises(Conflict, match=r"signatures go in order: party1 \(刘桂兰\) signs next"):
        order().check_turn("party2")
    with pytest.raises(InvalidInput, match="'field' must be in"):
        order().check_turn("judge")
    with pytest.raises(InvalidInput, match="'field' must be a string"):
        order().check_turn(3)


def test_outside_signing_the_owners_state_table_refuses() -> None:
    with pytest.raises(IllegalTransition):
        order(collecting=False, state=MediationState.AGREEMENT_DRAFTED).check_turn("party1")
    assert order(collecting=False).next is None


def test_every_signature_in_is_a_conflict_when_the_table_allows_signing() -> None:
    full = SigningOrder((SigningSlot("party1", "a", "p1", "party", signed_at="t"),),
                        collecting=True)
    with pytest.raises(Conflict, match="every signature is in already"):
        full.check_turn("party1")


def test_only_a_refusing_role_may_refuse() -> None:
    order().check_refusal("p2")
    with pytest.raises(PermissionDenied, match="only a party to the agreement may refuse"):
        order().check_refusal("m")
    with pytest.raises(PermissionDenied):
        SigningOrder(order().slots, collecting=True).check_refusal("p1")
