"""A ruling on judicial confirmation is served by e-mail on the absent party who consented to
electronic service (issue 18.2), through a real SMTP server (aiosmtpd on 127.0.0.1), with
the link to the ruling and the party's own delivery link; a party who gave an address but
did not consent is reached through the gateway only."""

from __future__ import annotations

import asyncio
import email
from collections.abc import AsyncIterator
from email import policy as email_policy

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from hearings.domain.actors import Actor
from hearings.services.notifications import Notification, Outbox
from tests.factories import make_mediation
from tests.integration.confirmation.conftest import World, signed
from web.bridges.mail import SmtpNotifier
from web.bridges.notifiers import ChannelNotifier


class Relay:
    def __init__(self) -> None:
        self.mail: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=email_policy.default)
        body = message.get_body(("plain",))
        assert body is not None
        self.mail.append((list(envelope.rcpt_tos), body.get_content()))
        return "250 OK"


class Gateway:
    """The court's SMS platform (outside this machine): what it was handed."""

    channel = "sms"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, notification: Notification) -> None:
        self.sent.append(notification.recipient)


@pytest.fixture
async def relay() -> AsyncIterator[tuple[Relay, int]]:
    handler = Relay()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler, hostname="relay.test"), "127.0.0.1", 0)
    yield handler, server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_the_ruling_reaches_the_consenting_party_by_email(
        world: World, relay: tuple[Relay, int]) -> None:
    scene = await make_mediation(world.services)
    clerk = Actor.staff(scene.clerk)
    first, second = scene.parties[0], scene.parties[1]
    contacts = Outbox(world.uow)
    await contacts.set_contact(clerk, scene.hearing.id, first.id, "zhangsan@example.cn", True)
    await contacts.set_contact(clerk, scene.hearing.id, second.id, "lisi@example.cn", False)
    await signed(world, scene)  # nobody connected: both parties are notified
    app = await world.confirmations.apply(scene.mediator_actor, scene.hearing.id)
    await world.confirmations.take(scene.judge(0), app.id)
    await world.confirmations.decide(scene.judge(0), app.id, "confirm", [], "")

    gateway = Gateway()
    smtp = SmtpNotifier("127.0.0.1", relay[1], "songda@court.example.cn",
                        link_base="https://yunting.example.cn", starttls=False, timeout=5)
    assert await Outbox(world.uow, ChannelNotifier(smtp, gateway)).dispatch() == 2
    async with world.uow() as uow:
        rows = {r.recipient: r for r in await uow.outbox.of_hearing(scene.hearing.id)}
    assert rows[first.id].channel == "email" and rows[second.id].channel == "sms"
    assert rows[second.id].address is None  # no consent: no e-mail
    assert gateway.sent == [second.id]
    [(rcpt, text)] = relay[0].mail
    assert rcpt == ["zhangsan@example.cn"]
    assert "已裁定确认有效" in text
    assert f"/api/documents/{rows[first.id].document_id}/pdf" in text
    assert f"https://yunting.example.cn/api/served/{rows[first.id].delivery_token}" in text
