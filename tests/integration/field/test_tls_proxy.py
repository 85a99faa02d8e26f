"""The TLS proxy from deploy/nginx.conf in front of two app processes (Redis with a
password between them, PostgreSQL): http → https, HSTS, the certificate of the court's
CA, the app's body limit enforced at the proxy, socket.io through it (WebSocket upgrade
and long-polling, which needs sticky routing), and X-Forwarded-For reaching the app's
per-address login throttle."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from hearings.adapters.database import Database
from signaling import NAMESPACE
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from tests.integration.field.fieldkit import App, Nginx, PasswordRedis, TestCA
from tests.wiring import settle, wire
from web.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Topology:
    ca: TestCA
    nginx: Nginx
    apps: list[App]
    redis: PasswordRedis

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.nginx.https_port}"


def _in_thread(coro: Any) -> Any:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _fresh_schema(url: str) -> None:
    db = Database(url)
    await db.drop_all()
    await db.create_all()
    await settle()
    await db.dispose()


@pytest.fixture(scope="module")
def topology(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    directory = tmp_path_factory.mktemp("proxy")
    _in_thread(_fresh_schema(postgres_url))
    ca = TestCA(directory / "tls")
    redis = PasswordRedis(directory / "redis", "redis-field-password")
    apps = [App(directory, f"app-{n}") for n in (1, 2)]
    nginx = Nginx(directory / "nginx", ca, [a.address for a in apps])
    origin = f"https://127.0.0.1:{nginx.https_port}"
    try:
        redis.start()
        for app in apps:
            app.settings.update(
                database_url=postgres_url, redis_url=redis.url, public_url=origin,
                allowed_origins=origin, trusted_proxies="127.0.0.1",
                audit_key=AUDIT_KEY.decode(), ice_host_addresses="127.0.0.1",
                media_enabled="false", login_max_failures="2")
            app.spawn()
        for app in apps:
            app.wait_ready()
        nginx.start()
        yield Topology(ca, nginx, apps, redis)
    finally:
        nginx.stop()
        for app in apps:
            app.stop()
        redis.stop()


@pytest.fixture
async def https(topology: Topology) -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(ssl=topology.ca.client_context())
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session


async def test_http_redirects_to_https_which_sends_hsts(
        topology: Topology, https: aiohttp.ClientSession) -> None:
    plain = f"http://127.0.0.1:{topology.nginx.http_port}/login?next=/hearings"
    async with https.get(plain, allow_redirects=False) as r:
        assert r.status == 301
        assert r.headers["Location"] == f"{topology.origin}/login?next=/hearings"
    async with https.get(f"{topology.origin}/healthz") as r:
        assert r.status == 200
        assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "nginx/" not in r.headers.get("Server", "")


async def test_the_proxy_refuses_what_the_app_would(
        topology: Topology, https: aiohttp.ClientSession) -> None:
    limit = Settings().max_request_bytes
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert re.search(rf"(?m)^\s*client_max_body_size {limit};", conf)
    headers = {"Content-Type": "application/json", "Origin": topology.origin}
    # A connection of its own, closed after each request: the proxy answers 413 and drops
    # the connection while the body is still being sent.
    connector = aiohttp.TCPConnector(ssl=topology.ca.client_context(), force_close=True)
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.post(f"{topology.origin}/api/session", data=b"x" * (limit + 1),
                             headers=headers, expect100=True) as r:
            assert r.status == 413  # refused by the proxy: the app never read it
        async with http.post(f"{topology.origin}/api/session", data=b"x" * (limit - 10),
                             headers=headers) as r:
            assert r.status == 400, await r.text()  # the app's own answer: not JSON


async def test_logins_are_throttled_per_forwarded_client_address(
        topology: Topology, https: aiohttp.ClientSession) -> None:
    """The proxy appends the address it saw; the app believes it only from the proxy."""
    url = f"{topology.origin}/api/session"

    async def attempt(n: int, client: str) -> int:
        body = {"username": f"nobody-{client}-{n}", "password": "wrong-password"}
        headers = {"X-Forwarded-For": client, "Origin": topology.origin}
        async with https.post(url, json=body, headers=headers) as r:
            return r.status

    statuses = [await attempt(n, "10.9.9.9") for n in range(3)]
    assert statuses == [401, 401, 429], statuses
    assert await attempt(9, "10.9.9.8") == 401  # another client is not held back


@pytest.fixture
async def trial(postgres_url: str, topology: Topology) -> AsyncIterator[Trial]:
    db = Database(postgres_url)
    try:
        yield await make_trial(wire(db))
    finally:
        await settle()
        await db.dispose()


async def test_socketio_websocket_through_the_proxy(topology: Topology, trial: Trial) -> None:
    """The WebSocket upgrade is passed on to the app."""
    connector = aiohttp.TCPConnector(ssl=topology.ca.client_context())
    async with aiohttp.ClientSession(connector=connector) as http:
        sio = socketio.AsyncClient(reconnection=False, http_session=http)
        snapshots: list[Any] = []
        arrived = asyncio.Event()

        @sio.on("snapshot", namespace=NAMESPACE)
        async def snapshot(data: Any) -> None:
            snapshots.append(data)
            arrived.set()

        try:
            await sio.connect(topology.origin, namespaces=[NAMESPACE],
                              auth={"token": trial.links["defendant"],
                                    "hearing_id": trial.hearing.id},
                              headers={"Origin": topology.origin},
                              transports=["websocket"], wait_timeout=10)
            assert sio.transport() == "websocket"
            async with asyncio.timeout(10):
                await arrived.wait()
            assert snapshots[-1]["you"]["participant_id"] == trial.people["defendant"].id
        finally:
            if sio.connected:
                await sio.disconnect()


async def test_socketio_long_polling_sticks_to_one_process(topology: Topology,
                                                           trial: Trial) -> None:
    """Engine.io long-polling by hand: every request of a session carries its sid and must
    reach the process that opened it (the other answers 400): sticky routing."""
    base = f"{topology.origin}/socket.io/?EIO=4&transport=polling"
    headers = {"Origin": topology.origin}
    connector = aiohttp.TCPConnector(ssl=topology.ca.client_context())
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:

        async def get(url: str) -> list[str]:
            async with http.get(url) as r:
                assert r.status == 200, (r.status, await r.text())
                return (await r.text()).split("\x1e")

        async def post(url: str, packet: str) -> None:
            async with http.post(url, data=packet.encode(),
                                 headers={"Content-Type": "text/plain;charset=UTF-8"}) as r:
                assert r.status == 200, (r.status, await r.text())

        async def snapshot(url: str) -> dict[str, Any]:
            async with asyncio.timeout(15):
                while True:
                    for packet in await get(url):
                        if packet.startswith(f'42{NAMESPACE},["snapshot"'):
                            return dict(json.loads(packet.split(",", 1)[1])[1])
                        if packet == "2":  # engine.io ping: answer it
                            await post(url, "3")

        for _ in range(2):  # two sessions
            (opened,) = await get(base)
            sid = json.loads(opened[1:])["sid"]
            url = f"{base}&sid={sid}"
            auth = {"token": trial.links["defendant"], "hearing_id": trial.hearing.id}
            await post(url, f"40{NAMESPACE},{json.dumps(auth)}")
            first = await snapshot(url)
            assert first["you"]["participant_id"] == trial.people["defendant"].id
            for _ in range(6):  # many more requests of the same session
                await post(url, f'42{NAMESPACE},["snapshot.request",{{}}]')
                assert (await snapshot(url))["hearing"]["id"] == trial.hearing.id
            await post(url, "1")  # close
