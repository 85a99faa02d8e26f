from __future__ import annotations

import pytest

from hearings.domain.errors import IllegalTransition
from hearings.domain.states import (
    DOCUMENT,
    HEARING,
    MEDIATION,
    PARTICIPANT,
    RECORDING,
    DocumentState,
    HearingState,
    MediationState,
    ParticipantState,
    RecordingState,
)

H, P, R, M, D = HearingState, ParticipantState, RecordingState, MediationState, DocumentState


@pytest.mark.parametrize(
    ("machine", "path"),
    [
        (HEARING, [H.SCHEDULED, "open_doors", H.WAITING, "start", H.IN_SESSION, "pause",
                   H.PAUSED, "resume", H.IN_SESSION, "suspend", H.SUSPENDED, "resume",
                   H.IN_SESSION, "close", H.CLOSED]),
        (HEARING, [H.SCHEDULED, "cancel", H.CANCELLED]),
        (PARTICIPANT, [P.INVITED, "connect", P.JOINING, "enter_lobby", P.WAITING, "admit",
                       P.IN_HEARING, "enter_consultation", P.IN_CONSULTATION,
                       "leave_consultation", P.IN_HEARING, "drop", P.DISCONNECTED,
                       "rejoin_hearing", P.IN_HEARING, "remove", P.REMOVED]),
        (RECORDING, [R.STANDBY, "start", R.RECORDING, "pause", R.PAUSED, "resume",
                     R.RECORDING, "stop", R.PROCESSING, "finish", R.AVAILABLE]),
        (MEDIATION, [M.OPEN, "draft", M.AGREEMENT_DRAFTED, "start_signing", M.SIGNING,
                     "complete_signing", M.SIGNED, "request_confirmation",
                     M.CONFIRMATION_REQUESTED, "confirm", M.CONFIRMED]),
        (DOCUMENT, [D.DRAFTED, "start_signing", D.SIGNING, "seal", D.SEALED, "deliver",
                    D.DELIVERED, "deliver", D.DELIVERED]),
    ],
)
def test_allowed_paths(machine, path) -> None:  # type: ignore[no-untyped-def]
    state = path[0]
    for action, expected in zip(path[1::2], path[2::2], strict=True):
        state = machine.next(state, action)
        assert state == expected


@pytest.mark.parametrize("action", sorted(HEARING.actions()))
def test_closed_is_final(action: str) -> None:
    with pytest.raises(IllegalTransition) as err:
        HEARING.next(H.CLOSED, action)
    assert str(err.value) == f"cannot {action} a hearing that is closed"
    assert err.value.code == "hearing_closed"


def test_illegal_transition_names_state_and_action() -> None:
    with pytest.raises(IllegalTransition) as err:
        HEARING.next(H.SCHEDULED, "start")
    assert (err.value.state, err.value.action, err.value.code) == (
        "scheduled", "start", "illegal_transition")
    assert "cannot start a hearing that is scheduled" in str(err.value)


def test_every_live_state_can_close_and_nothing_else_can() -> None:
    closable = {s for s in H if "close" in HEARING.allowed(s)}
    assert closable == {H.WAITING, H.IN_SESSION, H.PAUSED, H.SUSPENDED}


def test_mediation_outcomes_are_final() -> None:
    for final in (M.CONFIRMED, M.REJECTED, M.WITHDRAWN):
        assert MEDIATION.allowed(final) == frozenset()
