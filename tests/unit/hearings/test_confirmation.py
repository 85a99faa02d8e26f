"""Judicial confirmation in the domain: the application's states, grounds, the duty roster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hearings.domain.confirmation import (
    GROUNDS,
    ApplicationState,
    DutyRoster,
    DutyShift,
    JudicialConfirmation,
    check_grounds,
    reject_basis,
)
from hearings.domain.errors import IllegalTransition, InvalidInput

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def application() -> JudicialConfirmation:
    return JudicialConfirmation("court", "case", "(2026)渝0112民特1号", "h", "doc")


def test_taken_once_decided_once_with_timings() -> None:
    app = application()
    app.take("judge-a", NOW)
    with pytest.raises(IllegalTransition):
        app.take("judge-b")
    assert app.judge_joined(NOW + timedelta(seconds=30)) is True
    assert app.judge_joined() is False  # the first arrival counts
    app.decide("confirm", [], "", "ruling", NOW + timedelta(minutes=5))
    app.delivered(NOW + timedelta(minutes=5, milliseconds=900))
    assert app.state is ApplicationState.DECIDED and app.decision == "confirmed"
    assert app.decide_to_delivered_ms == pytest.approx(900)
    assert set(app.timings()) >= {"applied", "taken", "judge_joined", "decided", "delivered"}
    with pytest.raises(IllegalTransition):
        app.withdraw(None)


def test_withdrawn_before_or_after_taking_but_not_after_deciding() -> None:
    app = application()
    app.withdraw("双方和好")
    assert app.state is ApplicationState.WITHDRAWN
    with pytest.raises(IllegalTransition):
        app.take("judge")
    app = application()
    app.take("judge")
    app.withdraw(None)
    with pytest.raises(IllegalTransition):
        app.decide("confirm", [], "", "r", NOW)


@pytest.mark.parametrize(("decision", "grounds", "message"), [
    ("approve", [], "'decision' must be in"),
    ("reject", [], "at least one ground"),
    ("reject", ["bogus"], "'grounds' must be in"),
    ("reject", "not_voluntary", "must be a list"),
    ("confirm", ["not_voluntary"], "takes no rejection grounds"),
])
def test_bad_decisions_are_named(decision: str, grounds: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_grounds(decision, grounds, None)


def test_rejection_names_its_provisions() -> None:
    codes, free = check_grounds("reject", ["not_voluntary", "not_voluntary"], " 受胁迫 ")
    assert codes == ["not_voluntary"] and free == "受胁迫"
    assert "第二百零六条" in reject_basis(codes) and "第三百五十八条第四项" in reject_basis(codes)
    assert all(g.basis and g.label_zh for g in GROUNDS.values())


def test_the_roster_covers_shifts_and_standing_duty() -> None:
    shifts = (DutyShift("c", "a", NOW - timedelta(hours=1), NOW + timedelta(hours=1)),
              DutyShift("c", "b", NOW + timedelta(hours=2)))
    roster = DutyRoster("c", shifts, frozenset({"s"}))
    assert roster.judges(NOW) == {"a", "s"}
    assert roster.on_duty("b", NOW + timedelta(hours=3))
    with pytest.raises(InvalidInput):
        DutyShift("c", "a", NOW, NOW)


@pytest.mark.parametrize("reasons", ["受\u202e胁迫", "受\x00胁迫", "受\udfff胁迫", "受" * 5001])
def test_free_reasons_follow_the_text_rule(reasons: str) -> None:
    with pytest.raises(InvalidInput, match="'reasons'"):
        check_grounds("reject", ["not_voluntary"], reasons)


def test_free_reasons_keep_their_lines() -> None:
    assert check_grounds("reject", ["not_voluntary"], "一、受胁迫\r\n二、未到场")[1] == (
        "一、受胁迫\n二、未到场")
