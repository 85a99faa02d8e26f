"""First-run setup on an empty PostgreSQL database with `yunting admin` (issue 16.4): a
court, a site, a judge and a clerk; the clerk logs in with the one-time password and must
change it first; a reset ends the clerk's session and asks for a change again; a disabled
account's login is refused and its open session rejected. Every action is audited."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import POSTGRES_ADMIN_URL, unavailable
from web.app.application import create_app
from web.settings import Settings

pytestmark = pytest.mark.postgres
HttpClient = TestClient[Any, Any]
AUDIT_KEY = "first-run-audit-key-0123456789abcdef"
ORIGIN = "http://127.0.0.1:8080"


@pytest.fixture
async def empty_database() -> AsyncIterator[str]:
    """A database nobody has touched: no schema, no rows."""
    import asyncpg

    name = f"yunting_first_run_{secrets.token_hex(4)}"
    try:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        unavailable("PostgreSQL", str(exc))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


class Shell:
    def __init__(self, data_dir: Path, database_url: str) -> None:
        self.env = {**os.environ, "YUNTING_DATA_DIR": str(data_dir),
                    "YUNTING_DATABASE_URL": database_url, "YUNTING_AUDIT_KEY": AUDIT_KEY}
        self.cwd = data_dir

    async def run(self, *args: str, ok: bool = True) -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "web.app.cli", *args, env=self.env, cwd=self.cwd,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        assert (proc.returncode == 0) == ok, (args, proc.returncode, err.decode())
        return out.decode() + err.decode()


def one_time(output: str) -> str:
    match = re.search(r"one-time password.*: (\S+)$", output, re.M)
    assert match, output
    return match.group(1)


async def login(client: HttpClient, username: str, password: str) -> tuple[int, Any]:
    response = await client.post("/api/session", json={"username": username,
                                                       "password": password})
    return response.status, await response.json()


async def test_first_run_on_an_empty_postgres(
        empty_database: str, tmp_path: Path,
        aiohttp_client: Callable[..., Awaitable[HttpClient]]) -> None:
    shell = Shell(tmp_path, empty_database)
    assert "newest revision" in await shell.run("db", "upgrade")
    assert "court 渝0112" in await shell.run(
        "admin", "court", "create", "--name", "重庆市渝北区人民法院", "--code", "渝0112")
    assert "第一法庭" in await shell.run(
        "admin", "site", "create", "--court", "渝0112", "--name", "第一法庭",
        "--kind", "courtroom")
    judge_password = one_time(await shell.run(
        "admin", "user", "create", "--username", "wang.judge", "--name", "王法官",
        "--role", "judge", "--court", "渝0112", "--on-duty"))
    clerk_password = one_time(await shell.run(
        "admin", "user", "create", "--username", "li.clerk", "--name", "李书记员",
        "--role", "clerk", "--court", "渝0112"))
    assert judge_password != clerk_password
    # refusals name what is wrong and change nothing
    assert "court" in await shell.run(
        "admin", "user", "create", "--username", "x.clerk", "--name", "无院", "--role",
        "clerk", ok=False)
    assert "exists already" in await shell.run(
        "admin", "user", "create", "--username", "li.clerk", "--name", "又一个",
        "--role", "clerk", "--court", "渝0112", ok=False)
    listed = json.loads(await shell.run("admin", "user", "list", "--court", "渝0112", "--json"))
    assert [(u["username"], u["role"], u["court"], u["active"], u["must_change_password"])
            for u in listed] == [("li.clerk", "clerk", "渝0112", True, True),
                                 ("wang.judge", "judge", "渝0112", True, True)]

    settings = Settings(data_dir=tmp_path, database_url=empty_database,
                        allowed_origins=(ORIGIN,), media_enabled=False,
                        audit_key=Settings.from_env(
                            {"YUNTING_AUDIT_KEY": AUDIT_KEY}, env_file=None).audit_key)
    client = await aiohttp_client(create_app(settings))

    # the one-time password logs in to the change form only
    status, body = await login(client, "li.clerk", clerk_password)
    assert status == 200 and body["user"]["must_change_password"] is True
    csrf = {"X-CSRF-Token": body["csrf_token"]}
    refused = await client.get("/api/courts")
    assert refused.status == 403
    assert (await refused.json())["error"]["code"] == "password_change_required"
    elsewhere = aiohttp.ClientSession()  # the same account in another browser
    try:
        r = await elsewhere.post(client.make_url("/api/session"), json={
            "username": "li.clerk", "password": clerk_password})
        assert r.status == 200
    except BaseException:
        await elsewhere.close()
        raise
    weak = await client.post("/api/session/password", headers=csrf, json={
        "current_password": clerk_password, "new_password": "password123"})
    assert weak.status == 400 and "common" in (await weak.json())["error"]["message"]
    changed = await client.post("/api/session/password", headers=csrf, json={
        "current_password": clerk_password, "new_password": "秋天的-卷宗-47-橘子"})
    assert changed.status == 200, await changed.text()
    courts = await client.get("/api/courts")
    assert courts.status == 200 and [c["code"] for c in await courts.json()] == ["渝0112"]
    try:  # the change ended the account's other session, not this one
        assert (await elsewhere.get(client.make_url("/api/session"))).status == 401
    finally:
        await elsewhere.close()

    # a reset: the session ends, the old password is dead, the new one must be changed
    new_clerk_password = one_time(await shell.run("admin", "user", "reset", "li.clerk"))
    assert (await client.get("/api/courts")).status == 401
    assert (await login(client, "li.clerk", "秋天的-卷宗-47-橘子"))[0] == 401
    status, body = await login(client, "li.clerk", new_clerk_password)
    assert status == 200 and body["user"]["must_change_password"] is True
    assert (await client.post("/api/session/password", headers={
        "X-CSRF-Token": body["csrf_token"]}, json={
        "current_password": new_clerk_password,
        "new_password": "冬天的-卷宗-48-柚子"})).status == 200
    assert (await client.get("/api/courts")).status == 200

    # disabled: the open session is rejected at its next request, the login refused
    assert "disabled: li.clerk" in await shell.run("admin", "user", "disable", "li.clerk")
    assert (await client.get("/api/courts")).status == 401
    status, body = await login(client, "li.clerk", "冬天的-卷宗-48-柚子")
    assert status == 401 and "disabled" in body["error"]["message"]
    await shell.run("admin", "user", "enable", "li.clerk")
    assert (await login(client, "li.clerk", "冬天的-卷宗-48-柚子"))[0] == 200

    audit = await shell.run("audit", "verify")
    assert "ok" in audit.lower() or "intact" in audit.lower(), audit
    import asyncpg

    conn = await asyncpg.connect(empty_database.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await conn.fetch("SELECT actor, action FROM audit_log ORDER BY seq")
    finally:
        await conn.close()
    cli = [r["action"] for r in rows if r["actor"].startswith("system:admin-cli:")]
    assert cli == ["court.created", "site.created", "staff.created", "staff.created",
                   "staff.password_reset", "staff.disabled", "staff.enabled"]
    actions = [r["action"] for r in rows]
    assert actions.count("staff.password_changed") == 2
    assert "staff.login_refused" in actions
