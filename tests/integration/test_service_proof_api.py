"""The proof of electronic service (电子送达回证, issue 18.2) over real HTTP: a notice with a
ruling is e-mailed to a real SMTP server (aiosmtpd), the recipient opens the link in it and
downloads the ruling; the clerk's sealed PDF lists the attempt and both receipts (pdftotext),
its seal is valid (pdfsig), its fonts embedded (pdffonts), and docforge verifies it as its
own kind. A relay that refuses once: both attempts are listed. A notice served by post says
so. Another court's clerk and the judge are refused."""

from __future__ import annotations

import asyncio
import email
import hashlib
import re
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from email import policy as email_policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from aiosmtpd.smtp import SMTP, Envelope, Session

from hearings.adapters.database import Database
from hearings.domain.documents import Document, DocumentKind
from hearings.domain.identity import utcnow
from hearings.domain.staff import StaffUser
from hearings.domain.states import DocumentState
from hearings.services.notifications import Backoff, Notification, Outbox
from hearings.services.service_proof import ServiceFacts
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from web.app.application import create_app
from web.app.bootstrap import Services
from web.bridges.mail import SmtpNotifier
from web.bridges.notifiers import ChannelNotifier
from web.http.api.service_proof import service_proof
from web.keys import FORGE, SERVICES, SETTINGS
from web.settings import Secret, Settings

Client = TestClient[Any, Any]

pytestmark = [
    pytest.mark.filterwarnings("ignore:unclosed file.*sRGB2014:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


class Relay:
    """Takes messages, or answers 451 (try later) while `refuse` is set."""

    def __init__(self) -> None:
        self.refuse = False
        self.texts: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return "451 4.3.0 mailbox busy, try again later"
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=email_policy.default)
        body = message.get_body(("plain",))
        assert body is not None
        self.texts.append(body.get_content())
        return "250 OK"


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def relay() -> AsyncIterator[tuple[Relay, int]]:
    handler = Relay()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler, hostname="relay.test"), "127.0.0.1", 0)
    yield handler, server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


@pytest.fixture
async def court(database: Database, tmp_path: Path, relay: tuple[Relay, int],
                aiohttp_client: Callable[..., Awaitable[Client]]
                ) -> tuple[Client, Services, Trial, dict[str, dict[str, str]]]:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        media_enabled=False, smtp_host="127.0.0.1", smtp_port=relay[1],
                        smtp_starttls=False, notify_interval_seconds=3600)
    app = create_app(settings, database=database)
    client = await aiohttp_client(app)
    services: Services = app[SERVICES]
    a, b = await make_trial(services), await make_trial(services)
    headers = {"clerk_a": await _login(services, a.clerk, "clerk-password-1"),
               "judge_a": await _login(services, a.judge, "judge-password-1"),
               "clerk_b": await _login(services, b.clerk, "clerk-password-1")}
    return client, services, a, headers


async def _login(services: Services, user: StaffUser, password: str) -> dict[str, str]:
    logged = await services.access.login(user.username, password)
    return {"Cookie": f"yunting_session={logged.secret}",
            "X-CSRF-Token": logged.session.csrf_token}


def _read(pdf: bytes, directory: Path) -> tuple[str, str, str]:
    directory.mkdir()
    path = directory / "proof.pdf"
    path.write_bytes(pdf)

    def run(*args: str) -> str:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout

    return run("pdftotext", str(path), "-"), run("pdffonts", str(path)), run("pdfsig", str(path))


async def _proof(client: Client, note_id: str, headers: dict[str, str]) -> bytes:
    async with client.get(f"/api/notifications/{note_id}/proof-of-service.pdf",
                          headers=headers) as r:
        assert r.status == 200 and r.content_type == "application/pdf", await r.text()
        assert r.headers["Cache-Control"] == "private, no-store"
        return await r.read()


async def _consenting_witness(client: Client, trial: Trial, headers: dict[str, str]) -> str:
    witness = trial.people["witness"]
    r = await client.put(f"/api/hearings/{trial.hearing.id}/participants/{witness.id}/contact",
                         json={"email": "liudashan@example.cn",
                               "consent_electronic_service": True}, headers=headers)
    assert r.status == 200, await r.text()
    return witness.id


async def test_the_proof_lists_the_email_attempt_the_opening_and_the_download(
        court: tuple[Client, Services, Trial, dict[str, dict[str, str]]],
        relay: tuple[Relay, int], tmp_path: Path) -> None:
    client, services, a, headers = court
    witness_id = await _consenting_witness(client, a, headers["clerk_a"])
    witness = a.people["witness"]
    pdf = b"%PDF-1.7\n% a sealed ruling stands here\n%%EOF\n"
    sha = hashlib.sha256(pdf).hexdigest()
    document = Document(DocumentKind.CONFIRMATION_RULING, a.hearing.id, a.case.id, sha,
                        state=DocumentState.SEALED)
    stored = client.app[SETTINGS].archive_dir / "documents" / document.id / f"{sha}.pdf"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(pdf)
    note = Notification(a.hearing.id, witness_id, witness.name, "民事裁定书送达", "请查收。",
                        document_id=document.id, address="liudashan@example.cn")
    async with services.uow() as uow:
        uow.documents.add(document)
        uow.outbox.add(note)
        await uow.commit()

    assert await client.app[SERVICES].outbox.dispatch() == 1  # the app's e-mail channel
    [link] = re.findall(r"https?://\S+/served/\S+", relay[0].texts[0])
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert (await client.get(path, headers={"User-Agent": "VillagePhone/1.0"})).status == 200
    assert (await client.get(path + "/document")).status == 200

    proof = await _proof(client, note.id, headers["clerk_a"])
    text, fonts, sig = await asyncio.to_thread(_read, proof, tmp_path / "proof")
    for words in ("电 子 送 达 回 证", a.court.name, a.case.number, "民事裁定书送达", sha,
                  "confirmation_ruling", "村民刘大山", "证人", "l***@example.cn", "第 1 次",
                  "email", "成功", "打开送达链接", "127.0.0.1", "VillagePhone/1.0", "下载文书"):
        assert words in text, (words, text)
    assert "liudashan@" not in text  # the address is masked
    assert "不证明受送达人已阅读" in text  # a receipt proves a fetch, not a reading
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts
    assert "court_seal" in sig and "Signature is Valid" in sig, sig
    report = await asyncio.to_thread(client.app[FORGE].verify, proof)
    assert report.ok and report.kind == "service_proof", report

    # Another court's clerk and the judge are refused; the clerk's PDF was audited.
    for who in ("clerk_b", "judge_a"):
        async with client.get(f"/api/notifications/{note.id}/proof-of-service.pdf",
                              headers=headers[who]) as r:
            assert r.status == 403, (who, r.status)
    async with services.uow() as uow:
        audited = [e for e in await uow.audit.entries(a.hearing.id)
                   if e.action == "notification.proof_of_service"]
    assert [e.payload["notification_id"] for e in audited] == [note.id]
    assert audited[0].payload["opened"] is True


async def test_a_refused_then_delivered_email_lists_both_attempts_and_post_is_named(
        court: tuple[Client, Services, Trial, dict[str, dict[str, str]]],
        relay: tuple[Relay, int], tmp_path: Path) -> None:
    client, services, a, headers = court
    witness_id = await _consenting_witness(client, a, headers["clerk_a"])
    witness = a.people["witness"]
    note = Notification(a.hearing.id, witness_id, witness.name, "出庭通知", "请按时参加。",
                        address="liudashan@example.cn")
    posted = Notification(a.hearing.id, a.people["defendant"].id, "张某", "出庭通知", "请参加。")
    async with services.uow() as uow:
        uow.outbox.add(note)
        await uow.commit()
    handler, port = relay
    smtp = SmtpNotifier("127.0.0.1", port, "songda@court.example.cn",
                        link_base="https://yunting.example.cn/", starttls=False, timeout=5)
    clock = Clock()
    outbox = Outbox(services.uow, ChannelNotifier(smtp, None),
                    Backoff(timedelta(minutes=1), 5, 0), clock)
    handler.refuse = True
    assert await outbox.dispatch() == 0
    handler.refuse = False
    clock.now += timedelta(minutes=1)
    assert await outbox.dispatch() == 1

    text, _, sig = await asyncio.to_thread(
        _read, await _proof(client, note.id, headers["clerk_a"]), tmp_path / "retried")
    assert "第 1 次" in text and "失败" in text and "451" in text, text
    assert "第 2 次" in text and "成功" in text, text
    assert "尚无回执" in text  # not opened yet
    assert text.index("第 1 次") < text.index("第 2 次")
    assert "Signature is Valid" in sig, sig

    async with services.uow() as uow:
        uow.outbox.add(posted)
        await uow.commit()
    r = await client.post(f"/api/notifications/{posted.id}/served-otherwise",
                          json={"means": "post"}, headers=headers["clerk_a"])
    assert r.status == 200, await r.text()
    text, _, _ = await asyncio.to_thread(
        _read, await _proof(client, posted.id, headers["clerk_a"]), tmp_path / "posted")
    assert "邮寄送达" in text and a.clerk.display_name in text and "无送达尝试" in text, text
    async with client.get("/api/notifications/nope/proof-of-service.pdf",
                          headers=headers["clerk_a"]) as r:
        assert r.status == 404


def test_a_notice_sent_before_attempts_were_audited_shows_its_totals() -> None:
    note = Notification("h", "p", "村民刘大山", "出庭通知", "请参加。", channel="email",
                        address="liudashan@example.cn", attempts=3, sent_at=utcnow())
    facts = ServiceFacts("重庆市渝北区人民法院", "(2026)渝0112民初7号", "张某诉李某", note,
                         "witness", None, [], [], None)
    proof = service_proof(facts, ZoneInfo("Asia/Shanghai"))
    [row] = proof.attempts
    assert row.number == 3 and row.channel == "email" and "成功" in row.outcome
    assert "共 3 次" in row.outcome and proof.address == "l***@example.cn"
    assert proof.title == "电子送达回证 (2026)渝0112民初7号"
