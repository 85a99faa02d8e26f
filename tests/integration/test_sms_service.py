"""Electronic service by SMS (issue 18.2) over real HTTP: the clerk records a party's mobile
number (validated, normalised, masked in every answer, never in the logs or the audit); an
invitation to a party with e-mail and mobile goes by both channels — a real SMTP server
(aiosmtpd) and the webhook gateway as the SMS port (a real local aiohttp receiver that gets
the number and the short text with the delivery link); the 送达回证 lists both attempts with
the number masked."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.smtp import SMTP, Envelope, Session

from hearings.adapters.database import Database
from hearings.domain.participants import valid_mobile
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from web.app.application import create_app
from web.app.bootstrap import Services
from web.keys import SERVICES
from web.settings import Secret, Settings

Client = TestClient[Any, Any]
NUMBER = "13800138000"

pytestmark = [
    pytest.mark.filterwarnings("ignore:unclosed file.*sRGB2014:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


class Relay:
    def __init__(self) -> None:
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@pytest.fixture
async def relay() -> AsyncIterator[int]:
    handler = Relay()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler, hostname="relay.test"), "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


@pytest.fixture
async def gateway(aiohttp_server: Callable[..., Awaitable[TestServer]]
                  ) -> tuple[TestServer, list[dict[str, Any]]]:
    """The court's SMS platform: takes the gateway's JSON, answers 202."""
    received: list[dict[str, Any]] = []

    async def take(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"queued": True}, status=202)

    app = web.Application()
    app.router.add_post("/sms", take)
    return await aiohttp_server(app, host="127.0.0.1"), received


@pytest.fixture
async def court(database: Database, tmp_path: Path, relay: int,
                gateway: tuple[TestServer, list[dict[str, Any]]],
                aiohttp_client: Callable[..., Awaitable[Client]]
                ) -> tuple[Client, Services, Trial, dict[str, str]]:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        media_enabled=False, smtp_host="127.0.0.1", smtp_port=relay,
                        smtp_starttls=False, notify_interval_seconds=3600,
                        notify_webhook_url=str(gateway[0].make_url("/sms")),
                        public_url="https://court.example.cn")
    app = create_app(settings, database=database)
    client = await aiohttp_client(app)
    services: Services = app[SERVICES]
    trial = await make_trial(services)
    logged = await services.access.login(trial.clerk.username, "clerk-password-1")
    headers = {"Cookie": f"yunting_session={logged.secret}",
               "X-CSRF-Token": logged.session.csrf_token}
    return client, services, trial, headers


@pytest.mark.parametrize("given", [
    "13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "8613800138000",
    "+8613800138000"])
def test_a_mobile_number_is_stored_as_its_eleven_digits(given: str) -> None:
    assert valid_mobile(given) == NUMBER


async def test_bad_numbers_are_refused_with_a_clear_400(
        court: tuple[Client, Services, Trial, dict[str, str]]) -> None:
    client, _, trial, headers = court
    witness = trial.people["witness"]
    contact = f"/api/hearings/{trial.hearing.id}/participants/{witness.id}/contact"
    for bad in ["12800138000", "1380013800", "138001380001", "+85 13800138000", "abc",
                13800138000, ["13800138000"], {"n": 1}, "1" * 5000, "１３８００１３８０００"]:
        r = await client.put(contact, json={"mobile": bad, "consent_electronic_service": True},
                             headers=headers)
        assert r.status == 400, (bad, await r.text())
        error = (await r.json())["error"]
        assert error["code"] == "invalid_input", bad
        assert error["message"].startswith("mobile must be a mainland China mobile number")
    async with court[1].uow() as uow:
        stored = (await uow.hearings.get(trial.hearing.id)).participant(witness.id)
    assert stored.mobile is None


async def test_an_invitation_goes_by_email_and_sms_and_the_number_stays_masked(
        court: tuple[Client, Services, Trial, dict[str, str]],
        gateway: tuple[TestServer, list[dict[str, Any]]], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # (DEBUG: the drivers echo SQL parameters)
    client, services, trial, headers = court
    witness = trial.people["witness"]
    base = f"/api/hearings/{trial.hearing.id}/participants/{witness.id}"
    r = await client.put(f"{base}/contact", headers=headers, json={
        "email": "liudashan@example.cn", "mobile": "+86 138-0013-8000",
        "consent_electronic_service": True})
    assert r.status == 200, await r.text()
    assert await r.json() == {"participant_id": witness.id, "email": "l***@example.cn",
                              "mobile": "138****8000", "consent_electronic_service": True}

    r = await client.post(f"{base}/invitation", headers=headers)
    assert r.status == 201, await r.text()
    assert await services.outbox.dispatch() == 2  # e-mail and SMS

    [sms] = gateway[1]
    assert sms["channel"] == "sms" and sms["mobile"] == NUMBER
    assert sms["kind"] == "invitation" and sms["recipient"] == witness.id
    assert "https://court.example.cn/api/served/" in sms["text"]
    assert "/join/" in sms["text"] and sms["text"].startswith("【云庭】出庭通知")

    r = await client.get(f"/api/hearings/{trial.hearing.id}/notifications", headers=headers)
    listed = (await r.json())["notifications"]
    assert sorted((n["channel"], n["address"], n["mobile"]) for n in listed) == [
        ("email", "l***@example.cn", None), ("sms", None, "138****8000")]
    assert NUMBER not in await r.text()

    # The SMS link opens the notice (the receipt), and the proof lists both channels' attempts.
    sms_row = next(n for n in listed if n["channel"] == "sms")
    link = sms["text"].rsplit(" ", 1)[1].removeprefix("https://court.example.cn")
    assert (await client.get(link, headers={"User-Agent": "VillagePhone/1.0"})).status == 200
    async with client.get(f"/api/notifications/{sms_row['id']}/proof-of-service.pdf",
                          headers=headers) as r:
        assert r.status == 200, await r.text()
        pdf = tmp_path / "proof.pdf"
        pdf.write_bytes(await r.read())
    text = (await asyncio.to_thread(subprocess.run, ["pdftotext", str(pdf), "-"],
                                    capture_output=True, text=True, check=True)).stdout
    assert "sms 138****8000" in text and "email l***@example.cn" in text
    assert "VillagePhone/1.0" in text and NUMBER not in text

    async with services.uow() as uow:
        entries = await uow.audit.entries(trial.hearing.id)
    [contact] = [e for e in entries if e.action == "participant.contact"]
    assert contact.payload["mobile"] is True
    assert not [e for e in entries if NUMBER in json.dumps(e.payload, ensure_ascii=False)]
    assert not [m for m in (rec.getMessage() for rec in caplog.records)
                if NUMBER in m or "0013-8000" in m or "0013 8000" in m]
