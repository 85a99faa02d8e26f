"""Invitations and reminders by e-mail (issue 18.2), against a real SMTP server (aiosmtpd).

Each message carries the recipient's own join link (and the kiosk code for a participant
who comes to a clinic), minted when it is sent: the database holds only the token's digest,
never the secret. Reminders — a day and an hour before, in the court's time zone — are
written from the database (a fresh Outbox, as after a restart, writes none again) and never
twice of one kind to one recipient, even by two senders at once.

Times are the test's (`remind(now)`, the outbox's clock): no wall-clock waits.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from hearings.domain.errors import Conflict, InvalidInput, PermissionDenied
from hearings.domain.tokens import secret_digest
from hearings.services.notifications import Notification, Outbox
from tests.factories import Trial, make_trial
from tests.integration.test_email_service import Clock, Relay, mailer, smtp_server
from web.app.bootstrap import Services

TZ = ZoneInfo("Asia/Shanghai")
LINK = re.compile(r"https://yunting\.example\.cn/join/([0-9A-Z-]{39})")
KIOSK = re.compile(r"Kiosk code at the clinic: (\d{8})")


def outbox(services: Services, port: int | None = None, clock: Clock | None = None) -> Outbox:
    return Outbox(services.uow, mailer(port) if port else None, clock=clock or Clock(),
                  join_base="https://yunting.example.cn", court_tz=TZ)


async def consenting(services: Services, trial: Trial, *keys: str) -> None:
    for key in keys:
        await outbox(services).set_contact(trial.clerk_actor, trial.hearing.id,
                                           trial.people[key].id, f"{key}@example.cn", True)


async def all_rows(services: Services, trial: Trial) -> list[Notification]:
    async with services.uow() as uow:
        return await uow.outbox.of_hearing(trial.hearing.id)


def text_of(message: object) -> str:
    body = message.get_body(("plain",))  # type: ignore[attr-defined]
    return str(body.get_content())


async def test_an_invitation_carries_a_join_link_minted_at_send_time_never_stored(
        services: Services) -> None:
    trial = await make_trial(services)
    await consenting(services, trial, "witness")
    clerk, witness = trial.clerk_actor, trial.people["witness"]
    with pytest.raises(PermissionDenied):
        await outbox(services).invite(trial.judge_actor, trial.hearing.id, witness.id)
    with pytest.raises(InvalidInput):  # no address with consent
        await outbox(services).invite(clerk, trial.hearing.id, trial.people["lawyer"].id)
    note = await outbox(services).invite(clerk, trial.hearing.id, witness.id)
    with pytest.raises(Conflict):  # once per hearing time
        await outbox(services).invite(clerk, trial.hearing.id, witness.id)

    relay, clock = Relay(), Clock()
    async with smtp_server(relay) as port:
        relay.refuse = True  # the first attempt fails after its link was minted
        assert await outbox(services, port, clock).dispatch() == 0
        first = (await all_rows(services, trial))[0].join_token_id
        assert first is not None
        relay.refuse = False
        clock.now += timedelta(hours=1)
        assert await outbox(services, port, clock).dispatch() == 1
    [(rcpt, message)] = relay.messages
    assert rcpt == ["witness@example.cn"]
    text = text_of(message)
    secret = LINK.search(text)
    code = KIOSK.search(text)
    assert secret is not None and code is not None, text
    assert "https://yunting.example.cn/api/served/" in text  # the delivery link too

    # the link opens the hearing; the earlier attempt's link is revoked
    admission = await services.access.admit_token(secret.group(1))
    assert admission.participant.id == witness.id
    async with services.uow() as uow:
        tokens = {t.id: t for t in await uow.tokens.of_participant(witness.id)}
        sent = await uow.outbox.get(note.id)
    assert tokens[first].revoked_at is not None
    assert sent.join_token_id != first and tokens[sent.join_token_id].revoked_at is None
    assert tokens[sent.join_token_id].digest == secret_digest(secret.group(1))

    # no join secret or kiosk code is anywhere in the notifications table
    async with services.uow() as uow:
        rows = (await uow.session.execute(sa.text("SELECT * FROM notifications"))).all()
    dump = repr(rows)
    assert secret.group(1) not in dump and secret.group(1).replace("-", "") not in dump
    assert code.group(1) not in dump


async def test_reminders_a_day_and_an_hour_before_once_each_from_the_database(
        services: Services) -> None:
    trial = await make_trial(services)
    await consenting(services, trial, "witness", "defendant")
    at = trial.hearing.scheduled_at

    assert await outbox(services).remind(at - timedelta(hours=25)) == 0  # not yet due
    assert await outbox(services).remind(at - timedelta(hours=23)) == 2  # the day before
    assert await outbox(services).remind(at - timedelta(hours=22)) == 0  # a new process too
    # two senders at the same moment write the hour's reminders once
    counts = await asyncio.gather(outbox(services).remind(at - timedelta(minutes=50)),
                                  outbox(services).remind(at - timedelta(minutes=50)))
    assert sorted(counts) == [0, 2]
    assert await outbox(services).remind(at - timedelta(minutes=10)) == 0
    assert await outbox(services).remind(at + timedelta(minutes=1)) == 0  # past: nothing

    rows = await all_rows(services, trial)
    kinds = sorted((n.kind, n.recipient) for n in rows)
    people = sorted([trial.people["witness"].id, trial.people["defendant"].id])
    assert kinds == sorted([("reminder_day", p) for p in people]
                           + [("reminder_hour", p) for p in people])
    # the lawyer (no address) and the judge (staff) get none

    relay = Relay()
    async with smtp_server(relay) as port:
        assert await outbox(services, port).dispatch() == 4
    texts = [text_of(m) for _, m in relay.messages]
    when = at.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
    assert all(when in t and "Asia/Shanghai" in t and LINK.search(t) for t in texts), texts
    subjects = sorted(m["Subject"] for _, m in relay.messages)
    assert sum("明天" in s for s in subjects) == 2 and sum("一小时" in s for s in subjects) == 2
    # the witness comes to the clinic: a kiosk code; the defendant (detention) too
    assert all(KIOSK.search(t) for t in texts)


async def test_a_closed_hearing_gets_no_reminder(services: Services) -> None:
    trial = await make_trial(services)
    await consenting(services, trial, "witness")
    from hearings.domain.commands import ChangeHearing

    await services.control.change_hearing(trial.clerk_actor, ChangeHearing(
        trial.hearing.id, "cancel"))
    assert await outbox(services).remind(trial.hearing.scheduled_at - timedelta(minutes=30)) \
        == 0


async def test_a_rescheduled_hearing_tells_whoever_consented_with_a_fresh_link(
        services: Services) -> None:
    from hearings.services.rescheduling import Rescheduling

    trial = await make_trial(services)
    await consenting(services, trial, "witness")
    rescheduling = Rescheduling(services.uow, court_tz=TZ)
    later = trial.hearing.scheduled_at + timedelta(days=3)
    with pytest.raises(PermissionDenied):  # the judge does not keep the calendar
        await rescheduling.reschedule(trial.judge_actor, trial.hearing.id, later)
    with pytest.raises(InvalidInput):
        await rescheduling.reschedule(trial.clerk_actor, trial.hearing.id,
                                      trial.hearing.scheduled_at - timedelta(days=1))
    hearing, notices = await rescheduling.reschedule(trial.clerk_actor, trial.hearing.id, later)
    assert hearing.scheduled_at == later and notices == 1
    assert (await rescheduling.reschedule(trial.clerk_actor, trial.hearing.id, later))[1] == 0
    # the old time's reminders are not due any more; the new time's are, once
    assert await outbox(services).remind(later - timedelta(hours=20)) == 1

    relay = Relay()
    async with smtp_server(relay) as port:
        assert await outbox(services, port).dispatch() == 2
    texts = {m["Subject"]: text_of(m) for _, m in relay.messages}
    moved = next(t for s, t in texts.items() if "改期" in s)
    assert later.astimezone(TZ).strftime("%Y-%m-%d %H:%M") in moved and LINK.search(moved)

    from hearings.domain.commands import ChangeHearing
    await services.control.change_hearing(trial.clerk_actor, ChangeHearing(
        trial.hearing.id, "open_doors"))
    with pytest.raises(Conflict):  # doors open: too late to move it
        await rescheduling.reschedule(trial.clerk_actor, trial.hearing.id,
                                      later + timedelta(days=1))
