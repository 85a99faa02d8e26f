"""The event bus across processes: each event's JSON envelope on one Redis channel.

`RedisRelay(url, bus)` becomes the bus's `outbound`: after this process's subscribers heard
an event, its envelope (hearings.domain.events.envelope, plus this process's `origin`) is
published on `yt:events`. A listener hands every other process's envelope to the bus's
`receive`, which only the subscribers registered `everywhere=True` hear. JSON only, never
pickle: an envelope that is not one of ours (another version, unknown type) is logged and
dropped. Delivery is Redis pub/sub's: at most once, to the processes listening at the
moment (a process that was cut off catches up from the database, as the recording driver's
`align` does).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from hearings.domain.events import Event, EventError, envelope, from_envelope
from hearings.services.bus import Bus

__all__ = ["CHANNEL", "RedisRelay", "relay_ctx"]

log = logging.getLogger("yunting.bus")

CHANNEL = "yt:events"
RETRY_S = 1.0  # a lost listening connection is opened again after this


class RedisRelay:
    def __init__(self, url: str, bus: Bus, *, channel: str = CHANNEL) -> None:
        self._url, self._bus, self._channel = url, bus, channel
        self.origin = secrets.token_hex(8)
        self._redis: aioredis.Redis | None = None
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    async def start(self) -> None:
        self._redis = aioredis.Redis.from_url(self._url)
        self._listener = asyncio.ensure_future(self._listen())
        self._bus.outbound = self.send
        with contextlib.suppress(TimeoutError):  # Redis down: the listener keeps trying
            await asyncio.wait_for(self._listening.wait(), 5)

    async def close(self) -> None:
        if self._bus.outbound == self.send:
            self._bus.outbound = None
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._redis is not None:
            await self._redis.aclose()

    async def send(self, events: list[Event]) -> None:
        assert self._redis is not None, "start() first"
        async with self._redis.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.publish(self._channel, json.dumps(
                    envelope(event) | {"origin": self.origin}, ensure_ascii=False))
            await pipe.execute()

    async def _listen(self) -> None:
        while True:
            try:
                await self._listen_once()
            except (RedisError, OSError) as exc:
                self._listening.clear()
                log.warning("event relay: listening on %s lost (%s); again in %s s",
                            self._channel, exc, RETRY_S)
                await asyncio.sleep(RETRY_S)

    async def _listen_once(self) -> None:
        assert self._redis is not None
        async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
            await pubsub.subscribe(self._channel)
            self._listening.set()
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    await self._received(message["data"])

    async def _received(self, raw: Any) -> None:
        try:
            data = json.loads(raw)
            if isinstance(data, dict) and data.get("origin") == self.origin:
                return  # our own: this process's subscribers heard it already
            event = from_envelope(data)
        except (EventError, ValueError) as exc:
            log.warning("event relay: dropped a message that is not an event (%s)", exc)
            return
        await self._bus.receive(event)  # never raises


def relay_ctx(url: str, bus: Bus):  # type: ignore[no-untyped-def]
    """A cleanup context for create_app: the relay lives as long as the application."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        relay = RedisRelay(url, bus)
        await relay.start()
        yield
        await relay.close()

    return ctx
