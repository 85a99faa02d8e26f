"""A Redis restart breaks every pooled connection: the first command after it is retried
once on a fresh connection, not answered with an error (the first staff login after a
restart was a 500, and presence writes failed once per pooled connection)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from signaling.presence import RedisTables
from tests.conftest import unavailable
from web.http.throttle import RedisFailureWindow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnRedis:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        try:
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except FileNotFoundError as exc:
            unavailable("redis-server", str(exc))
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


def _restart(server: OwnRedis) -> None:
    server.stop()
    server.start()


async def test_login_failures_survive_a_redis_restart(redis: OwnRedis) -> None:
    window = RedisFailureWindow(redis.url, limit=5, window=300)
    try:
        await window.failed("user:clerk")
        _restart(redis)  # the count is gone with it (no persistence), the client is not
        assert await window.retry_after("user:clerk") == 0
        await window.failed("user:clerk")
    finally:
        await window.close()


async def test_presence_writes_survive_a_redis_restart(redis: OwnRedis) -> None:
    tables = RedisTables(redis.url, prefix="test:presence")
    try:
        await tables.put("h1", "sids", "s1", {"identity": "participant:p1"})
        _restart(redis)
        await tables.put("h1", "sids", "s2", {"identity": "participant:p2"})
        assert await tables.pop("h1", "sids", "s2") == {"identity": "participant:p2"}
    finally:
        await tables.close()
