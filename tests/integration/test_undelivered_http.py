"""The clerk's side of electronic service over real HTTP (issue 18.2): a party's e-mail and
consent (masked in every answer, never in the logs), the court's undelivered notifications,
and a resend that the app's own outbox then delivers to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import email
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from email import policy as email_policy
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from aiosmtpd.smtp import SMTP, Envelope, Session

from hearings.adapters.database import Database
from hearings.domain.documents import Document, DocumentKind
from hearings.domain.identity import utcnow
from hearings.domain.states import DocumentState
from hearings.services.notifications import Notification
from tests.conftest import AUDIT_KEY
from tests.factories import make_trial
from web.app.application import create_app
from web.app.bootstrap import Services
from web.keys import SERVICES, SETTINGS
from web.settings import Secret, Settings

Client = TestClient[Any, Any]


class Relay:
    def __init__(self) -> None:
        self.recipients: list[list[str]] = []
        self.texts: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.recipients.append(list(envelope.rcpt_tos))
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=email_policy.default)
        body = message.get_body(("plain",))
        assert body is not None
        self.texts.append(body.get_content())
        return "250 OK"


@pytest.fixture
async def relay() -> AsyncIterator[tuple[Relay, int]]:
    handler = Relay()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler, hostname="relay.test"), "127.0.0.1", 0)
    yield handler, server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


@pytest.fixture
async def client(database: Database, tmp_path: Any, relay: tuple[Relay, int],
                 aiohttp_client: Callable[..., Awaitable[Client]]) -> Client:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        smtp_host="127.0.0.1", smtp_port=relay[1], smtp_starttls=False,
                        notify_interval_seconds=3600)  # the test sends the outbox itself
    app: web.Application = create_app(settings, database=database)
    return await aiohttp_client(app)


async def login(client: Client, username: str, password: str) -> dict[str, str]:
    response = await client.post("/api/session", json={"username": username, "password": password})
    assert response.status == 200, await response.text()
    return {"X-CSRF-Token": str((await response.json())["csrf_token"])}


async def test_the_clerk_records_contact_sees_undelivered_and_resends(
        client: Client, services: Services, relay: tuple[Relay, int],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # (DEBUG: the drivers echo SQL parameters)
    trial, other = await make_trial(services), await make_trial(services)
    witness = trial.people["witness"]
    clerk = await login(client, trial.clerk.username, "clerk-password-1")
    contact = f"/api/hearings/{trial.hearing.id}/participants/{witness.id}/contact"
    r = await client.put(contact, json={"email": "liudashan@example.cn",
                                        "consent_electronic_service": True}, headers=clerk)
    assert r.status == 200, await r.text()
    assert await r.json() == {"participant_id": witness.id, "email": "l***@example.cn",
                              "mobile": None, "consent_electronic_service": True}
    r = await client.put(contact, json={"email": "not an address",
                                        "consent_electronic_service": True}, headers=clerk)
    assert r.status == 400

    note = Notification(trial.hearing.id, witness.id, witness.name, "出庭通知", "请按时参加。",
                        address="liudashan@example.cn", attempts=8, last_error="451",
                        undelivered_at=utcnow() - timedelta(hours=1))
    async with services.uow() as uow:
        uow.outbox.add(note)
        await uow.commit()

    r = await client.get("/api/notifications/undelivered")
    [listed] = (await r.json())["notifications"]
    assert listed["id"] == note.id and listed["address"] == "l***@example.cn"
    assert listed["attempts"] == 8

    judge = await login(client, trial.judge.username, "judge-password-1")
    r = await client.post(f"/api/notifications/{note.id}/resend", headers=judge)
    assert r.status == 403  # resending is the clerk's (policy: notification.resend)
    outsider = await login(client, other.clerk.username, "clerk-password-1")
    r = await client.get("/api/notifications/undelivered")
    assert (await r.json())["notifications"] == []  # another court's clerk sees none of it
    r = await client.post(f"/api/notifications/{note.id}/resend", headers=outsider)
    assert r.status == 403

    clerk = await login(client, trial.clerk.username, "clerk-password-1")
    r = await client.post(f"/api/notifications/{note.id}/resend", headers=clerk)
    assert r.status == 200, await r.text()
    resent = await r.json()
    assert resent["attempts"] == 0 and resent["undelivered_at"] is None

    assert await client.app[SERVICES].outbox.dispatch() == 1  # the app's e-mail channel
    assert relay[0].recipients == [["liudashan@example.cn"]]
    r = await client.get(f"/api/hearings/{trial.hearing.id}/notifications")
    [sent] = (await r.json())["notifications"]
    assert sent["channel"] == "email" and sent["sent_at"] is not None
    assert sent["address"] == "l***@example.cn" and sent["undelivered_at"] is None
    assert (await (await client.get("/api/notifications/undelivered")).json()) == {
        "notifications": []}

    # The link in the e-mail opens the notice and records the receipt, once.
    [link] = re.findall(r"https?://\S+/served/\S+", relay[0].texts[0])
    path = link.split("://", 1)[1].split("/", 1)[1]
    r = await client.get("/" + path, headers={"User-Agent": "VillagePhone/1.0"})
    assert r.status == 200
    page = await r.text()
    assert "出庭通知" in page and "已送达" in page
    async with services.uow() as uow:
        opened = await uow.outbox.get(note.id)
    assert opened.opened_at is not None and opened.opened_from == "127.0.0.1"
    assert opened.opened_user_agent == "VillagePhone/1.0"
    r = await client.get("/" + path, headers={"User-Agent": "Other/2"})
    assert r.status == 200
    async with services.uow() as uow:
        again = await uow.outbox.get(note.id)
    assert (again.opened_at, again.opened_user_agent) == (opened.opened_at, "VillagePhone/1.0")
    assert (await client.get("/api/served/not-a-real-token")).status == 404

    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.")]
    assert not [m for m in ours if "liudashan" in m]  # never in yunting's logs (mail.*: the
    # test's own relay, aiosmtpd, logs its envelopes)


async def test_the_delivery_link_hands_over_the_document_and_records_its_receipt(
        client: Client, services: Services, relay: tuple[Relay, int]) -> None:
    trial = await make_trial(services)
    witness = trial.people["witness"]
    pdf = b"%PDF-1.7\n% a sealed ruling stands here\n%%EOF\n"
    sha = hashlib.sha256(pdf).hexdigest()
    document = Document(DocumentKind.CONFIRMATION_RULING, trial.hearing.id, trial.case.id,
                        sha, state=DocumentState.SEALED)
    stored = client.app[SETTINGS].archive_dir / "documents" / document.id / f"{sha}.pdf"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(pdf)
    note = Notification(trial.hearing.id, witness.id, witness.name, "民事裁定书", "请查收。",
                        document_id=document.id, address="liudashan@example.cn")
    plain = Notification(trial.hearing.id, witness.id, witness.name, "出庭通知", "请参加。")
    async with services.uow() as uow:
        uow.documents.add(document)
        uow.outbox.add(note)
        uow.outbox.add(plain)
        await uow.commit()

    page = await (await client.get(f"/api/served/{note.delivery_token}")).text()
    assert f"/api/served/{note.delivery_token}/document" in page
    for _ in range(2):  # twice: one receipt
        r = await client.get(f"/api/served/{note.delivery_token}/document")
        assert r.status == 200 and await r.read() == pdf
        assert r.headers["X-Document-SHA256"] == sha
    async with services.uow() as uow:
        deliveries = await uow.deliveries.of_document(document.id)
        served = await uow.documents.get(document.id)
    assert [(d.recipient, d.how.value, d.sha256) for d in deliveries] == [
        (witness.id, "download", sha)]
    assert served.state is DocumentState.DELIVERED
    # A notice without a document has nothing to download.
    assert (await client.get(f"/api/served/{plain.delivery_token}/document")).status == 404
    assert (await client.get("/api/served/nope/document")).status == 404
