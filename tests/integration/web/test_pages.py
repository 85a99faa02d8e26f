"""The trial pages render in Chinese and English, with the security headers, and refuse
what they must (bad codes, foreign roles, no login)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from tests.wiring import wire
from web.app.application import create_app
from web.settings import Secret, Settings

Client = TestClient[Any, Any]


@pytest.fixture
async def site(database: Database, tmp_path: Path,
               aiohttp_client: Callable[..., Awaitable[Client]]) -> tuple[Client, Trial]:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        media_enabled=False)
    app: web.Application = create_app(settings, database=database)
    client = await aiohttp_client(app)
    return client, await make_trial(wire(database))


async def _page(client: Client, path: str, lang: str, status: int = 200, **kw: Any) -> str:
    r = await client.get(path, headers={"Accept-Language": lang}, **kw)
    assert r.status == status, (path, await r.text())
    csp = r.headers["Content-Security-Policy"]
    for rule in ("script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
        assert rule in csp
    assert "unsafe-inline" not in csp
    return await r.text()


@pytest.mark.parametrize(("lang", "html_lang", "text"), [
    ("zh-CN,zh;q=0.9", 'lang="zh-CN"', "检查摄像头"), ("en-US,en;q=0.8", 'lang="en"', "Check your camera")])
async def test_participant_page_in_both_languages(site: tuple[Client, Trial], lang: str,
                                                  html_lang: str, text: str) -> None:
    client, trial = site
    html = await _page(client, f"/join/{trial.links['defendant']}", lang)
    assert html_lang in html and text in html
    assert trial.case.number in html and 'data-testid="selftest"' in html


async def test_language_switch_overrides_the_header(site: tuple[Client, Trial]) -> None:
    client, trial = site
    html = await _page(client, f"/join/{trial.links['witness']}?lang=en", "zh-CN")
    assert "Check your camera" in html
    assert 'class="wide kiosk"' in html  # the witness's site is a clinic kiosk


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_static_pages(site: tuple[Client, Trial], lang: str) -> None:
    client, _ = site
    for path in ("/", "/login", "/kiosk"):
        await _page(client, path, lang)
    catalog = await (await client.get("/i18n/zh_CN.json")).json()
    assert catalog["Mute me"] == "关闭我的麦克风"
    assert await (await client.get("/i18n/en.json")).json() == {}
    assert (await client.get("/i18n/xx.json")).status == 404


async def test_judge_link_opens_the_console(site: tuple[Client, Trial]) -> None:
    client, trial = site
    html = await _page(client, f"/join/{trial.links['judge']}", "zh-CN")
    assert 'data-testid="console-page"' in html and "法官控制台" in html


async def test_staff_console_needs_a_login(site: tuple[Client, Trial]) -> None:
    client, trial = site
    path = f"/hearings/{trial.hearing.id}/console"
    r = await client.get(path, allow_redirects=False)
    assert r.status == 302 and r.headers["Location"].startswith("/login?next=")
    login = await client.post("/api/session", json={"username": trial.judge.username,
                                                    "password": "judge-password-1"})
    assert login.status == 200
    html = await _page(client, path, "en")
    assert trial.people["judge"].id in html and "Judge console" in html
    await _page(client, "/hearings/nope/console", "en", status=404)
    await _page(client, "/hearings", "en")


async def test_bad_codes_are_refused(site: tuple[Client, Trial]) -> None:
    client, trial = site
    html = await _page(client, "/join/not-a-code", "zh-CN", status=403)
    assert 'data-testid="refusal-reason"' in html
    r = await client.post("/kiosk", data={"code": "0000-0000"})
    assert r.status in (400, 403) and 'data-testid="kiosk-error"' in await r.text()
    r = await client.post("/kiosk", data={"code": trial.links["witness"].lower()})
    assert r.status == 200 and 'data-testid="participant-page"' in await r.text()


async def test_login_next_is_never_an_open_redirect(site: tuple[Client, Trial]) -> None:
    client, _ = site
    html = await _page(client, "/login?next=//evil.example/x", "en")
    assert 'data-next="/hearings"' in html
