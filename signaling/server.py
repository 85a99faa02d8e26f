"""The signaling server: a socket.io server with the /hearing namespace, for web/ to mount."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import socketio
from aiohttp import web

from signaling.config import (
    NAMESPACE,
    MediaAnswer,
    MediaCandidate,
    ServicesSource,
    SignalingConfig,
)
from signaling.handlers import Handlers
from signaling.hub import Hub, rooms
from signaling.namespace import HearingNamespace
from signaling.presence import LocalTables, Presence, RedisTables, Tables

__all__ = ["AUDIENCES", "Signaling"]

log = logging.getLogger("yunting.signaling")
AUDIENCES = ("everyone", "inside", "staff")


class Signaling:
    def __init__(self, config: SignalingConfig, services: ServicesSource, *,
                 media_answer: MediaAnswer | None = None,
                 media_candidate: MediaCandidate | None = None) -> None:
        self.config = config
        manager: socketio.AsyncManager
        tables: Tables
        if config.redis_url:
            # JSON on the channel: the manager encodes with the server's json module.
            manager = socketio.AsyncRedisManager(config.redis_url, channel=config.redis_channel)
            tables = RedisTables(config.redis_url)
        else:
            manager = socketio.AsyncManager()
            tables = LocalTables()
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp",
            client_manager=manager,
            json=json,
            cors_allowed_origins=list(config.allowed_origins),
            # One connection's events are handled in order: an offer before its candidates.
            async_handlers=False,
            ping_interval=config.ping_interval_s,
            ping_timeout=config.ping_timeout_s,
            # engine.io's own cut-off: far above our limit, which answers with an error event.
            max_http_buffer_size=config.max_message_bytes * 4,
            logger=False,
            engineio_logger=False,
        )
        self.presence = Presence(tables)
        self.hub = Hub(self.sio, services, self.presence)
        self.namespace = HearingNamespace(
            self.hub, Handlers(self.hub, config, media_answer, media_candidate), config)
        self.sio.register_namespace(self.namespace)

    def attach(self, app: web.Application) -> None:
        """Mount at /socket.io/ and tie start/close to the application's lifetime."""
        self.sio.attach(app, socketio_path="socket.io")
        app.cleanup_ctx.append(self._lifetime)

    async def _lifetime(self, app: web.Application) -> AsyncIterator[None]:
        await self.start()
        yield
        await self.close()

    async def start(self) -> None:
        # The Redis listener normally starts with the first connection; start it now so
        # that publish() from this process and emits from others work from the outset.
        if not self.sio.manager_initialized:
            self.sio.manager_initialized = True
            self.sio.manager.initialize()

    async def close(self) -> None:
        await self.sio.shutdown()
        await self.namespace.drain()
        manager = self.sio.manager
        thread = getattr(manager, "thread", None)
        if thread is not None:
            thread.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await thread
        redis = getattr(manager, "redis", None)
        if redis is not None:
            await redis.aclose()
        await self.presence.close()

    async def publish(self, hearing_id: str, event: str, payload: dict[str, Any], *,
                      audience: str = "everyone") -> None:
        """Push an event into a hearing from outside (recording alerts, delivered documents).

        Works across processes: the emit goes through the socket.io manager.
        """
        if audience not in AUDIENCES:
            raise ValueError(f"'audience' must be in {list(AUDIENCES)} (got {audience!r})")
        room = {"everyone": rooms.everyone, "inside": rooms.inside,
                "staff": rooms.staff}[audience](hearing_id)
        await self.sio.emit(event, payload, room=room, namespace=NAMESPACE)

    def connection_count(self) -> int:
        return len(self.namespace.connections)
