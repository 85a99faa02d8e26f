"""The running server writes and sends the reminders by itself (issue 18.2): its outbox sender
(web/bridges/notifiers.py) finds a hearing within the hour and mails the hour's reminder to the
participant who consented, through a real SMTP server (aiosmtpd); a server started again on
the same database (a restart) sends it no second time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from hearings.services.notifications import Outbox
from tests.conftest import AUDIT_KEY
from tests.factories import make_trial
from tests.integration.test_email_service import Relay, smtp_server
from web.app.application import create_app
from web.keys import SERVICES
from web.settings import Secret, Settings

Client = TestClient[Any, Any]


async def _until(check: Callable[[], bool], seconds: float) -> None:
    for _ in range(int(seconds / 0.1)):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("not reached in time")


async def test_the_server_sends_the_hours_reminder_once_across_a_restart(
        database: Database, tmp_path: Path,
        aiohttp_client: Callable[..., Awaitable[Client]]) -> None:
    relay = Relay()
    async with smtp_server(relay) as port:
        settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                            media_enabled=False, public_url="https://yunting.example",
                            smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                            notify_interval_seconds=0.2)
        first = await aiohttp_client(create_app(settings, database=database))
        services = first.app[SERVICES]
        trial = await make_trial(services)  # the hearing is 5 minutes away
        await Outbox(services.uow).set_contact(
            trial.clerk_actor, trial.hearing.id, trial.people["lawyer"].id,
            "zhao@example.cn", True)
        await _until(lambda: len(relay.messages) >= 1, 30)
        await first.close()  # the server stops ("restart")

        second = await aiohttp_client(create_app(settings, database=database))
        await asyncio.sleep(1.0)  # five rounds of the new server's sender
        await second.close()
    [(rcpt, message)] = relay.messages
    assert rcpt == ["zhao@example.cn"] and "一小时" in message["Subject"]
    body = message.get_body(("plain",))
    assert body is not None and "https://yunting.example/join/" in body.get_content()
