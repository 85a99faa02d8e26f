"""The scheduling API as a clerk, a judge and a participant use it, over real HTTP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from tests.conftest import AUDIT_KEY
from tests.factories import make_trial
from web.app.application import create_app
from web.app.bootstrap import Services
from web.http.openapi import document
from web.settings import Secret, Settings

Client = TestClient[Any, Any]


@pytest.fixture
async def app(database: Database, tmp_path: Any) -> web.Application:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        max_request_bytes=20_000)
    return create_app(settings, database=database)


@pytest.fixture
async def client(app: web.Application, aiohttp_client: Callable[..., Awaitable[Client]]) -> Client:
    return await aiohttp_client(app)


async def login(client: Client, username: str, password: str) -> str:
    response = await client.post("/api/session", json={"username": username, "password": password})
    assert response.status == 200, await response.text()
    return str((await response.json())["csrf_token"])


async def test_health_and_readiness(client: Client) -> None:
    assert (await client.get("/healthz")).status == 200
    assert (await (await client.get("/readyz")).json())["status"] == "ready"


async def test_clerk_schedules_a_hearing_end_to_end(client: Client, services: Services) -> None:
    trial = await make_trial(services)
    csrf = await login(client, trial.clerk.username, "clerk-password-1")
    headers = {"X-CSRF-Token": csrf}
    r = await client.post("/api/cases", json={
        "court_id": trial.court.id, "case_type": "civil", "title": "买卖合同纠纷",
        "number": "(2026)渝0113民初1234号"}, headers=headers)
    assert r.status == 201, await r.text()
    case = await r.json()
    r = await client.post("/api/hearings", json={
        "case_id": case["id"], "kind": "trial", "title": "买卖合同纠纷开庭",
        "scheduled_at": "2026-11-23T09:00:00+08:00", "presiding_user_id": trial.judge.id},
        headers=headers)
    assert r.status == 201, await r.text()
    hearing = await r.json()
    r = await client.post(f"/api/hearings/{hearing['id']}/participants", json={
        "name": "原告<script>alert(1)</script>", "role": "plaintiff",
        "site_id": trial.clinic.id}, headers=headers)
    assert r.status == 201
    plaintiff = await r.json()
    r = await client.post(
        f"/api/hearings/{hearing['id']}/participants/{plaintiff['id']}/join-links",
        headers=headers)
    link = await r.json()
    assert r.status == 201 and link["url"].endswith(link["code"])
    day = await (await client.get("/api/hearings?date=2026-11-23")).json()
    assert hearing["id"] in [h["id"] for h in day]
    page = await client.get(f"/join/{link['code']}")
    html = await page.text()
    assert page.status == 200
    assert "&lt;script&gt;" in html and "<script>alert" not in html


async def test_writes_without_csrf_token_are_refused(client: Client, services: Services) -> None:
    trial = await make_trial(services)
    await login(client, trial.clerk.username, "clerk-password-1")
    r = await client.post("/api/courts", json={"name": "某法院", "code": "渝0199"})
    assert r.status == 403
    assert (await r.json())["error"]["code"] == "csrf_failed"


async def test_illegal_transition_is_409_with_json_error(client: Client, services: Services) -> None:
    trial = await make_trial(services)
    csrf = await login(client, trial.judge.username, "judge-password-1")
    r = await client.post(f"/api/hearings/{trial.hearing.id}/transitions",
                          json={"action": "start"}, headers={"X-CSRF-Token": csrf})
    assert r.status == 409
    assert await r.json() == {"error": {
        "code": "illegal_transition", "message": "cannot start a hearing that is scheduled"}}


async def test_a_judge_controls_only_their_own_hearings(client: Client, services: Services) -> None:
    mine = await make_trial(services)
    other = await make_trial(services)
    csrf = await login(client, mine.judge.username, "judge-password-1")
    r = await client.post(f"/api/hearings/{other.hearing.id}/transitions",
                          json={"action": "close"}, headers={"X-CSRF-Token": csrf})
    assert r.status == 403 and (await r.json())["error"]["code"] == "forbidden"


async def test_cross_hearing_token_is_refused_and_audited(
    client: Client, services: Services
) -> None:
    a = await make_trial(services)
    b = await make_trial(services)
    bearer = {"Authorization": f"Bearer {a.links['witness']}"}
    own = await client.get(f"/api/hearings/{a.hearing.id}", headers=bearer)
    assert own.status == 200
    r = await client.get(f"/api/hearings/{b.hearing.id}", headers=bearer)
    assert r.status == 403
    assert (await r.json())["error"]["code"] == "wrong_hearing"
    r = await client.post("/api/join", json={"code": a.links["witness"], "hearing_id": b.hearing.id})
    assert (await r.json())["error"]["code"] == "wrong_hearing"
    async with services.uow() as uow:
        refused = [e for e in await uow.audit.entries(b.hearing.id) if e.action == "token.refused"]
    # Refusals from one address are aggregated: the window's first one is the row.
    assert [(e.payload["reason"], e.payload["count"]) for e in refused] == [("wrong_hearing", 1)]


async def test_a_party_cannot_schedule(client: Client, services: Services) -> None:
    trial = await make_trial(services)
    r = await client.post("/api/courts", json={"name": "x", "code": "渝0001"},
                          headers={"Authorization": f"Bearer {trial.links['defendant']}"})
    assert r.status == 403


@pytest.mark.parametrize(("body", "status", "code"), [
    (b"{not json", 400, "invalid_json"),
    (b"[1, 2]", 400, "invalid_json"),
    (b'{"username": 5, "password": "x"}', 400, "invalid_input"),
    (b'{"password": "x"}', 400, "invalid_input"),
    (b'{"username": "' + b"x" * 30_000 + b'", "password": "x"}', 413, "body_too_large"),
])
async def test_bad_input_gets_a_clear_4xx(
    client: Client, body: bytes, status: int, code: str
) -> None:
    r = await client.post("/api/session", data=body, headers={"Content-Type": "application/json"})
    assert r.status == status
    assert (await r.json())["error"]["code"] == code


async def test_bad_values_are_named(client: Client, services: Services) -> None:
    trial = await make_trial(services)
    csrf = await login(client, trial.clerk.username, "clerk-password-1")
    h = {"X-CSRF-Token": csrf}
    r = await client.post("/api/cases", json={"court_id": trial.court.id, "case_type": "civil",
                                              "title": "x", "number": "2026-1"}, headers=h)
    assert r.status == 400 and "case number must look like" in (await r.json())["error"]["message"]
    r = await client.post("/api/hearings", json={
        "case_id": trial.case.id, "kind": "trial", "title": "t",
        "scheduled_at": "2026-11-23T09:00:00"}, headers=h)
    assert r.status == 400 and "time zone" in (await r.json())["error"]["message"]
    r = await client.get("/api/hearings?date=tomorrow")
    assert r.status == 400
    r = await client.get("/api/hearings/does-not-exist")
    assert r.status == 404 and (await r.json())["error"]["code"] == "not_found"
    r = await client.get("/api/nowhere")
    assert r.status == 404 and "error" in await r.json()


async def test_every_route_is_in_the_openapi_document(app: web.Application, client: Client) -> None:
    served = await (await client.get("/api/openapi.json")).json()
    assert served == document()
    documented = {(m.upper(), path) for path, ops in served["paths"].items() for m in ops}
    routes = {(r.method, r.resource.canonical) for r in app.router.routes()
              if r.resource is not None and r.method != "HEAD"
              and r.resource.canonical.startswith(("/api", "/healthz", "/readyz"))}
    assert routes and routes <= documented
    assert documented <= routes


async def test_logout_needs_csrf_and_ends_the_session(client: Client, services: Services) -> None:
    trial = await make_trial(services)
    csrf = await login(client, trial.clerk.username, "clerk-password-1")
    assert (await client.delete("/api/session")).status == 403
    assert (await client.delete("/api/session", headers={"X-CSRF-Token": csrf})).status == 204
    assert (await client.get("/api/session")).status == 401


async def test_password_guessing_is_refused_for_a_while(client: Client, services: Services
                                                        ) -> None:
    trial = await make_trial(services)
    wrong = {"username": trial.clerk.username, "password": "not-the-password"}
    for _ in range(5):  # the default limit: five failures per username and per address
        assert (await client.post("/api/session", json=wrong)).status == 401
    right = {"username": trial.clerk.username, "password": "clerk-password-1"}
    refused = await client.post("/api/session", json=right)
    assert refused.status == 429
    assert (await refused.json())["error"]["code"] == "too_many_attempts"
    assert 1 <= int(refused.headers["Retry-After"]) <= 300
    # The same address guessing another name is refused too.
    other = {"username": trial.judge.username, "password": "judge-password-1"}
    assert (await client.post("/api/session", json=other)).status == 429


async def test_a_join_token_has_no_session_to_log_out_of(client: Client, services: Services
                                                         ) -> None:
    """A Bearer join token passed actor_for, then the handler read a cookie that was not
    there: a 500 (found by the schemathesis run)."""
    trial = await make_trial(services)
    r = await client.delete("/api/session",
                            headers={"Authorization": f"Bearer {trial.links['lawyer']}"})
    assert r.status == 401, await r.text()
    assert (await r.json())["error"]["code"] == "unauthenticated"
