"""A mediation agreement signed by everyone is served by e-mail on each party who consented to
electronic service (issue 18.2), through a real SMTP server (aiosmtpd on 127.0.0.1): the
party's delivery link hands over the signed agreement, and the download is their receipt.
Once per party and document, however often the signing is heard."""

from __future__ import annotations

import re

from hearings.domain.actors import Actor
from hearings.domain.documents import DeliveryHow
from hearings.domain.events import MediationChanged
from hearings.services.notifications import Outbox
from tests.factories import make_mediation
from tests.integration.confirmation.conftest import World, signed
from tests.integration.test_email_service import Relay, mailer, smtp_server
from web.bridges.notifiers import serve_signed_agreements

SERVED = re.compile(r"https://yunting\.example\.cn/api/served/([A-Za-z0-9_-]+)")


async def test_the_signed_agreement_is_served_on_the_consenting_party(world: World) -> None:
    scene = await make_mediation(world.services)
    outbox = Outbox(world.uow, documents=world.documents)
    world.bus.subscribe(MediationChanged, serve_signed_agreements(outbox))
    clerk = Actor.staff(scene.clerk)
    first, second = scene.parties
    await outbox.set_contact(clerk, scene.hearing.id, first.id, "liu@example.cn", True)
    await outbox.set_contact(clerk, scene.hearing.id, second.id, "chen@example.cn", False)
    await signed(world, scene)

    async with world.uow() as uow:
        rows = [n for n in await uow.outbox.of_hearing(scene.hearing.id)
                if n.kind == "agreement"]
        mediation = await uow.mediations.of_hearing(scene.hearing.id)
    assert [(n.recipient, n.address) for n in rows] == [(first.id, "liu@example.cn")]
    assert mediation is not None and rows[0].document_id == mediation.document_id
    assert await outbox.serve_agreement(scene.hearing.id) == 0  # once

    relay = Relay()
    async with smtp_server(relay) as port:
        assert await Outbox(world.uow, mailer(port)).dispatch() >= 1
    [text] = [m.get_body(("plain",)).get_content() for rcpt, m in relay.messages
              if rcpt == ["liu@example.cn"]]
    assert "调解协议" in text and "/join/" not in text  # a document, no join link
    token = SERVED.search(text)
    assert token is not None
    document, data = await outbox.served_document(token.group(1), "127.0.0.1", "test")
    assert document.id == mediation.document_id and data
    async with world.uow() as uow:
        receipts = await uow.deliveries.of_document(document.id)
    assert [(d.recipient, d.how) for d in receipts if d.how is DeliveryHow.DOWNLOAD] \
        == [(first.id, DeliveryHow.DOWNLOAD)]
