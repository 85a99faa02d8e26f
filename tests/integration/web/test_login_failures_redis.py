"""Login failures counted in Redis: every process behind the load balancer sees the same
count, so running more processes does not multiply the guesses an attacker gets."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from redis import asyncio as aioredis

from tests.conftest import REDIS_URL, unavailable
from web.http.throttle import RedisFailureWindow

pytestmark = pytest.mark.redis


class Clock:
    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    probe = aioredis.Redis.from_url(REDIS_URL)
    try:
        await probe.ping()
    except (OSError, aioredis.RedisError) as exc:
        unavailable("Redis", str(exc))
    name = f"test:login:{secrets.token_hex(4)}:"
    yield name
    async for key in probe.scan_iter(f"{name}*"):
        await probe.delete(key)
    await probe.aclose()


async def test_two_processes_count_the_same_failures(prefix: str) -> None:
    clock = Clock()
    a = RedisFailureWindow(REDIS_URL, 3, 60.0, prefix=prefix, clock=clock)
    b = RedisFailureWindow(REDIS_URL, 3, 60.0, prefix=prefix, clock=clock)
    try:
        await a.failed("user:wang", "addr:10.0.0.7")
        clock.now += 10
        await b.failed("user:wang", "addr:10.0.0.7")
        assert await a.retry_after("user:wang") == 0
        clock.now += 10
        await a.failed("user:wang", "addr:10.0.0.8")
        # Three failures on two processes: both refuse, until the first leaves the window.
        assert await b.retry_after("user:wang") == pytest.approx(40.0)
        assert await a.retry_after("user:li", "addr:10.0.0.7") == 0  # two from that address
        clock.now += 40.0
        assert await b.retry_after("user:wang") == 0
    finally:
        await a.close()
        await b.close()


async def test_a_success_clears_the_username_and_keys_expire(prefix: str) -> None:
    clock = Clock()
    a = RedisFailureWindow(REDIS_URL, 2, 30.0, prefix=prefix, clock=clock)
    raw = aioredis.Redis.from_url(REDIS_URL)
    try:
        for _ in range(5):
            await a.failed("user:wang", "addr:x")
        assert await raw.zcard(f"{prefix}user:wang") == 2  # only the newest `limit` kept
        assert 0 < await raw.ttl(f"{prefix}addr:x") <= 31
        await a.succeeded("user:wang")
        assert await a.retry_after("user:wang") == 0
        assert await a.retry_after("addr:x") > 0
    finally:
        await a.close()
        await raw.aclose()


async def test_refused_codes_are_tallied_for_every_process(prefix: str) -> None:
    a = RedisFailureWindow(REDIS_URL, 3, 30.0, prefix=prefix, tally_prefix=prefix)
    b = RedisFailureWindow(REDIS_URL, 3, 30.0, prefix=prefix, tally_prefix=prefix)
    raw = aioredis.Redis.from_url(REDIS_URL)
    try:
        assert (await a.refused("code:10.0.0.7")).count == 1
        assert 29 < await raw.pttl(f"{prefix}code:10.0.0.7") / 1000 <= 30
        assert (await b.refused("code:10.0.0.7")).locked_for == 0
        assert await a.blocked_for("code:10.0.0.7") == 0
        third = await a.refused("code:10.0.0.7")
        assert third.count == 3 and 29 < third.locked_for <= 30
        assert 29 < await b.blocked_for("code:10.0.0.7") <= 30
        assert await b.blocked_for("code:10.0.0.8") == 0
        assert (await b.refused("code:10.0.0.7")).locked_for == 0  # a race past the limit
        await raw.delete(f"{prefix}code:10.0.0.7")  # the window ends
        assert await a.blocked_for("code:10.0.0.7") == 0
    finally:
        await a.close()
        await b.close()
        await raw.aclose()
