"""Refused tries are limited per key: login failures per username and per client address
(guessing passwords), refused join codes per client address (guessing codes).

Logins: a sliding window of failure times per key; after `limit` failures within `window`
seconds, further attempts for that key are refused with 429 until the oldest of the last
`limit` failures leaves the window. A success clears the username's failures.

Join codes (`hearings.services.access.Refusals`): a fixed window that starts at a key's first
refusal; the refusal that reaches `limit` locks the key until the window ends. The audit
log writes one row per window from the tally (the first refusal, then the lockout's
summary), so a fixed window keeps that to two rows however long the guessing goes on.

Two stores behind one interface: `FailureWindow` counts in process memory (the
embedded default: one process); `RedisFailureWindow` keeps the counts in Redis, so that
every process behind a load balancer counts the same failures (with `YUNTING_REDIS_URL`
set).
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from hearings.services.access import Tally

__all__ = ["FailureWindow", "LoginFailures", "RedisFailureWindow"]


class LoginFailures(Protocol):
    async def retry_after(self, *keys: str) -> float:
        """Seconds until any of these keys may try again; 0 when none is blocked."""

    async def failed(self, *keys: str) -> None: ...

    async def succeeded(self, key: str) -> None: ...

    async def blocked_for(self, key: str) -> float:
        """Seconds until a key locked by `refused` may try again; 0 when it may."""

    async def refused(self, key: str) -> Tally:
        """Count one refused join code of `key` in its fixed window."""

    async def close(self) -> None: ...


class FailureWindow:
    def __init__(self, limit: int, window: float, *, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limit, self._window, self._max_keys = limit, window, max_keys
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._tallies: dict[str, tuple[float, int]] = {}  # key → (window ends, count)

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

    async def blocked_for(self, key: str) -> float:
        now = self._clock()
        ends, count = self._tallies.get(key, (now, 0))
        return ends - now if count >= self._limit and ends > now else 0.0

    async def refused(self, key: str) -> Tally:
        now = self._clock()
        ends, count = self._tallies.get(key, (now, 0))
        if ends <= now:
            if len(self._tallies) >= self._max_keys:
                self._tallies = {k: v for k, v in self._tallies.items() if v[0] > now}
                if len(self._tallies) >= self._max_keys:
                    self._tallies.clear()
            ends, count = now + self._window, 0
        self._tallies[key] = (ends, count + 1)
        return Tally(count + 1, ends - now if count + 1 == self._limit else 0.0)

    async def close(self) -> None:
        self._failures.clear()
        self._tallies.clear()

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
    """The same windows shared by every process: `<prefix><key>` is a sorted set of the
    last `limit` failure times (wall clock, seconds), expiring with the window;
    `<tally_prefix><key>` a counter that expires when its fixed window ends."""

    def __init__(self, url: str, limit: int, window: float, *, prefix: str = "yt:login:",
                 tally_prefix: str = "yt:refused:",
                 clock: Callable[[], float] = time.time) -> None:
        # A pooled connection broken by a Redis restart is retried once on a fresh one
        # (redis-py raised "Connection closed by server": the first login after it was a 500).
        self._redis = aioredis.Redis.from_url(url, retry=Retry(NoBackoff(), 1),
                                              retry_on_error=[RedisConnectionError])
        self._limit, self._window, self._prefix, self._clock = limit, window, prefix, clock
        self._tally_prefix = tally_prefix

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

    async def blocked_for(self, key: str) -> float:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(self._tally_prefix + key)
            pipe.pttl(self._tally_prefix + key)
            count, pttl = await pipe.execute()
        return pttl / 1000 if count is not None and int(count) >= self._limit and pttl > 0 \
            else 0.0

    async def refused(self, key: str) -> Tally:
        name = self._tally_prefix + key
        async with self._redis.pipeline(transaction=True) as pipe:
            # The window starts with the first refusal: only that one sets the expiry.
            pipe.set(name, 0, px=max(1, int(self._window * 1000)), nx=True)
            pipe.incr(name)
            pipe.pttl(name)
            _, count, pttl = await pipe.execute()
        return Tally(count, max(pttl, 1) / 1000 if count == self._limit else 0.0)

    async def close(self) -> None:
        await self._redis.aclose()
