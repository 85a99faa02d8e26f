"""The service layer on the real databases: SQLite and PostgreSQL run the same tests."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from hearings.adapters.audit_store import read_chain
from hearings.domain.actors import SYSTEM
from hearings.domain.audit import AuditEntry, chain, verify_chain
from hearings.domain.cases import CaseType
from hearings.domain.commands import (
    ChangeHearing,
    ChangeParticipant,
    CreateCourt,
    OpenCase,
)
from hearings.domain.errors import (
    IllegalTransition,
    PermissionDenied,
    TokenRefused,
    Unauthenticated,
)
from tests.conftest import AUDIT_KEY
from tests.factories import make_trial
from web.app.bootstrap import Services


async def test_trial_round_trips_through_the_database(services: Services) -> None:
    trial = await make_trial(services)
    hearing = await services.scheduling.hearing(trial.clerk_actor, trial.hearing.id)
    assert [p.name for p in hearing.participants] == ["审判员李明", "张某", "律师赵敏", "村民刘大山"]
    assert hearing.scheduled_at.tzinfo is not None
    today = hearing.scheduled_at.astimezone(services.scheduling._court_tz).date()
    listed = await services.scheduling.hearings_of_day(trial.clerk_actor, today)
    assert trial.hearing.id in [h.id for h in listed]
    tomorrow = await services.scheduling.hearings_of_day(
        trial.clerk_actor, today + timedelta(days=1))
    assert trial.hearing.id not in [h.id for h in tomorrow]


async def test_hearing_lifecycle_and_illegal_transition(services: Services) -> None:
    trial = await make_trial(services)
    ctl = services.control
    await ctl.change_hearing(trial.clerk_actor, ChangeHearing(trial.hearing.id, "open_doors"))
    with pytest.raises(PermissionDenied):
        await ctl.change_hearing(trial.clerk_actor, ChangeHearing(trial.hearing.id, "start"))
    h = await ctl.change_hearing(trial.judge_actor, ChangeHearing(trial.hearing.id, "start"))
    assert (h.state, h.recording_state) == ("in_session", "recording")
    await ctl.change_hearing(trial.judge_actor, ChangeHearing(trial.hearing.id, "close"))
    with pytest.raises(IllegalTransition) as err:
        await ctl.change_hearing(trial.judge_actor, ChangeHearing(trial.hearing.id, "start"))
    assert err.value.code == "hearing_closed"
    stored = await services.scheduling.hearing(SYSTEM, trial.hearing.id)
    assert stored.state == "closed"


async def test_lobby_admission_and_removal_revokes_the_link(services: Services) -> None:
    trial = await make_trial(services)
    admission = await services.access.admit_token(trial.links["witness"], trial.hearing.id)
    me = admission.actor
    for action in ("connect", "enter_lobby"):
        await services.control.change_participant(
            me, ChangeParticipant(trial.hearing.id, me.id, action))
    with pytest.raises(PermissionDenied):
        await services.control.change_participant(
            me, ChangeParticipant(trial.hearing.id, me.id, "admit"))
    p = await services.control.change_participant(
        trial.judge_actor, ChangeParticipant(trial.hearing.id, me.id, "admit"))
    assert p.state == "in_hearing"
    await services.control.change_participant(
        trial.judge_actor, ChangeParticipant(trial.hearing.id, me.id, "remove"))
    with pytest.raises(TokenRefused) as err:
        await services.access.admit_token(trial.links["witness"], trial.hearing.id)
    assert err.value.code == "revoked"


async def test_token_for_one_hearing_never_opens_another_and_is_audited(
    services: Services,
) -> None:
    a = await make_trial(services)
    b = await make_trial(services)
    with pytest.raises(TokenRefused) as err:
        await services.access.admit_token(a.links["defendant"], b.hearing.id)
    assert err.value.code == "wrong_hearing"
    async with services.uow() as uow:
        refusals = [e for e in await uow.audit.entries(b.hearing.id)
                    if e.action == "token.refused"]
    assert refusals and refusals[-1].payload["reason"] == "wrong_hearing"


async def test_login_and_sessions(services: Services) -> None:
    trial = await make_trial(services)
    with pytest.raises(Unauthenticated):
        await services.access.login(trial.clerk.username, "wrong-password")
    logged = await services.access.login(trial.clerk.username, "clerk-password-1")
    session, user = await services.access.session(logged.secret)
    assert user.id == trial.clerk.id and session.csrf_token
    await services.access.logout(logged.secret)
    with pytest.raises(Unauthenticated):
        await services.access.session(logged.secret)


async def test_confirmation_case_numbers_follow_the_court_sequence(services: Services) -> None:
    court = await services.scheduling.create_court(SYSTEM, CreateCourt("渝北区法院", "渝0112"))
    numbers = []
    for _ in range(3):
        case = await services.scheduling.open_case(SYSTEM, OpenCase(
            court.id, CaseType.CIVIL, "司法确认", procedure="民特", year=2026))
        numbers.append(case.number)
    assert numbers == ["(2026)渝0112民特1号", "(2026)渝0112民特2号", "(2026)渝0112民特3号"]


TAMPERING = {
    "edited": "UPDATE audit_log SET payload = '{\"forged\": true}' WHERE seq = 3",
    "deleted": "DELETE FROM audit_log WHERE seq = 3",
    "reordered": "",
}


@pytest.mark.parametrize("kind", [*TAMPERING, "inserted"])
async def test_audit_tampering_behind_the_applications_back_is_named(
    services: Services, kind: str
) -> None:
    await make_trial(services)
    async with services.uow() as uow:
        assert verify_chain(await uow.audit.entries(), AUDIT_KEY).ok
    async with services.database.engine.begin() as conn:
        if kind == "inserted":
            last = (await conn.execute(sa.text(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"))).one()
            forged = chain(AuditEntry(seq=last.seq + 1, actor="staff:x", action="hearing.close",
                                      hearing_id=None, payload={}, prev_hash=last.hash),
                           b"attacker does not have the key")
            await conn.execute(sa.text(
                "INSERT INTO audit_log (seq, at, actor, action, hearing_id, payload, prev_hash, "
                "hash, tag) VALUES (:seq, :at, :actor, :action, NULL, '{}', :prev, :hash, :tag)"),
                {"seq": forged.seq, "at": forged.at.replace(tzinfo=None), "actor": forged.actor,
                 "action": forged.action, "prev": forged.prev_hash, "hash": forged.hash,
                 "tag": forged.tag})
        else:
            if kind == "reordered":
                # Swap rows 3 and 4 through a spare number: seq is the primary key.
                await conn.execute(sa.text("UPDATE audit_log SET seq = -3 WHERE seq = 3"))
                await conn.execute(sa.text("UPDATE audit_log SET seq = 3 WHERE seq = 4"))
                await conn.execute(sa.text("UPDATE audit_log SET seq = 4 WHERE seq = -3"))
            else:
                await conn.execute(sa.text(TAMPERING[kind]))
    async with services.database.sessions() as session:
        verdict = verify_chain(await read_chain(session), AUDIT_KEY)
    assert not verdict.ok
    expected_seq = {"edited": 3, "deleted": 3, "reordered": 3}.get(kind)
    assert verdict.problem == ("forged" if kind == "inserted" else kind)
    if expected_seq:
        assert verdict.first_bad_seq == expected_seq

