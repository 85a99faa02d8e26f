"""Staff accounts over the API (issue 16.4): a court's administrator manages that court's
accounts and sees no other court's; disabling an account ends it at once — its open
sessions answer 401 at their next request, and its open socket.io connections (a hearing
and the court console) are told and disconnected, also on another process (Redis)."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from hearings.domain.actors import SYSTEM
from hearings.domain.commands import CreateCourt, CreateStaffUser
from hearings.domain.staff import StaffUser
from tests.conftest import AUDIT_KEY, REDIS_URL
from tests.factories import Trial, make_trial
from tests.integration.signaling.conftest import ORIGIN, Client
from tests.wiring import wire
from web.app.application import create_app
from web.app.bootstrap import Services
from web.settings import Secret, Settings

HttpClient = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[HttpClient]]


def _settings(tmp_path: Path, redis_url: str = "") -> Settings:
    return Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                    media_enabled=False, allowed_origins=(ORIGIN,), redis_url=redis_url)


async def _admin(services: Services, court_id: str) -> StaffUser:
    return await services.access.create_staff_user(SYSTEM, CreateStaffUser(
        f"admin-{secrets.token_hex(3)}", "院管理员", "admin", "admin-password-1",  # type: ignore[arg-type]
        court_id))


async def _login(client: HttpClient, username: str, password: str) -> dict[str, str]:
    response = await client.post("/api/session", json={"username": username,
                                                       "password": password})
    assert response.status == 200, await response.text()
    return {"X-CSRF-Token": (await response.json())["csrf_token"]}


async def test_a_court_admin_manages_only_their_court(
        database: Database, tmp_path: Path, aiohttp_client: MakeClient) -> None:
    services = wire(database)
    trial = await make_trial(services)
    other = await services.scheduling.create_court(SYSTEM, CreateCourt("重庆市江北区人民法院",
                                                                       "渝0105"))
    ours, theirs = await _admin(services, trial.court.id), await _admin(services, other.id)
    client = await aiohttp_client(create_app(_settings(tmp_path), database=database))

    csrf = await _login(client, theirs.username, "admin-password-1")
    listed = await (await client.get("/api/staff")).json()
    assert [u["username"] for u in listed] == [theirs.username]
    forbidden = await client.get(f"/api/staff?court_id={trial.court.id}")
    assert forbidden.status == 403
    for action in ("disable", "password-reset", "enable"):
        refused = await client.post(f"/api/staff/{trial.clerk.id}/{action}", headers=csrf)
        assert refused.status == 403, action
    refused = await client.post("/api/staff", headers=csrf, json={
        "username": "spy.clerk", "display_name": "间谍", "role": "clerk",
        "court_id": trial.court.id})
    assert refused.status == 403
    refused = await client.post("/api/staff", headers=csrf, json={
        "username": "root.admin", "display_name": "全院", "role": "admin"})
    assert refused.status == 403  # an account without a court: only a court-less admin

    csrf = await _login(client, ours.username, "admin-password-1")
    created = await client.post("/api/staff", headers=csrf, json={
        "username": "zhao.clerk", "display_name": "赵书记员", "role": "clerk",
        "court_id": trial.court.id})
    assert created.status == 201, await created.text()
    issued = await created.json()
    assert issued["user"]["must_change_password"] and len(issued["one_time_password"]) >= 20
    listed = await (await client.get("/api/staff")).json()
    assert {u["username"] for u in listed} == {
        ours.username, trial.clerk.username, trial.judge.username, "zhao.clerk"}
    mine = await client.post(f"/api/staff/{ours.id}/disable", headers=csrf)
    assert mine.status == 409  # nobody locks themselves out
    async with services.uow() as uow:
        audited = [(e.actor, e.action, e.payload.get("username"), e.payload.get("address"))
                   for e in await uow.audit.entries() if e.action == "staff.created"]
    assert (f"staff:{ours.id}", "staff.created", "zhao.clerk", "127.0.0.1") in audited


async def _court_console(base: str, http: aiohttp.ClientSession, secret: str,
                         ended: asyncio.Event) -> socketio.AsyncClient:
    console = socketio.AsyncClient(reconnection=False, http_session=http)

    @console.on("disconnect", namespace="/court")
    async def gone(reason: Any = None) -> None:
        ended.set()

    await console.connect(base, namespaces=["/court"], transports=["websocket"],
                          auth={"session": secret}, headers={"Origin": ORIGIN},
                          wait_timeout=5)
    return console


async def _disable_ends_everything(services: Services, trial: Trial, admin: StaffUser,
                                   manager: HttpClient, room: HttpClient) -> None:
    """The judge is in the hearing and on the court console (on `room`'s process); the
    admin disables them on `manager`'s."""
    secret = (await services.access.login(trial.judge.username, "judge-password-1")).secret
    judge_http = aiohttp.ClientSession(cookies={"yunting_session": secret})
    base = str(room.make_url("/"))
    hearing = Client(base, "judge")
    console_ended = asyncio.Event()
    console_http = aiohttp.ClientSession()
    try:
        await hearing.connect({"session": secret, "hearing_id": trial.hearing.id},
                              headers={"Origin": ORIGIN})
        await hearing.wait("snapshot")
        console = await _court_console(base, console_http, secret, console_ended)
        assert (await judge_http.get(manager.make_url("/api/courts"))).status == 200

        csrf = await _login(manager, admin.username, "admin-password-1")
        disabled = await manager.post(f"/api/staff/{trial.judge.id}/disable", headers=csrf)
        assert disabled.status == 200 and (await disabled.json())["active"] is False

        await asyncio.wait_for(hearing.disconnected.wait(), 8)
        assert hearing.seen("session.ended")
        await asyncio.wait_for(console_ended.wait(), 8)
        assert (await judge_http.get(manager.make_url("/api/courts"))).status == 401
        refused = await manager.post("/api/session", json={
            "username": trial.judge.username, "password": "judge-password-1"})
        assert refused.status == 401
        again = Client(base, "judge again")
        try:
            with pytest.raises(socketio.exceptions.ConnectionError):
                await again.connect({"session": secret, "hearing_id": trial.hearing.id},
                                    headers={"Origin": ORIGIN})
        finally:
            await again.close()
        await console.disconnect()
    finally:
        await hearing.close()
        await console_http.close()
        await judge_http.close()


async def test_disabling_ends_sessions_and_sockets_at_once(
        database: Database, tmp_path: Path, aiohttp_client: MakeClient) -> None:
    services = wire(database)
    trial = await make_trial(services)
    admin = await _admin(services, trial.court.id)
    client = await aiohttp_client(create_app(_settings(tmp_path), database=database))
    await _disable_ends_everything(services, trial, admin, client, client)


@pytest.mark.redis
async def test_disabling_ends_sockets_on_another_process(
        database: Database, tmp_path: Path, aiohttp_client: MakeClient) -> None:
    services = wire(database)
    trial = await make_trial(services)
    admin = await _admin(services, trial.court.id)
    one = await aiohttp_client(create_app(_settings(tmp_path / "1", REDIS_URL),
                                          database=database))
    two = await aiohttp_client(create_app(_settings(tmp_path / "2", REDIS_URL),
                                          database=database))
    await _disable_ends_everything(services, trial, admin, one, two)


@pytest.mark.redis
async def test_disabling_from_the_command_line_ends_open_pages(
        database: Database, tmp_path: Path, aiohttp_client: MakeClient) -> None:
    """`yunting admin user disable` runs outside the serving processes: it reaches their
    open pages through signaling's Redis channel (without it, only at their next request)."""
    services = wire(database)
    trial = await make_trial(services)
    room = await aiohttp_client(create_app(_settings(tmp_path / "app", REDIS_URL),
                                           database=database))
    secret = (await services.access.login(trial.judge.username, "judge-password-1")).secret
    hearing = Client(str(room.make_url("/")), "judge")
    try:
        await hearing.connect({"session": secret, "hearing_id": trial.hearing.id},
                              headers={"Origin": ORIGIN})
        await hearing.wait("snapshot")
        env = {**os.environ, "YUNTING_DATA_DIR": str(tmp_path / "cli"),
               "YUNTING_DATABASE_URL": database.url, "YUNTING_REDIS_URL": REDIS_URL,
               "YUNTING_AUDIT_KEY": AUDIT_KEY.decode()}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "web.app.cli", "admin", "user", "disable", trial.judge.username,
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 0, err.decode()
        assert b"disabled" in out and b"not told" not in err, (out, err)
        await asyncio.wait_for(hearing.disconnected.wait(), 8)
        assert hearing.seen("session.ended")
    finally:
        await hearing.close()
