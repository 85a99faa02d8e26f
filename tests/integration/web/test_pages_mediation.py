"""The mediation, duty-judge and clerk pages: who may open them, both languages, documented hooks."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from tests.conftest import AUDIT_KEY
from web.app.application import create_app
from web.app.demo import DEMO_STAFF, DemoLink, seed_demo
from web.keys import SERVICES
from web.settings import Secret, Settings

Client = TestClient[Any, Any]
ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "web" / "templates"
SCRIPTS = ROOT / "web" / "static" / "js"
OWN_TEMPLATES = sorted(
    p for pattern in ("mediation_*.html", "duty_*.html", "clerk_*.html", "sign_*.html")
    for p in TEMPLATES.glob(pattern))
OWN_SCRIPTS = [SCRIPTS / n for n in ("pages/mediation.js", "pages/duty.js", "pages/clerk.js",
                                     "lib/documents.js", "lib/signature.js")]


@pytest.fixture
async def client(database: Database, tmp_path: Any,
                 aiohttp_client: Callable[..., Awaitable[Client]]) -> Client:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()))
    app: web.Application = create_app(settings, database=database)
    return await aiohttp_client(app)


@pytest.fixture
async def links(client: Client) -> dict[str, DemoLink]:
    found = await seed_demo(client.app[SERVICES], "http://127.0.0.1")
    return {f"{link.role_key}@{link.hearing_id}": link for link in found} | {
        link.role_key: link for link in found if link.role.value in ("party", "mediator")}


async def login(client: Client, username: str) -> None:
    password = DEMO_STAFF[username][2]
    r = await client.post("/api/session", json={"username": username, "password": password})
    assert r.status == 200, await r.text()


def mediation_id(links: dict[str, DemoLink]) -> str:
    return links["mediator"].hearing_id


@pytest.mark.parametrize("lang,expected", [("zh-CN", "调解协议"), ("en", "Mediation agreement")])
async def test_mediator_console_renders_in_both_languages(
    client: Client, links: dict[str, DemoLink], lang: str, expected: str
) -> None:
    await login(client, "mediator")
    r = await client.get(f"/mediations/{mediation_id(links)}/console?lang={lang}")
    html = await r.text()
    assert r.status == 200, html
    assert expected in html and 'data-testid="signature-pad"' in html
    assert "<script>" not in html  # only external modules and JSON data blocks (CSP)
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]


@pytest.mark.parametrize("lang,expected", [("zh-CN", "申请司法确认"),
                                           ("en", "Apply for judicial confirmation")])
async def test_apply_button_is_labelled(client: Client, links: dict[str, DemoLink], lang: str,
                                        expected: str) -> None:
    await login(client, "mediator")
    html = await (await client.get(f"/mediations/{mediation_id(links)}/console?lang={lang}")).text()
    assert expected in html


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_party_view_from_the_join_link(client: Client, links: dict[str, DemoLink],
                                             lang: str) -> None:
    applicant = links["party_applicant"]
    r = await client.get(f"/mediations/join/{applicant.code}?lang={lang}")
    html = await r.text()
    assert r.status == 200, html
    assert applicant.name in html and 'data-kiosk="1"' in html  # she is at a clinic kiosk
    respondent = links["party_respondent"]
    html = await (await client.get(f"/mediations/join/{respondent.code}?lang={lang}")).text()
    assert 'data-kiosk="0"' in html and 'data-testid="signature-refuse"' in html


async def test_a_trial_link_is_sent_to_the_ordinary_join_page(
    client: Client, links: dict[str, DemoLink]
) -> None:
    trial = next(v for k, v in links.items() if k.startswith("defendant@"))
    r = await client.get(f"/mediations/join/{trial.code}", allow_redirects=False)
    assert r.status == 302 and r.headers["Location"] == f"/join/{trial.code}"
    mediator = links["mediator"]
    r = await client.get(f"/mediations/join/{mediator.code}", allow_redirects=False)
    assert r.headers["Location"] == f"/mediations/{mediator.hearing_id}/console"


async def test_a_bad_link_is_refused_with_a_page(client: Client) -> None:
    r = await client.get("/mediations/join/not-a-real-secret")
    assert r.status == 403 and "data-reason=\"unknown_token\"" in await r.text()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("user,path", [
    ("duty_judge", "/duty"), ("duty_judge", "/duty/applications/some-id"),
    ("clerk", "/clerk"), ("clerk", "/clerk/recordings"), ("clerk", "/clerk/stats"),
])
async def test_staff_pages_render(client: Client, links: dict[str, DemoLink], user: str,
                                  path: str, lang: str) -> None:
    await login(client, user)
    r = await client.get(f"{path}?lang={lang}")
    assert r.status == 200, await r.text()


async def test_the_clerks_day_list_opens_on_the_courts_day(
        client: Client, links: dict[str, DemoLink]) -> None:
    # The API's `date` is a court day (Asia/Shanghai); a browser elsewhere (a headless
    # one in UTC from 16:00) would otherwise open the list on another day.
    await login(client, "clerk")
    html = await (await client.get("/clerk")).text()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert f'data-testid="day-date" value="{today}"' in html


async def test_staff_pages_need_a_session_and_the_right_role(
    client: Client, links: dict[str, DemoLink]
) -> None:
    r = await client.get("/duty", allow_redirects=False)
    assert r.status == 302 and r.headers["Location"] == "/login?next=/duty"
    await login(client, "mediator")
    r = await client.get("/duty")
    assert r.status == 403 and "text/html" in r.headers["Content-Type"]
    assert (await client.get("/clerk/recordings")).status == 403
    r = await client.get("/mediations/no-such-hearing/console")
    assert r.status == 404 and "text/html" in r.headers["Content-Type"]


async def test_chinese_is_the_default(client: Client, links: dict[str, DemoLink]) -> None:
    await login(client, "duty_judge")
    html = await (await client.get("/duty")).text()
    assert "司法确认申请" in html and 'lang="zh-CN"' in html


def test_every_testid_is_documented() -> None:
    documented = (ROOT / "docs" / "ui-testids.md").read_text(encoding="utf-8")
    used: set[str] = set()
    for path in [*OWN_TEMPLATES, *OWN_SCRIPTS]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'data-testid="([a-z0-9-]+)"', text))
        used |= set(re.findall(r'testid: "([a-z0-9-]+)"', text))
        used |= set(re.findall(r"\$\(\"([a-z0-9-]+)\"\)", text))
    assert used, "no test ids found"
    missing = sorted(t for t in used if f"`{t}`" not in documented)
    assert not missing, f"undocumented data-testid values: {missing}"
