"""One Case, One Code: the code's alphabet and forgiving input, the digits, the stage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hearings.domain.errors import InvalidInput
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.inquiry import (
    CODE_ALPHABET,
    CaseInquiry,
    Stage,
    factor_digest,
    format_code,
    last4,
    matches,
    new_code,
    normalize_code,
    progress_of,
)
from hearings.domain.mediation import Mediation
from hearings.domain.states import HearingState, MediationState

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_a_code_is_twelve_unambiguous_characters_printed_in_groups() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 12 and set(code) <= set(CODE_ALPHABET)
        assert not set(code) & set("ILOU")
    assert format_code("7KQ2M9XD4HFT") == "7KQ2-M9XD-4HFT"


@pytest.mark.parametrize("typed", ["7kq2-m9xd-4hft", " 7KQ2 M9XD 4HFT ", "7KQ2M9XD4HFT"])
def test_typed_codes_ignore_case_spaces_and_dashes(typed: str) -> None:
    assert normalize_code(typed) == "7KQ2M9XD4HFT"


def test_letters_that_look_like_digits_read_as_the_digits() -> None:
    assert normalize_code("OKQ2-M9XD-4HFI") == "0KQ2M9XD4HF1"
    assert normalize_code("LKQ2-M9XD-4HF0") == "1KQ2M9XD4HF0"


@pytest.mark.parametrize("typed", ["", "7KQ2-M9XD", "7KQ2-M9XD-4HFTX", "7KQ2-M9XD-4HF!",
                                   "U" * 12, None, 12, "7" * 100])
def test_what_cannot_be_a_code_is_none(typed: object) -> None:
    assert normalize_code(typed) is None


def test_the_digits_are_four_and_an_id_number_may_end_in_x() -> None:
    assert last4("0123", "d") == "0123"
    assert last4("123x", "d") == "123X"
    for bad in ("123", "12345", "12a4", "１２３４", 1234, None):
        with pytest.raises(InvalidInput):
            last4(bad, "d")


def test_digits_are_salted_by_the_case_and_compared_against_every_digest() -> None:
    assert factor_digest("a" * 32, "1234") != factor_digest("b" * 32, "1234")
    digests = [factor_digest("a" * 32, "1111"), factor_digest("a" * 32, "1234")]
    assert matches("1234", "a" * 32, digests)
    assert not matches("1234", "b" * 32, digests)
    assert not matches("9999", "a" * 32, digests)


def test_a_juvenile_case_is_off_until_a_clerk_turns_it_on() -> None:
    class Case:
        juvenile = True

    inquiry = CaseInquiry("c" * 32)
    assert not inquiry.is_open(Case())  # type: ignore[arg-type]
    inquiry.enabled = True
    assert inquiry.is_open(Case())  # type: ignore[arg-type]
    Case.juvenile = False
    inquiry.enabled = False
    assert not inquiry.is_open(Case())  # type: ignore[arg-type]


def hearing(state: HearingState, at: datetime, kind: HearingKind = HearingKind.TRIAL
            ) -> Hearing:
    return Hearing(case_id="c" * 32, kind=kind, title="t", scheduled_at=at, state=state)


def test_the_stage_is_the_furthest_the_case_has_reached() -> None:
    soon, past = NOW + timedelta(days=3), NOW - timedelta(days=3)
    assert progress_of([], [], [], NOW) == progress_of([], [], [], NOW)
    assert progress_of([], [], [], NOW).stage is Stage.FILED
    scheduled = progress_of([hearing(HearingState.SCHEDULED, soon)], [], [], NOW)
    assert (scheduled.stage, scheduled.next_date) == (Stage.SCHEDULED, soon)
    cancelled = progress_of([hearing(HearingState.CANCELLED, soon)], [], [], NOW)
    assert (cancelled.stage, cancelled.next_date) == (Stage.FILED, None)
    heard = progress_of([hearing(HearingState.CLOSED, past),
                         hearing(HearingState.SCHEDULED, soon)], [], [], NOW)
    assert (heard.stage, heard.next_date) == (Stage.HEARD, soon)
    m = hearing(HearingState.CLOSED, past, HearingKind.MEDIATION)
    mediation = Mediation(hearing_id=m.id, case_id="c" * 32)
    mediation.state = MediationState.SIGNED
    assert progress_of([m], [mediation], [], NOW).stage is Stage.MEDIATED
    mediation.state = MediationState.CONFIRMED
    assert progress_of([m], [mediation], [], NOW).stage is Stage.CONCLUDED
