"""Login failures are limited per username and per client address (guessing passwords).

A sliding window of failure times per key: after `limit` failures within `window`
seconds, further attempts for that key are refused with 429 until the oldest of the
last `limit` failures leaves the window. A success clears the username's failures.

Two stores behind one interface: `FailureWindow` counts in process memory (the
embedded default: one process); `RedisFailureWindow` keeps a sorted set per key in
Redis, so that every process behind a load balancer counts the same failures (with
`YUNTING_REDIS_URL` set).
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from redis import asyncio as aioredis

__all__ = ["FailureWindow", "LoginFailures", "RedisFailureWindow"]


class LoginFailures(Protocol):
    async def retry_after(self, *keys: str) -> float:
        """Seconds until any of these keys may try again; 0 when none is blocked."""

    async def failed(self, *keys: str) -> None: ...

    async def succeeded(self, key: str) -> None: ...

    async def close(self) -> None: ...


class FailureWindow:
    def __init__(self, limit: int, window: float, *, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limit, self._window, self._max_keys = limit, window, max_keys
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    async def retry_after(self, *keys: str) -> float:
        now = self._clock()
        wait = 0.0
        for key in keys:
            times = self._recent(key, now)
            if times is not None and len(times) >= self._limit:
                wait = max(wait, times[0] + self._window - now)
        return wait

    async def failed(self, *keys: str) -> None:
        now = self._clock()
        if len(self._failures) >= self._max_keys:  # a flood of keys: forget the stalest
            self._prune(now)
        for key in keys:
            self._failures.setdefault(key, deque(maxlen=self._limit)).append(now)

    async def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)

    async def close(self) -> None:
        self._failures.clear()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        while times and times[0] <= now - self._window:
            times.popleft()
        if times is not None and not times:
            del self._failures[key]
            return None
        return times

    def _prune(self, now: float) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        if len(self._failures) >= self._max_keys:
            self._failures.clear()


class RedisFailureWindow:
    """The same window shared by every process: `<prefix><key>` is a sorted set of the
    last `limit` failure times (wall clock, seconds), expiring with the window."""

    def __init__(self, url: str, limit: int, window: float, *, prefix: str = "yt:login:",
                 clock: Callable[[], float] = time.time) -> None:
        self._redis = aioredis.Redis.from_url(url)
        self._limit, self._window, self._prefix, self._clock = limit, window, prefix, clock

    async def retry_after(self, *keys: str) -> float:
        now = self._clock()
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.zremrangebyscore(self._prefix + key, "-inf", now - self._window)
                pipe.zrange(self._prefix + key, 0, -1, withscores=True)
            replies = await pipe.execute()
        wait = 0.0
        for times in replies[1::2]:
            if len(times) >= self._limit:
                oldest = float(times[-self._limit][1])
                wait = max(wait, oldest + self._window - now)
        return wait

    async def failed(self, *keys: str) -> None:
        now = self._clock()
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in keys:
                name = self._prefix + key
                pipe.zadd(name, {f"{now:.6f}:{secrets.token_hex(4)}": now})
                pipe.zremrangebyrank(name, 0, -(self._limit + 1))  # keep the newest `limit`
                pipe.expire(name, max(1, int(self._window) + 1))
            await pipe.execute()

    async def succeeded(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def close(self) -> None:
        await self._redis.aclose()
