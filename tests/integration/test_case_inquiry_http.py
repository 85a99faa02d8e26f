"""One Case, One Code over real HTTP (SQLite and PostgreSQL): a clerk reads the code and sets
a party's digits; the public API and page answer the stage and next date only; every miss
reads the same; 5 misses lock the code; juvenile and switched-off cases are not found."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from web.app.application import create_app
from web.app.bootstrap import Services
from web.settings import Secret, Settings

Client = TestClient[Any, Any]


@pytest.fixture
async def client(database: Database, tmp_path: Any,
                 aiohttp_client: Callable[..., Awaitable[Client]]) -> Client:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        public_url="http://court.example")
    app: web.Application = create_app(settings, database=database)
    return await aiohttp_client(app)


async def as_clerk(client: Client, trial: Trial) -> dict[str, str]:
    r = await client.post("/api/session", json={"username": trial.clerk.username,
                                                "password": "clerk-password-1"})
    assert r.status == 200, await r.text()
    return {"X-CSRF-Token": (await r.json())["csrf_token"]}


async def prepared(client: Client, services: Services) -> tuple[Trial, dict[str, str], str]:
    trial = await make_trial(services)
    headers = await as_clerk(client, trial)
    r = await client.get(f"/api/cases/{trial.case.id}/inquiry")
    assert r.status == 200, await r.text()
    inquiry = await r.json()
    assert inquiry["url"] == f"http://court.example/inquiry?code={inquiry['code']}"
    assert (inquiry["enabled"], inquiry["juvenile"], inquiry["open"]) == (None, False, True)
    r = await client.put(
        f"/api/cases/{trial.case.id}/inquiry/parties/{trial.people['defendant'].id}",
        json={"phone_last4": "5678", "id_number_last4": "123X"}, headers=headers)
    assert r.status == 200, await r.text()
    assert (await r.json())["kinds"] == ["id_number", "phone"]
    return trial, headers, inquiry["code"]


async def ask(client: Client, code: str, digits: str) -> tuple[int, Any]:
    r = await client.post("/api/inquiry", json={"code": code, "digits": digits})
    return r.status, await r.json()


async def test_the_right_code_and_digits_answer_the_stage_and_next_date_only(
        client: Client, services: Services) -> None:
    trial, _, code = await prepared(client, services)
    status, body = await ask(client, code.lower().replace("-", " "), "5678")
    assert status == 200, body
    assert set(body) == {"stage", "stage_label", "next_date"}
    assert body["stage"] == "scheduled" and body["stage_label"] == "庭审已排期"
    assert body["next_date"].endswith("+08:00")  # the court's time zone
    assert body["next_date"][:16] == trial.hearing.scheduled_at.astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Shanghai")).isoformat()[:16]
    page = await client.post("/inquiry", data={"code": code, "digits": "123x"})
    html = await page.text()
    assert page.status == 200 and 'data-stage="scheduled"' in html
    for secret in ("张某", "赵敏", "刘大山", trial.case.number, trial.case.title):
        assert secret not in html and secret not in str(body)


async def test_a_wrong_code_and_wrong_digits_are_indistinguishable(
        client: Client, services: Services) -> None:
    _, _, code = await prepared(client, services)
    wrong_code = await client.post("/api/inquiry", json={"code": "0000-0000-0000",
                                                         "digits": "5678"})
    wrong_digits = await client.post("/api/inquiry", json={"code": code, "digits": "0000"})
    assert wrong_code.status == wrong_digits.status == 404
    assert await wrong_code.read() == await wrong_digits.read()
    pages = [await client.post("/inquiry", data={"code": c, "digits": d})
             for c, d in (("0000-0000-0000", "5678"), (code, "0000"))]
    assert [p.status for p in pages] == [404, 404]
    texts = [(await p.text()).replace(code, "0000-0000-0000") for p in pages]
    assert texts[0] == texts[1]


async def test_five_misses_lock_the_code(client: Client, services: Services) -> None:
    _, _, code = await prepared(client, services)
    for _ in range(5):
        assert (await ask(client, code, "0000"))[0] == 404
    r = await client.post("/api/inquiry", json={"code": code, "digits": "5678"})
    assert r.status == 429 and int(r.headers["Retry-After"]) > 14 * 60
    assert (await r.json())["error"]["code"] == "too_many_attempts"
    page = await client.post("/inquiry", data={"code": code, "digits": "5678"})
    assert page.status == 429 and "15" in await page.text()
    async with services.uow() as uow:
        rows = [e for e in await uow.audit.entries() if e.action == "inquiry.refused"]
    assert [r.payload["count"] for r in rows] == [1, 5]


async def test_a_juvenile_case_is_not_found_and_a_clerk_turns_inquiry_off(
        client: Client, services: Services) -> None:
    trial, headers, code = await prepared(client, services)
    not_found = await client.post("/api/inquiry", json={"code": "ZZZZ-ZZZZ-ZZZZ",
                                                        "digits": "5678"})
    r = await client.put(f"/api/cases/{trial.case.id}/inquiry", json={"juvenile": True},
                         headers=headers)
    assert r.status == 200 and (await r.json())["open"] is False
    juvenile = await client.post("/api/inquiry", json={"code": code, "digits": "5678"})
    assert juvenile.status == 404 and await juvenile.read() == await not_found.read()
    r = await client.put(f"/api/cases/{trial.case.id}/inquiry",
                         json={"juvenile": False, "enabled": False}, headers=headers)
    assert (await r.json())["open"] is False
    off = await client.post("/api/inquiry", json={"code": code, "digits": "5678"})
    assert off.status == 404 and await off.read() == await not_found.read()
    r = await client.put(f"/api/cases/{trial.case.id}/inquiry", json={"enabled": True},
                         headers=headers)
    assert (await r.json())["open"] is True
    assert (await ask(client, code, "5678"))[0] == 200


async def test_a_judge_may_read_the_code_but_not_switch_it(
        client: Client, services: Services) -> None:
    trial, _, _ = await prepared(client, services)
    await client.delete("/api/session")
    r = await client.post("/api/session", json={"username": trial.judge.username,
                                                "password": "judge-password-1"})
    headers = {"X-CSRF-Token": (await r.json())["csrf_token"]}
    assert (await client.get(f"/api/cases/{trial.case.id}/inquiry")).status == 200
    r = await client.put(f"/api/cases/{trial.case.id}/inquiry", json={"enabled": False},
                         headers=headers)
    assert r.status == 403
    r = await client.put(f"/api/cases/{trial.case.id}/inquiry", json={"enabled": "no"},
                         headers=headers)
    assert r.status == 400


async def test_the_page_prefills_the_code_from_the_qr_link(client: Client,
                                                           services: Services) -> None:
    _, _, code = await prepared(client, services)
    page = await client.get(f"/inquiry?code={code.lower()}")
    assert page.status == 200 and f'value="{code}"' in await page.text()


async def test_digits_given_at_the_invitation_and_a_case_opened_juvenile(
        client: Client, services: Services) -> None:
    trial = await make_trial(services)
    headers = await as_clerk(client, trial)
    r = await client.post(f"/api/hearings/{trial.hearing.id}/participants", json={
        "name": "原告钱某", "role": "plaintiff", "phone_last4": "12"}, headers=headers)
    assert r.status == 400  # checked before anyone is invited
    r = await client.post(f"/api/hearings/{trial.hearing.id}/participants", json={
        "name": "原告钱某", "role": "plaintiff", "phone_last4": "4321"}, headers=headers)
    assert r.status == 201, await r.text()
    case = await (await client.get(f"/api/cases/{trial.case.id}")).json()
    assert case["inquiry"]["open"] is True
    assert (await ask(client, case["inquiry"]["code"], "4321"))[0] == 200
    r = await client.post("/api/cases", json={
        "court_id": trial.court.id, "case_type": "criminal", "title": "未成年人盗窃案",
        "procedure": "刑初", "juvenile": True}, headers=headers)
    assert r.status == 201, await r.text()
    juvenile = await (await client.get(f"/api/cases/{(await r.json())['id']}")).json()
    assert (juvenile["inquiry"]["juvenile"], juvenile["inquiry"]["open"]) == (True, False)


async def test_the_page_speaks_english_when_asked(client: Client, services: Services) -> None:
    _, _, code = await prepared(client, services)
    english = {"Accept-Language": "en"}
    page = await client.post("/inquiry", data={"code": code, "digits": "5678"},
                             headers=english)
    html = await page.text()
    assert page.status == 200 and "Case progress inquiry" in html
    assert "Hearing scheduled" in html and "案件进度查询" not in html
    status, body = await ask(client, code, "5678")
    assert status == 200 and body["stage_label"] == "庭审已排期"  # Chinese first
