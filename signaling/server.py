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
    MediaHangup,
    ServicesSource,
    SignalingConfig,
)
from signaling.court import COURT_EVENTS, COURT_NAMESPACE, CourtNamespace, court_room
from signaling.handlers import Handlers
from signaling.hub import Hub, rooms
from signaling.manager import HearingChannels
from signaling.namespace import HearingNamespace
from signaling.presence import LocalTables, Presence, RedisTables, Tables

__all__ = ["AUDIENCES", "Signaling"]

log = logging.getLogger("yunting.signaling")
AUDIENCES = ("everyone", "inside", "staff")


class Signaling:
    def __init__(self, config: SignalingConfig, services: ServicesSource, *,
                 media_answer: MediaAnswer | None = None,
                 media_candidate: MediaCandidate | None = None,
                 media_hangup: MediaHangup | None = None) -> None:
        self.config = config
        manager: socketio.AsyncManager
        tables: Tables
        channels: HearingChannels | None = None
        if config.redis_url:
            # JSON on the channels: the manager encodes with the server's json module.
            manager = channels = HearingChannels(config.redis_url, config.redis_channel)
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
        # A new process id at every start (with Redis, the manager's: probes address it).
        self.presence = Presence(tables, channels.host_id if channels is not None else None)
        if channels is not None:
            # A routing change here drops the cached routing on the hearing's other
            # processes; news of one from them drops ours.
            self.presence.on_routing_change = channels.notify
            self.presence.probe = channels.probe
            channels.on_routing_change = self.presence.invalidate
        self._flusher: asyncio.Task[None] | None = None
        self._heart: asyncio.Task[None] | None = None
        self._beats = channels is not None  # in process, presence lives and dies with us
        self._lost = False  # the store lost our presence and it is not re-announced yet
        self.hub = Hub(self.sio, services, self.presence)
        self.hub.media_hangup = media_hangup
        self.hub.ice_servers = config.ice_servers
        self.namespace = HearingNamespace(
            self.hub, Handlers(self.hub, config, media_answer, media_candidate), config)
        self.sio.register_namespace(self.namespace)
        self.hub.reannounce = self.namespace.reannounce
        if channels is not None:
            channels.on_reannounce = lambda hid: self.hub.spawn(self.namespace.reannounce(hid))
        self.sio.register_namespace(CourtNamespace(services))

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
        if self._flusher is None:
            self._flusher = asyncio.ensure_future(self.hub.quality.run())
        if self._beats and self._heart is None:
            try:  # before any connection, so that no entry of ours looks dead
                await self._beat(first=True)
            except Exception as exc:  # Redis away: the heartbeat keeps trying
                log.error("presence heartbeat failed: %s", exc)
            self._heart = asyncio.ensure_future(self._heartbeat())

    async def _beat(self, *, first: bool = False) -> None:
        """Keep this process alive in presence; re-announce what it holds if the store
        lost it (a Redis restart, or a pause longer than the TTL)."""
        known = await self.presence.beat(self.config.process_ttl_s)
        if not known and not first:
            log.warning("presence store lost this process (Redis restarted?): re-announcing")
            self._lost = True
        if self._lost:  # until it succeeds (the database may be away too)
            await self.namespace.reannounce()
            self._lost = False
        await self.namespace.promote_orphans()
        await self.namespace.reap()
        await self.namespace.remember()

    async def _heartbeat(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self.config.process_ttl_s / 4)
            try:
                await self._beat()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: beat again; the return re-announces
                if not failing:
                    log.error("presence heartbeat failed: %s", exc)
                failing = True
            else:
                if failing:
                    log.warning("presence heartbeat back")
                failing = False

    async def close(self) -> None:
        await self.sio.shutdown()
        await self.namespace.drain()
        if self._heart is not None:
            self._heart.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heart
            self._heart = None
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        with contextlib.suppress(Exception):  # Redis away at shutdown: figures are lost
            await self.hub.quality.flush()
        manager = self.sio.manager
        if isinstance(manager, HearingChannels):
            await manager.aclose()
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

    async def publish_court(self, court_id: str, event: str, payload: dict[str, Any]) -> None:
        """Push an event to a court's staff consoles (the /court namespace)."""
        if event not in COURT_EVENTS:
            raise ValueError(f"'event' must be in {list(COURT_EVENTS)} (got {event!r})")
        await self.sio.emit(event, payload, room=court_room(court_id),
                            namespace=COURT_NAMESPACE)

    def connection_count(self) -> int:
        return len(self.namespace.connections)
