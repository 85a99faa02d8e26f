"""One Case, One Code through the service layer, on SQLite and PostgreSQL: staff see the
code and set the parties' digits; a public query answers the stage and next date, refuses
every miss alike, locks a code after 5 misses, and is audited in aggregate."""

from __future__ import annotations

from typing import Any

import pytest

from hearings.domain.errors import InvalidInput, NotFound, PermissionDenied
from hearings.domain.inquiry import FactorKind, InquiryRefused, Stage, format_code
from hearings.services.access import CALLER, Caller
from hearings.services.inquiries import (
    INQUIRY_LIMIT,
    INQUIRY_WINDOW_SECONDS,
    Inquiries,
    InquiryLocked,
)
from tests.factories import Trial, make_trial
from web.http.throttle import FailureWindow


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def setup(services: Any) -> tuple[Inquiries, Trial, Clock]:
    clock = Clock()
    window = FailureWindow(INQUIRY_LIMIT, INQUIRY_WINDOW_SECONDS, clock=clock)
    inquiries = Inquiries(services.uow, window)
    trial = await make_trial(services)
    await inquiries.set_digits(trial.clerk_actor, trial.case.id,
                               trial.people["defendant"].id, id_number_last4="123X",
                               phone_last4="5678")
    return inquiries, trial, clock


async def audit_rows(services: Any, action: str) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from hearings.adapters.orm import audit_log
    async with services.uow() as uow:
        rows = (await uow.session.execute(sa.select(audit_log.c.payload).where(
            audit_log.c.action == action))).scalars().all()
    return [dict(r) for r in rows]


async def test_the_right_code_and_digits_answer_the_stage_and_next_date(
        setup: tuple[Inquiries, Trial, Clock]) -> None:
    inquiries, trial, _ = setup
    _, inquiry = await inquiries.of_case(trial.clerk_actor, trial.case.id)
    again = (await inquiries.of_case(trial.judge_actor, trial.case.id))[1]
    assert again.code == inquiry.code  # one code per case
    for digits in ("123x", "5678"):
        progress = await inquiries.ask(format_code(inquiry.code).lower(), digits)
        assert progress.stage is Stage.SCHEDULED
        assert progress.next_date == trial.hearing.scheduled_at


async def test_a_wrong_code_and_wrong_digits_are_one_refusal(
        setup: tuple[Inquiries, Trial, Clock]) -> None:
    inquiries, trial, _ = setup
    _, inquiry = await inquiries.of_case(trial.clerk_actor, trial.case.id)
    refusals = []
    for code, digits in [("0000-0000-0000", "5678"), (inquiry.code, "0000"),
                         (inquiry.code, "abc"), ("not a code", "5678")]:
        with pytest.raises(InquiryRefused) as info:
            await inquiries.ask(code, digits)
        refusals.append((type(info.value), info.value.code, info.value.message))
    assert len(set(refusals)) == 1
    assert isinstance(info.value, NotFound)


async def test_five_misses_lock_the_code_for_fifteen_minutes_audited_twice(
        services: Any, setup: tuple[Inquiries, Trial, Clock]) -> None:
    inquiries, trial, clock = setup
    _, inquiry = await inquiries.of_case(trial.clerk_actor, trial.case.id)
    token = CALLER.set(Caller("198.51.100.7", FailureWindow(5, 300)))
    try:
        for _ in range(INQUIRY_LIMIT):
            with pytest.raises(InquiryRefused):
                await inquiries.ask(inquiry.code, "0000")
        with pytest.raises(InquiryLocked) as locked:
            await inquiries.ask(inquiry.code, "5678")  # even the right digits
        assert locked.value.retry_after == pytest.approx(INQUIRY_WINDOW_SECONDS)
        assert locked.value.code == "too_many_attempts"
        rows = await audit_rows(services, "inquiry.refused")
        assert [r["count"] for r in rows] == [1, INQUIRY_LIMIT]
        assert rows[-1]["locked_for"] == INQUIRY_WINDOW_SECONDS
        assert rows[0]["case_id"] == trial.case.id and rows[0]["address"] == "198.51.100.7"
        clock.now += INQUIRY_WINDOW_SECONDS + 1
        assert (await inquiries.ask(inquiry.code, "5678")).stage is Stage.SCHEDULED
        for _ in range(3):
            await inquiries.ask(inquiry.code, "5678")
        assert [r["count"] for r in await audit_rows(services, "inquiry.answered")] == [1]
    finally:
        CALLER.reset(token)


async def test_an_unknown_code_is_locked_like_a_real_one(
        setup: tuple[Inquiries, Trial, Clock]) -> None:
    inquiries, _, _ = setup
    for _ in range(INQUIRY_LIMIT):
        with pytest.raises(InquiryRefused):
            await inquiries.ask("ZZZZ-ZZZZ-ZZZZ", "0000")
    with pytest.raises(InquiryLocked):
        await inquiries.ask("zzzz zzzz zzzz", "0000")


async def test_a_juvenile_or_switched_off_case_answers_like_not_found(
        setup: tuple[Inquiries, Trial, Clock]) -> None:
    inquiries, trial, _ = setup
    _, inquiry = await inquiries.of_case(trial.clerk_actor, trial.case.id)
    await inquiries.configure(trial.clerk_actor, trial.case.id, juvenile=True)
    with pytest.raises(InquiryRefused):
        await inquiries.ask(inquiry.code, "5678")
    await inquiries.configure(trial.clerk_actor, trial.case.id, enabled=True)
    assert (await inquiries.ask(inquiry.code, "5678")).stage is Stage.SCHEDULED
    case, inquiry = await inquiries.configure(trial.clerk_actor, trial.case.id,
                                              enabled=False, juvenile=False)
    assert (case.juvenile, inquiry.enabled) == (False, False)
    with pytest.raises(InquiryRefused):
        await inquiries.ask(inquiry.code, "5678")


async def test_only_the_courts_clerks_switch_it_and_set_digits(
        services: Any, setup: tuple[Inquiries, Trial, Clock]) -> None:
    inquiries, trial, _ = setup
    with pytest.raises(PermissionDenied):
        await inquiries.configure(trial.judge_actor, trial.case.id, enabled=False)
    other = await make_trial(services)
    with pytest.raises(PermissionDenied):
        await inquiries.configure(other.clerk_actor, trial.case.id, enabled=False)
    with pytest.raises(PermissionDenied):
        await inquiries.of_case(other.judge_actor, trial.case.id)
    with pytest.raises(NotFound):  # a participant of another case
        await inquiries.set_digits(trial.clerk_actor, trial.case.id,
                                   other.people["witness"].id, phone_last4="1111")
    with pytest.raises(InvalidInput):
        await inquiries.set_digits(trial.clerk_actor, trial.case.id,
                                   trial.people["witness"].id, phone_last4="12")


async def test_digits_are_stored_only_as_digests_and_can_be_forgotten(
        setup: tuple[Inquiries, Trial, Clock]) -> None:
    inquiries, trial, _ = setup
    _, inquiry = await inquiries.of_case(trial.clerk_actor, trial.case.id)
    kinds = await inquiries.set_digits(trial.clerk_actor, trial.case.id,
                                       trial.people["defendant"].id, phone_last4="")
    assert kinds == [FactorKind.ID_NUMBER]
    async with inquiries._uow() as uow:
        factors = await uow.inquiries.factors(trial.case.id)
    assert [f.kind for f in factors] == [FactorKind.ID_NUMBER]
    assert "123X" not in factors[0].digest and len(factors[0].digest) == 64
    with pytest.raises(InquiryRefused):
        await inquiries.ask(inquiry.code, "5678")


async def test_with_redis_every_process_counts_the_same_misses(
        services: Any, setup: tuple[Inquiries, Trial, Clock]) -> None:
    import secrets

    from tests.conftest import REDIS_URL
    from web.http.throttle import RedisFailureWindow

    _, trial, _ = setup
    _, inquiry = await setup[0].of_case(trial.clerk_actor, trial.case.id)
    prefix = f"yt:test-inquiry:{secrets.token_hex(4)}:"
    windows = [RedisFailureWindow(REDIS_URL, INQUIRY_LIMIT, INQUIRY_WINDOW_SECONDS,
                                  tally_prefix=prefix) for _ in range(2)]
    try:
        try:
            await windows[0].blocked_for("probe")
        except OSError as exc:
            from tests.conftest import unavailable
            unavailable("Redis", str(exc))
        one, two = (Inquiries(services.uow, w) for w in windows)  # two processes
        for process in (one, two, one, two, one):
            with pytest.raises(InquiryRefused):
                await process.ask(inquiry.code, "0000")
        with pytest.raises(InquiryLocked) as locked:
            await two.ask(inquiry.code, "5678")
        assert 0 < locked.value.retry_after <= INQUIRY_WINDOW_SECONDS
    finally:
        for window in windows:
            await window.close()
