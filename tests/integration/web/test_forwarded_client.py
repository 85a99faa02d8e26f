"""Behind a reverse proxy (issue 16): X-Forwarded-For is believed only from a configured
proxy. A spoofed header from anyone else changes nothing — login failures are counted
per the peer's address — and from a trusted proxy the real client's address is the one
counted and audited."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import socketio
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from signaling import NAMESPACE
from tests.conftest import AUDIT_KEY
from tests.factories import make_trial
from tests.integration.signaling.conftest import ORIGIN, Client
from tests.wiring import wire
from web.app.application import create_app
from web.settings import Secret, Settings

HttpClient = TestClient[Any, Any]
LIMIT = 3


def _settings(tmp_path: Path, proxies: tuple[str, ...]) -> Settings:
    return Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                    media_enabled=False, allowed_origins=(ORIGIN,),
                    login_max_failures=LIMIT, trusted_proxies=proxies)


async def _fail(client: HttpClient, forwarded_for: str) -> int:
    """A failed login for a fresh username (so only the address can lock it out)."""
    response = await client.post(
        "/api/session", json={"username": f"nobody-{secrets.token_hex(3)}", "password": "x"},
        headers={"X-Forwarded-For": forwarded_for})
    return response.status


async def test_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(
        database: Database, tmp_path: Path,
        aiohttp_client: Callable[..., Awaitable[HttpClient]]) -> None:
    client = await aiohttp_client(create_app(_settings(tmp_path, ()), database=database))
    for _ in range(LIMIT):  # a new address claimed each time: still one peer
        assert await _fail(client, f"198.51.100.{secrets.randbelow(200)}") == 401
    assert await _fail(client, "203.0.113.1") == 429
    async with wire(database).uow() as uow:
        rows = [e.payload for e in await uow.audit.entries()
                if e.action == "staff.login_failed"]
    assert {row["address"] for row in rows} == {"127.0.0.1"}


async def test_a_trusted_proxy_names_the_client_rightmost_untrusted_address(
        database: Database, tmp_path: Path,
        aiohttp_client: Callable[..., Awaitable[HttpClient]]) -> None:
    settings = _settings(tmp_path, ("127.0.0.1", "10.0.0.0/8"))
    client = await aiohttp_client(create_app(settings, database=database))
    # the client prepends whatever it likes; the proxies append what they saw
    for n in range(LIMIT):
        assert await _fail(client, f"6.6.6.{n}, 198.51.100.7, 10.0.0.2") == 401
    assert await _fail(client, "198.51.100.7") == 429
    assert await _fail(client, "198.51.100.8") == 401  # another client is not locked out
    async with wire(database).uow() as uow:
        rows = [e.payload for e in await uow.audit.entries()
                if e.action == "staff.login_failed"]
    assert [row["address"] for row in rows] == ["198.51.100.7"] * LIMIT + ["198.51.100.8"]


async def test_forwarded_proto_from_a_trusted_proxy_is_the_scheme(
        database: Database, tmp_path: Path,
        aiohttp_client: Callable[..., Awaitable[HttpClient]]) -> None:
    client = await aiohttp_client(
        create_app(_settings(tmp_path, ("127.0.0.1",)), database=database))
    host = f"{client.host}:{client.port}"
    # a same-origin write from the https page the proxy serves is not cross-site
    response = await client.post(
        "/api/session", json={"username": "nobody", "password": "x"},
        headers={"Origin": f"https://{host}", "X-Forwarded-Proto": "https"})
    assert response.status == 401
    spoofed = await aiohttp_client(create_app(_settings(tmp_path, ()), database=database))
    response = await spoofed.post(
        "/api/session", json={"username": "nobody", "password": "x"},
        headers={"Origin": f"https://{spoofed.host}:{spoofed.port}",
                 "X-Forwarded-Proto": "https"})
    assert response.status == 403  # from an untrusted peer the scheme stays http


async def test_socket_io_behind_a_trusted_proxy_throttles_the_client_address(
        database: Database, tmp_path: Path,
        aiohttp_client: Callable[..., Awaitable[HttpClient]]) -> None:
    """The websocket upgrade runs on the request the proxy's headers rewrote: it works, and
    guessed codes are counted (and audited) for the client behind the proxy, not for the
    proxy — another client behind the same proxy still gets in."""
    settings = _settings(tmp_path, ("127.0.0.1",))
    client = await aiohttp_client(create_app(settings, database=database))
    trial = await make_trial(wire(database))
    url = str(client.make_url("/"))

    async def connect(token: str, forwarded_for: str) -> str | None:
        c = Client(url, "behind the proxy")
        try:
            await c.sio.connect(url, namespaces=[NAMESPACE], transports=["websocket"],
                                auth={"token": token, "hearing_id": trial.hearing.id},
                                headers={"Origin": ORIGIN, "X-Forwarded-For": forwarded_for},
                                wait_timeout=5)
            return None
        except socketio.exceptions.ConnectionError:
            return str(c.refusal["data"]["code"]) if c.refusal else "refused"
        finally:
            await c.close()

    for _ in range(LIMIT):
        assert await connect(secrets.token_hex(16), "198.51.100.7") == "unknown_token"
    assert await connect(trial.links["defendant"], "198.51.100.7") == "too_many_attempts"
    assert await connect(trial.links["defendant"], "198.51.100.9") is None
    async with wire(database).uow() as uow:
        rows = [e.payload for e in await uow.audit.entries() if e.action == "token.refused"]
    assert {row["address"] for row in rows} == {"198.51.100.7"}
