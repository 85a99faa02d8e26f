"""/readyz names each dependency with its status and answers 503 when one is down."""

from __future__ import annotations

import asyncio
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

Client = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[Client]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis of this test's own, so that it can be stopped."""
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.1)
            continue
        break
    yield f"redis://127.0.0.1:{port}/0", proc
    proc.terminate()
    proc.wait(10)


def settings(tmp_path: Any, **extra: Any) -> Settings:
    return Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()), **extra)


async def test_ready_names_the_database(database: Database, tmp_path: Any,
                                        aiohttp_client: MakeClient) -> None:
    client = await aiohttp_client(create_app(settings(tmp_path), database=database))
    r = await client.get("/readyz")
    assert r.status == 200
    assert await r.json() == {"status": "ready", "checks": {"database": {"status": "up"}}}


@pytest.mark.postgres
async def test_a_database_that_does_not_answer_is_503(tmp_path: Any,
                                                      aiohttp_client: MakeClient) -> None:
    gone = Database(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    try:
        client = await aiohttp_client(create_app(settings(tmp_path), database=gone))
        r = await client.get("/readyz")
        body = await r.json()
    finally:
        await gone.dispose()
    assert r.status == 503
    assert body["error"]["code"] == "not_ready"
    assert body["checks"]["database"]["status"] == "down"


@pytest.mark.redis
async def test_redis_is_reported_and_its_outage_is_503(
    database: Database, tmp_path: Any, aiohttp_client: MakeClient,
    redis_server: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, proc = redis_server
    client = await aiohttp_client(create_app(settings(tmp_path, redis_url=url),
                                             database=database))
    r = await client.get("/readyz")
    assert r.status == 200
    assert (await r.json())["checks"] == {"database": {"status": "up"},
                                          "redis": {"status": "up"}}
    proc.terminate()
    await asyncio.to_thread(proc.wait, 10)
    r = await client.get("/readyz")
    body = await r.json()
    assert r.status == 503
    assert body["checks"]["database"] == {"status": "up"}
    assert body["checks"]["redis"]["status"] == "down"
    assert "redis unavailable" in body["error"]["message"]
