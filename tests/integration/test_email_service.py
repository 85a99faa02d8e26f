"""Electronic service by e-mail (issue 18.2): a notification to a party who consented reaches
a real SMTP server (aiosmtpd on 127.0.0.1) with the recipient's own delivery link; a relay
that refuses (451) or is not there is retried with growing delays and given up at the cap;
the clerk sees it undelivered and resends it, and it is delivered.

Times are the outbox's clock, advanced by the test: no wall-clock waits or timings.
"""

from __future__ import annotations

import asyncio
import email
import itertools
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from email import policy as email_policy
from email.message import Message

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from hearings.domain.errors import Conflict, InvalidInput, PermissionDenied
from hearings.domain.identity import utcnow
from hearings.services.notifications import Backoff, Notification, Outbox
from tests.factories import Trial, make_trial
from web.app.bootstrap import Services
from web.bridges.mail import MailError, SmtpNotifier
from web.bridges.notifiers import ChannelNotifier


class Relay:
    """A mail relay that takes messages, or answers 451 (try later) while `refuse` is set."""

    def __init__(self) -> None:
        self.refuse = False
        self.tries = 0
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.tries += 1
        if self.refuse:
            return "451 4.3.0 mailbox busy, try again later"
        assert isinstance(envelope.content, bytes)
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(
            envelope.content, policy=email_policy.default)))
        return "250 OK"


@asynccontextmanager
async def smtp_server(relay: Relay) -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(relay, hostname="relay.test"),
                                      "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def mailer(port: int) -> ChannelNotifier:
    smtp = SmtpNotifier("127.0.0.1", port, "songda@court.example.cn",
                        link_base="https://yunting.example.cn/", starttls=False, timeout=5)
    return ChannelNotifier(smtp, None)


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


async def notice_to_witness(services: Services, trial: Trial) -> Notification:
    """The witness's invitation, as a handler writes it: to their address if they consented."""
    witness = trial.people["witness"]
    outbox = Outbox(services.uow)
    await outbox.set_contact(trial.clerk_actor, trial.hearing.id, witness.id,
                             "liudashan@example.cn", True)
    hearing = await services.scheduling.hearing(trial.clerk_actor, trial.hearing.id)
    witness = hearing.participant(witness.id)
    note = Notification(trial.hearing.id, witness.id, witness.name, "出庭通知 Hearing notice",
                        f"{witness.name}：请于开庭时参加{hearing.title}。",
                        address=witness.service_address)
    async with services.uow() as uow:
        uow.outbox.add(note)
        await uow.commit()
    return note


async def row(services: Services, note_id: str) -> Notification:
    async with services.uow() as uow:
        return await uow.outbox.get(note_id)


async def test_an_email_reaches_the_relay_with_the_recipients_own_link(
        services: Services) -> None:
    trial = await make_trial(services)
    note = await notice_to_witness(services, trial)
    relay = Relay()
    async with smtp_server(relay) as port:
        assert await Outbox(services.uow, mailer(port)).dispatch() == 1
    [(rcpt, message)] = relay.messages
    assert rcpt == ["liudashan@example.cn"]
    assert message["Subject"] == "出庭通知 Hearing notice"
    assert message["X-Yunting-Notification"] == note.id
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "村民刘大山：请于开庭时参加" in text
    assert note.delivery_token
    assert f"https://yunting.example.cn/api/served/{note.delivery_token}" in text
    sent = await row(services, note.id)
    assert sent.sent_at is not None and sent.channel == "email" and sent.attempts == 1


async def test_without_consent_no_email_is_sent(services: Services) -> None:
    trial = await make_trial(services)
    witness = trial.people["witness"]
    outbox = Outbox(services.uow)
    await outbox.set_contact(trial.clerk_actor, trial.hearing.id, witness.id,
                             "liudashan@example.cn", False)
    hearing = await services.scheduling.hearing(trial.clerk_actor, trial.hearing.id)
    assert hearing.participant(witness.id).service_address is None
    with pytest.raises(InvalidInput):
        await outbox.set_contact(trial.clerk_actor, trial.hearing.id, witness.id,
                                 "x@y.cn\r\nBcc: all@example.cn", True)
    with pytest.raises(PermissionDenied):  # the judge does not keep parties' contacts
        await outbox.set_contact(trial.judge_actor, trial.hearing.id, witness.id,
                                 "liudashan@example.cn", True)


async def test_a_refusing_relay_is_retried_later_each_time_then_given_up_and_resent(
        services: Services) -> None:
    trial = await make_trial(services)
    note = await notice_to_witness(services, trial)
    relay, clock = Relay(), Clock()
    relay.refuse = True
    backoff = Backoff(base=timedelta(minutes=1), max_attempts=5, jitter=0.25)
    async with smtp_server(relay) as port:
        outbox = Outbox(services.uow, mailer(port), backoff, clock)
        delays: list[timedelta] = []
        for attempt in range(1, 6):
            assert await outbox.dispatch() == 0
            failed = await row(services, note.id)
            assert failed.attempts == attempt and relay.tries == attempt
            assert failed.last_error is not None and "451" in failed.last_error
            assert "liudashan" not in failed.last_error  # errors never carry the address
            if attempt == 5:
                break
            assert failed.next_attempt_at is not None and failed.undelivered_at is None
            delays.append(failed.next_attempt_at - clock.now)
            clock.now = failed.next_attempt_at - timedelta(seconds=1)
            assert await outbox.dispatch() == 0  # not due yet: not tried
            assert relay.tries == attempt
            clock.now = failed.next_attempt_at
        # base·2^(n-1), times at most 1.25: each wait is longer than the one before
        assert all(later > earlier for earlier, later in itertools.pairwise(delays))
        assert timedelta(minutes=1) <= delays[0] <= timedelta(minutes=1.25)
        assert timedelta(minutes=8) <= delays[3] <= timedelta(minutes=10)
        assert failed.undelivered_at == clock.now and failed.next_attempt_at is None
        clock.now += timedelta(days=30)
        assert await outbox.dispatch() == 0
        assert relay.tries == 5  # given up: never tried again by itself

        [listed] = await outbox.undelivered(trial.clerk_actor)
        assert listed.id == note.id and listed.masked_address == "l***@example.cn"
        other = await make_trial(services)
        assert await outbox.undelivered(other.clerk_actor) == []  # another court's clerk
        with pytest.raises(PermissionDenied):
            await outbox.resend(other.clerk_actor, note.id)

        relay.refuse = False
        again = await outbox.resend(trial.clerk_actor, note.id)
        assert again.attempts == 0 and again.undelivered_at is None
        assert await outbox.dispatch() == 1
    assert [rcpt for rcpt, _ in relay.messages] == [["liudashan@example.cn"]]
    delivered = await row(services, note.id)
    assert delivered.sent_at is not None and delivered.attempts == 1
    assert await outbox.undelivered(trial.clerk_actor) == []


async def test_a_relay_that_is_not_there_backs_off_too(services: Services) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    trial = await make_trial(services)
    note = await notice_to_witness(services, trial)
    clock = Clock()
    outbox = Outbox(services.uow, mailer(port), Backoff(timedelta(seconds=10), 3, 0), clock)
    expected = [timedelta(seconds=10), timedelta(seconds=20)]
    for delay in expected:
        assert await outbox.dispatch() == 0
        failed = await row(services, note.id)
        assert failed.last_error is not None and "unreachable" in failed.last_error
        assert failed.next_attempt_at == clock.now + delay
        clock.now = failed.next_attempt_at
    assert await outbox.dispatch() == 0
    assert (await row(services, note.id)).undelivered_at == clock.now


async def test_a_notification_without_an_address_needs_the_gateway() -> None:
    note = Notification("h", "p", "张某", "通知", "正文")
    with pytest.raises(MailError):
        SmtpNotifier("127.0.0.1", 1, "a@b.cn", link_base="https://x").message(note)


async def test_the_clerk_marks_an_undelivered_notice_served_by_post(services: Services) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    trial = await make_trial(services)
    note = await notice_to_witness(services, trial)
    clock = Clock()
    outbox = Outbox(services.uow, mailer(port), Backoff(timedelta(seconds=1), 1, 0), clock)
    assert await outbox.dispatch() == 0
    [listed] = await outbox.undelivered(trial.clerk_actor)
    with pytest.raises(InvalidInput):
        await outbox.mark_served(trial.clerk_actor, note.id, "pigeon")
    with pytest.raises(PermissionDenied):
        await outbox.mark_served(trial.judge_actor, note.id, "post")
    done = await outbox.mark_served(trial.clerk_actor, listed.id, "post")
    assert done.channel == "post" and done.sent_at == clock.now
    assert await outbox.undelivered(trial.clerk_actor) == []
    with pytest.raises(Conflict):
        await outbox.mark_served(trial.clerk_actor, note.id, "in_person")
    clock.now += timedelta(days=1)
    assert await outbox.dispatch() == 0  # served: never sent again
