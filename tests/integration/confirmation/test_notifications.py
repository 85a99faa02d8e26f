"""The outbox goes out through an HTTP gateway while the server runs: a gateway that fails
is retried, every attempt is on the row, and the clerk sees what went where."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from hearings.adapters.database import Database
from hearings.services.notifications import Notification
from tests.conftest import AUDIT_KEY
from tests.integration.confirmation.flow import Flow
from tests.integration.signaling.conftest import ORIGIN
from web.app.application import create_app
from web.keys import SERVICES
from web.settings import Secret, Settings


class Gateway:
    """An SMS gateway on loopback that refuses its first request."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.authorization: list[str] = []
        self.refused = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.authorization.append(request.headers.get("Authorization", ""))
        if not self.refused:
            self.refused += 1
            return web.json_response({"error": "busy"}, status=503)
        self.received.append(await request.json())
        return web.json_response({"queued": True})


@pytest.fixture
async def gateway(aiohttp_server: Any) -> AsyncIterator[tuple[Gateway, str]]:
    gw = Gateway()
    app = web.Application()
    app.router.add_post("/sms", gw.handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    yield gw, f"http://127.0.0.1:{server.port}/sms"


@pytest.fixture
async def flow(database: Database, tmp_path: Path, aiohttp_server: Any,
               gateway: tuple[Gateway, str]) -> AsyncIterator[Flow]:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        allowed_origins=(ORIGIN,), media_enabled=False,
                        notify_webhook_url=gateway[1], notify_webhook_token=Secret("t0ken"),
                        notify_interval_seconds=0.1, notify_backoff_seconds=0.05)
    app = create_app(settings, database=database)
    server = await aiohttp_server(app, host="127.0.0.1")
    flow = Flow(f"http://127.0.0.1:{server.port}", app[SERVICES])
    await flow.setup()
    yield flow
    await flow.close()
    await server.close()


async def test_a_refused_notification_is_retried_and_the_clerk_sees_it(
        flow: Flow, gateway: tuple[Gateway, str]) -> None:
    gw, _ = gateway
    party = flow.scene.parties[0]
    note = Notification(flow.hid, party.id, party.name, "裁定书已送达", "请查收民事裁定书。")
    async with flow.services.uow() as uow:
        uow.outbox.add(note)
        await uow.commit()
    for _ in range(100):
        if gw.received:
            break
        await asyncio.sleep(0.05)
    assert [m["id"] for m in gw.received] == [note.id]
    assert gw.received[0]["recipient_name"] == party.name
    assert gw.received[0]["subject"] == "裁定书已送达"
    assert set(gw.authorization) == {"Bearer t0ken"}
    listing = await flow.mediator.call("GET", f"/api/hearings/{flow.hid}/notifications")
    (row,) = [n for n in listing["notifications"] if n["id"] == note.id]
    assert row["channel"] == "webhook" and row["sent_at"] is not None
    assert row["attempts"] == 2 and "503" in row["last_error"]


async def test_parties_do_not_read_the_outbox(flow: Flow) -> None:
    body = await flow.parties[0].call("GET", f"/api/hearings/{flow.hid}/notifications",
                                      status=403)
    assert body["error"]["code"] == "forbidden"
