"""Redis with a password, as compose runs it (issue 16.5): the app's YUNTING_REDIS_URL
carries the password, and everything that uses Redis — readiness, the login throttle
shared across processes, signaling — works through it; a URL without the password
is reported down, not silently ignored."""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from tests.conftest import AUDIT_KEY
from web.app.application import create_app
from web.settings import Secret, Settings

pytestmark = pytest.mark.redis
MakeClient = Callable[..., Awaitable[TestClient[Any, Any]]]
PASSWORD = secrets.token_urlsafe(16)


@pytest.fixture
def guarded_redis() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--requirepass", PASSWORD],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.1)
            continue
        break
    yield port
    proc.terminate()
    proc.wait(10)


def _settings(tmp_path: Any, redis_url: str) -> Settings:
    return Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                    media_enabled=False, redis_url=redis_url, login_max_failures=2)


async def test_the_url_carries_the_password(database: Database, tmp_path: Any,
                                            aiohttp_client: MakeClient,
                                            guarded_redis: int) -> None:
    url = f"redis://:{PASSWORD}@127.0.0.1:{guarded_redis}/0"
    one = await aiohttp_client(create_app(_settings(tmp_path / "1", url), database=database))
    two = await aiohttp_client(create_app(_settings(tmp_path / "2", url), database=database))
    ready = await one.get("/readyz")
    assert ready.status == 200 and (await ready.json())["checks"]["redis"] == {"status": "up"}
    assert PASSWORD not in repr(_settings(tmp_path, url))
    # the throttle's count is shared through the guarded Redis: two failures on one
    # process lock the username out on the other
    for client in (one, two):
        r = await client.post("/api/session", json={"username": "wang", "password": "x"})
        assert r.status == 401
    r = await one.post("/api/session", json={"username": "wang", "password": "x"})
    assert r.status == 429


async def test_without_the_password_redis_is_down(database: Database, tmp_path: Any,
                                                  aiohttp_client: MakeClient,
                                                  guarded_redis: int) -> None:
    url = f"redis://127.0.0.1:{guarded_redis}/0"
    client = await aiohttp_client(create_app(_settings(tmp_path, url), database=database))
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert (await ready.json())["checks"]["redis"]["status"] == "down"
