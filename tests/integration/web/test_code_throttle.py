"""Guessing join codes (issue 11): every path that takes a code or a join token without a
session is throttled per client address like the login, and the audit log gets one
`token.refused` row per address per window (the first refusal, then the lockout's
summary with its count) instead of a row per try."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import socketio
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from signaling import NAMESPACE
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from tests.integration.signaling.conftest import ORIGIN, Client
from tests.wiring import wire
from web.app.application import create_app
from web.app.bootstrap import Services
from web.settings import Secret, Settings

HttpClient = TestClient[Any, Any]
LIMIT = 4


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()), media_enabled=False,
                    allowed_origins=(ORIGIN,), login_max_failures=LIMIT)


def _guess() -> str:
    return "-".join(secrets.token_hex(2) for _ in range(8))


async def _try_api_join(client: HttpClient, trial: Trial, code: str) -> Any:
    return await client.post("/api/join", json={"code": code})


async def _try_join_page(client: HttpClient, trial: Trial, code: str) -> Any:
    return await client.get(f"/join/{code}")


async def _try_kiosk(client: HttpClient, trial: Trial, code: str) -> Any:
    return await client.post("/kiosk", data={"code": code})


async def _try_mediation_page(client: HttpClient, trial: Trial, code: str) -> Any:
    return await client.get(f"/mediations/join/{code}")


async def _try_bearer(client: HttpClient, trial: Trial, code: str) -> Any:
    return await client.get(f"/api/hearings/{trial.hearing.id}",
                            headers={"Authorization": f"Bearer {code}"})


PAGES = ("join_page", "kiosk", "mediation_page")
PATHS = {"api_join": _try_api_join, "join_page": _try_join_page, "kiosk": _try_kiosk,
         "mediation_page": _try_mediation_page, "bearer": _try_bearer}


async def _refusal_rows(services: Services) -> list[dict[str, Any]]:
    async with services.uow() as uow:
        return [e.payload for e in await uow.audit.entries() if e.action == "token.refused"]


@pytest.mark.parametrize("path", list(PATHS))
async def test_guessed_codes_are_throttled_per_address_and_audited_once_per_window(
        database: Database, tmp_path: Path,
        aiohttp_client: Callable[..., Awaitable[HttpClient]], path: str) -> None:
    client = await aiohttp_client(create_app(_settings(tmp_path), database=database))
    services = wire(database)
    trial = await make_trial(services)
    attempt = PATHS[path]
    for _ in range(LIMIT):
        refused = await attempt(client, trial, _guess())
        assert refused.status in (400, 401, 403), (refused.status, await refused.text())
    # Locked out: even the right code waits, and nothing is looked up or audited.
    for code in (_guess(), trial.links["defendant"]):
        throttled = await attempt(client, trial, code)
        assert throttled.status == 429, await throttled.text()
        if path in PAGES:  # a person at a kiosk or a phone reads a page, not JSON
            assert throttled.content_type == "text/html"
            assert "此处输入的无效参会码过多" in await throttled.text()
        else:
            assert (await throttled.json())["error"]["code"] == "too_many_attempts"
        assert 0 < int(throttled.headers["Retry-After"]) <= 300
    rows = await _refusal_rows(services)
    assert [(r["reason"], r["count"], r["address"]) for r in rows] == [
        ("unknown_token", 1, "127.0.0.1"), ("unknown_token", LIMIT, "127.0.0.1")]
    assert 0 < rows[-1]["locked_for"] <= 300 and "locked_for" not in rows[0]


async def test_the_lockout_is_per_address_and_counts_every_path(
        database: Database, tmp_path: Path,
        aiohttp_client: Callable[..., Awaitable[HttpClient]]) -> None:
    client = await aiohttp_client(create_app(_settings(tmp_path), database=database))
    trial = await make_trial(wire(database))
    for attempt in list(PATHS.values())[:LIMIT]:  # one try on each path adds up
        assert (await attempt(client, trial, _guess())).status != 429
    assert (await _try_api_join(client, trial, trial.links["witness"])).status == 429
    # Staff with a session are not guessing codes: their login is limited on its own.
    login = await client.post("/api/session", json={"username": trial.clerk.username,
                                                    "password": "clerk-password-1"})
    assert login.status == 200


async def test_a_known_code_is_admitted_and_not_counted(
        database: Database, tmp_path: Path,
        aiohttp_client: Callable[..., Awaitable[HttpClient]]) -> None:
    client = await aiohttp_client(create_app(_settings(tmp_path), database=database))
    trial = await make_trial(wire(database))
    for _ in range(LIMIT * 3):
        ok = await _try_api_join(client, trial, trial.links["defendant"])
        assert ok.status == 200, await ok.text()


async def test_socket_connects_with_guessed_tokens_are_throttled(
        database: Database, tmp_path: Path, aiohttp_server: Any) -> None:
    """The connect arrives inside an engine.io request (the WebSocket's here; a polling
    POST's likewise): the caller that request named is the one throttled."""
    app: web.Application = create_app(_settings(tmp_path), database=database)
    server = await aiohttp_server(app, host="127.0.0.1")
    services = wire(database)
    trial = await make_trial(services)
    url = f"http://127.0.0.1:{server.port}"
    codes = []
    for token in [_guess() for _ in range(LIMIT)] + [trial.links["defendant"]]:
        c = Client(url, "guess")
        try:
            with pytest.raises(socketio.exceptions.ConnectionError):
                await c.sio.connect(url, namespaces=[NAMESPACE], transports=["websocket"],
                                    auth={"token": token, "hearing_id": trial.hearing.id},
                                    headers={"Origin": ORIGIN}, wait_timeout=5)
            codes.append(c.refusal["data"]["code"] if c.refusal else None)
        finally:
            await c.close()
    assert codes == ["unknown_token"] * LIMIT + ["too_many_attempts"]
    rows = await _refusal_rows(services)
    assert [r["count"] for r in rows] == [1, LIMIT]


async def test_a_real_token_refused_again_and_again_is_audited_once_per_window(
        database: Database, tmp_path: Path,
        aiohttp_client: Callable[..., Awaitable[HttpClient]]) -> None:
    """No guess (the holder has the secret), so no lockout; but no audit flood either."""
    client = await aiohttp_client(create_app(_settings(tmp_path), database=database))
    services = wire(database)
    mine, other = await make_trial(services), await make_trial(services)
    bearer = {"Authorization": f"Bearer {mine.links['witness']}"}
    for _ in range(LIMIT * 3):
        r = await client.get(f"/api/hearings/{other.hearing.id}", headers=bearer)
        assert (await r.json())["error"]["code"] == "wrong_hearing"
    assert (await client.get(f"/api/hearings/{mine.hearing.id}", headers=bearer)).status == 200
    rows = await _refusal_rows(services)
    assert [(r["reason"], r["count"]) for r in rows] == [("wrong_hearing", 1),
                                                         ("wrong_hearing", LIMIT)]
