"""A socket.io client manager over Redis with one channel per hearing.

python-socketio's `AsyncRedisManager` (5.x) publishes every emit, room change and
disconnect on one channel, so every process decodes every other process's traffic,
and its own, which Redis echoes back. `HearingChannels` keeps the wire format of
its parent (a JSON object with `method`, `host_id`, ...) and changes where it goes:

- anything addressed to one of a hearing's rooms (`h:`, `p:`, `c:`, `r:` + the
  hearing id, see `signaling.hub.rooms`) goes on `<channel>:h:<hearing>`, which a
  process subscribes to only while it holds a connection of that hearing
  (`join_hearing` / `leave_hearing`, counted per connection);
- everything else (disconnects by sid, emits to another process's sid, the /court
  namespace) goes on `<channel>`, which every process subscribes to;
- an emit to a sid this process holds is sent directly and not published at all;
- each published message starts with the publisher's host id, so a process skips
  its own echoes without decoding them;
- `emit_confirmed(...)` publishes in the same order but waits for Redis's answer:
  how many processes received it (-1: Redis could not take it), so that a relay
  nobody else can receive is refused instead of acknowledged and lost;
- `notify(hearing_id)` tells the other processes of a hearing that its routing
  (members, states, consultations) changed: they drop their cached copy;
- `probe(host_id, sids)` asks one process which of those sids it holds connected; a
  process whose named listening connection Redis no longer lists (killed: the kernel
  closed it) is gone at once, and one that does not answer within `PROBE_TIMEOUT_S`
  too (frozen), so a reconnection need not wait for its presence key to expire.

JSON only, never pickle (the server's json module, as in the parent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import socketio
from engineio import packet as eio_packet

from signaling.config import NAMESPACE

__all__ = ["HearingChannels", "end_user_everywhere", "hearing_of_room"]

log = logging.getLogger("yunting.signaling")

_HEARING_ROOMS = frozenset({"h", "p", "c", "r"})
_ROUTING = "yt.routing"
_REANNOUNCE = "yt.reannounce"
_PROBE = "yt.probe"
_PROBE_REPLY = "yt.probe.reply"
_END_USER = "yt.end_user"  # a staff account's connections end on every process
# A live process answers a probe in milliseconds (it is one Redis round trip for it);
# silence this long means it is not there.
PROBE_TIMEOUT_S = 1.0
SUBSCRIBE_TIMEOUT_S = 5.0
CONFIRM_TIMEOUT_S = 5.0
# The listener retries at most this far apart once Redis is away, so that it is back
# within seconds of Redis returning.
RETRY_MAX_S = 2.0


def listener_name(host_id: str) -> str:
    """The Redis client name of a process's listening connection."""
    return f"yunting-listener:{host_id}"


async def end_user_everywhere(redis_url: str, channel: str, user_id: str) -> int:
    """From outside the signaling processes (`yunting admin`): ask every process to end
    `user_id`'s open connections, as `HearingChannels.end_user` does from inside one.
    The message is this module's own wire format (JSON, no host prefix). Returns how many
    listening processes Redis handed it to."""
    import json

    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    try:
        message = json.dumps({"method": _END_USER, "user_id": user_id, "host_id": "admin-cli"},
                             separators=(",", ":"))
        return int(await client.publish(channel, message))
    finally:
        await client.aclose()


def hearing_of_room(room: object) -> str | None:
    """The hearing a /hearing room belongs to (`h:<id>...`, `p:<id>:...`), else None."""
    if not isinstance(room, str):
        return None
    kind, sep, rest = room.partition(":")
    if not sep or kind not in _HEARING_ROOMS:
        return None
    hid = rest.split(":", 1)[0]
    return hid or None


class HearingChannels(socketio.AsyncRedisManager):
    name = "yunting-redis"
    connected: bool
    redis: Any

    def __init__(self, url: str, channel: str) -> None:
        super().__init__(url, channel=channel)
        self._own = self.host_id.encode()
        self._refs: dict[str, int] = {}
        self._confirm: dict[str, asyncio.Future[None]] = {}
        self._probes: dict[str, asyncio.Future[list[str]]] = {}
        self._subscribed: set[str] = set()
        # Channels Redis confirmed our listener is subscribed to, on its current connection.
        self._listening: set[str] = set()
        self._subscribing = asyncio.Lock()
        self._sub: Any = None  # the listener's PubSub (publishing uses self.redis)
        self._sub_client: Any = None
        self.on_routing_change: Callable[[str], None] | None = None
        self.on_reannounce: Callable[[str], None] | None = None
        self.on_end_user: Callable[[str], None] | None = None  # signaling.revocation
        # (channel, payload, future for the number of receivers, or None)
        self._outbox: list[tuple[str, bytes, asyncio.Future[int] | None]] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._writer: asyncio.Future[None] | None = None
        self.published = 0
        # Messages decoded per hearing (None: the shared channel): for tests and metrics.
        self.decoded: Counter[str | None] = Counter()
        # Our own publications that Redis echoed back, skipped undecoded, per hearing.
        self.echoes: Counter[str | None] = Counter()

    # -- channels ----------------------------------------------------------------------
    def hearing_channel(self, hearing_id: str) -> str:
        return f"{self.channel}:h:{hearing_id}"

    def _channel_for(self, data: dict[str, Any]) -> str:
        if data.get("namespace") == NAMESPACE and data.get("method") in (
                "emit", "enter_room", "leave_room", "close_room", _ROUTING, _REANNOUNCE):
            hid = data.get("hearing") or hearing_of_room(data.get("room"))
            if hid:
                return self.hearing_channel(hid)
        return str(self.channel)

    def _hearing_of_channel(self, channel: str) -> str | None:
        prefix = f"{self.channel}:h:"
        return channel[len(prefix):] if channel.startswith(prefix) else None

    @property
    def hearings(self) -> set[str]:
        """The hearings this process is subscribed to."""
        return set(self._subscribed)

    async def join_hearing(self, hearing_id: str) -> None:
        """A connection of the hearing arrived: subscribe (once), confirmed by Redis."""
        self._refs[hearing_id] = self._refs.get(hearing_id, 0) + 1
        channel = self.hearing_channel(hearing_id)
        async with self._subscribing:  # SUBSCRIBE/UNSUBSCRIBE leave in the order decided
            if hearing_id not in self._subscribed:
                self._subscribed.add(hearing_id)
                self._confirm.setdefault(channel, asyncio.get_running_loop().create_future())
                if self._sub is not None:  # else the listener subscribes when it connects
                    with contextlib.suppress(Exception):
                        await self._sub.subscribe(channel)
        future = self._confirm.get(channel)
        if future is None:
            return  # confirmed already
        # Until Redis confirms, messages published on the channel do not reach us:
        # wait, so that nothing another process sends after our arrival is lost.
        try:
            await asyncio.wait_for(asyncio.shield(future), SUBSCRIBE_TIMEOUT_S)
        except TimeoutError:
            raise ConnectionError(f"Redis did not confirm the subscription to {channel}"
                                  ) from None

    async def leave_hearing(self, hearing_id: str) -> bool:
        """A connection went; True when it was the hearing's last one here."""
        count = self._refs.get(hearing_id, 0) - 1
        if count > 0:
            self._refs[hearing_id] = count
            return False
        self._refs.pop(hearing_id, None)
        async with self._subscribing:
            # Someone of the hearing may have arrived meanwhile: then stay subscribed.
            if hearing_id in self._subscribed and hearing_id not in self._refs:
                self._subscribed.discard(hearing_id)
                self._listening.discard(self.hearing_channel(hearing_id))
                if self._sub is not None:  # the listener resubscribes from _subscribed
                    with contextlib.suppress(Exception):
                        await self._sub.unsubscribe(self.hearing_channel(hearing_id))
        return True

    # -- emitting ------------------------------------------------------------------------
    async def emit(self, event: str, data: Any, namespace: str | None = None,
                   room: Any = None, skip_sid: Any = None, callback: Any = None,
                   to: Any = None, **kwargs: Any) -> None:
        room = to or room
        namespace = namespace or "/"
        if callback is not None or kwargs.get("ignore_queue"):
            await super().emit(event, data, namespace=namespace, room=room,
                               skip_sid=skip_sid, callback=callback, **kwargs)
            return
        await self._deliver(event, data, namespace, room, skip_sid)
        if isinstance(room, str) and self.is_connected(room, namespace):
            return  # one of our own sockets: nobody else needs to hear of it
        # Signaling sends JSON only, so no walk of the payload for binary parts.
        await self._publish({"method": "emit", "event": event,
                             "data": list(data) if isinstance(data, tuple) else [data],
                             "binary": False, "namespace": namespace, "room": room,
                             "skip_sid": skip_sid, "callback": None,
                             "host_id": self.host_id})

    def listening(self, room: str) -> bool:
        """Whether Redis counts this process among the receivers of `room`'s channel (its
        listener is subscribed to it on a live connection). After a Redis restart the other
        process may be subscribed again before this one: then a count of 1 is the other."""
        hid = hearing_of_room(room)
        return hid is not None and self.hearing_channel(hid) in self._listening

    async def emit_confirmed(self, event: str, data: Any, namespace: str, room: str) -> int:
        """Emit to `room` and wait for Redis: the processes that received it, -1 if none could.

        This process's own members of the room get it directly; the count includes
        this process when it is subscribed to the hearing (Redis sends it back:
        `listening`).
        """
        await self._deliver(event, data, namespace, room, None)
        future = await self._publish({"method": "emit", "event": event, "data": [data],
                                      "binary": False, "namespace": namespace, "room": room,
                                      "skip_sid": None, "callback": None,
                                      "host_id": self.host_id}, confirm=True)
        try:
            return int(await asyncio.wait_for(asyncio.shield(future), CONFIRM_TIMEOUT_S))
        except TimeoutError:
            return -1

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("binary") or message.get("callback"):
            await super()._handle_emit(message)
            return
        data = message["data"]
        if isinstance(data, list):
            data = data[0] if len(data) == 1 else tuple(data)
        await self._deliver(message["event"], data, message.get("namespace") or "/",
                            message.get("room"), message.get("skip_sid"))

    async def _deliver(self, event: str, data: Any, namespace: str, room: Any,
                       skip_sid: Any) -> None:
        """Send to this process's members of `room`: encoded once, only if anyone is here.

        Each send only queues the packet on the socket (no wait for the network), so
        the listener moves on to the next published message at once instead of one
        per event-loop turn, as python-socketio's own emit (tasks + wait) does.
        """
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        targets = [eio for sid, eio in self.get_participants(namespace, room)
                   if sid not in skip]
        if not targets:
            return
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(socketio.packet.EVENT, namespace=namespace,
                                           data=[event, *args]).encode()
        packets = [eio_packet.Packet(eio_packet.MESSAGE, p)
                   for p in (encoded if isinstance(encoded, list) else [encoded])]
        for eio_sid in targets:
            for pkt in packets:
                try:
                    await self.server._send_eio_packet(eio_sid, pkt)
                except Exception:  # that socket is closing: the others still get it
                    log.debug("cannot send to %s", eio_sid)

    # -- publishing ----------------------------------------------------------------------
    async def notify(self, hearing_id: str) -> None:
        """The hearing's routing changed: other processes drop their cached copy."""
        await self._publish({"method": _ROUTING, "hearing": hearing_id,
                             "namespace": NAMESPACE, "host_id": self.host_id})

    async def end_user(self, user_id: str) -> None:
        """Ask every other process to end `user_id`'s connections (a disabled account)."""
        await self._publish({"method": _END_USER, "user_id": user_id,
                             "host_id": self.host_id})

    async def probe(self, host_id: str, sids: list[str]) -> set[str] | None:
        """Which of `sids` the process `host_id` holds connected; None if it does not answer
        (gone, or Redis away: the caller decides what silence means)."""
        if host_id == self.host_id:
            return {s for s in sids if self.holds(s)}
        if not await self._listener_connected(host_id):
            return None  # killed: the kernel closed its connections, Redis knows at once
        qid = uuid.uuid4().hex
        future: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()
        self._probes[qid] = future
        try:
            await self._publish({"method": _PROBE, "to": host_id, "id": qid, "sids": sids,
                                 "host_id": self.host_id})
            return set(await asyncio.wait_for(future, PROBE_TIMEOUT_S))
        except TimeoutError:
            return None
        finally:
            self._probes.pop(qid, None)

    async def _listener_connected(self, host_id: str) -> bool:
        """Whether the process's listener is connected to Redis (True when Redis will not
        say: the probe's answer decides then)."""
        try:
            if not self.connected:
                self._redis_connect()
            clients = await self.redis.client_list(_type="pubsub")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # CLIENT LIST refused (a managed Redis's ACL), say
            log.debug("cannot list Redis clients: %s", exc)
            return True
        return any(c.get("name") == listener_name(host_id) for c in clients)

    def holds(self, sid: str) -> bool:
        """`sid` is a /hearing connection of this process, connecting (its handler running:
        `is_connected` says no then) or connected."""
        try:
            return self.rooms[NAMESPACE][None][sid] is not None
        except KeyError:
            return False

    async def _answer_probe(self, data: dict[str, Any]) -> None:
        sids = data.get("sids")
        if data.get("to") != self.host_id or not isinstance(sids, list):
            return
        await self._publish({"method": _PROBE_REPLY, "to": data.get("host_id"),
                             "id": data.get("id"), "host_id": self.host_id,
                             "sids": [s for s in sids if isinstance(s, str) and self.holds(s)]})

    def _probe_answered(self, data: dict[str, Any]) -> None:
        future = self._probes.get(str(data.get("id")))
        if data.get("to") == self.host_id and future is not None and not future.done():
            future.set_result([s for s in data.get("sids") or [] if isinstance(s, str)])

    async def ask_reannounce(self, hearing_id: str) -> None:
        """The other processes of a hearing write again what they hold of it (a departure
        raced with a reconnection there, and may have wiped it)."""
        await self._publish({"method": _REANNOUNCE, "hearing": hearing_id,
                             "namespace": NAMESPACE, "host_id": self.host_id})

    async def _publish(self, data: dict[str, Any], *, confirm: bool = False) -> Any:
        """Queue for the writer, which sends everything queued in one pipeline, in order.

        The caller does not wait for Redis: what it published reaches the others in
        the order it was published (one writer, one connection at a time), and a
        busy process sends many messages per system call instead of one.
        """
        payload = self._own + self.json.dumps(data, separators=(",", ":")).encode()
        future = asyncio.get_running_loop().create_future() if confirm else None
        self._outbox.append((self._channel_for(data), payload, future))
        self._idle.clear()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write())
        self._wake.set()
        return future

    async def _write(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox:
                batch, self._outbox = self._outbox, []
                await self._send(batch)
            self._idle.set()

    async def _send(self, batch: list[tuple[str, bytes, asyncio.Future[int] | None]]
                    ) -> None:
        for attempt in range(2):
            try:
                if not self.connected:
                    self._redis_connect()
                async with self.redis.pipeline(transaction=False) as pipe:
                    for channel, payload, _ in batch:
                        pipe.publish(channel, payload)
                    receivers = await pipe.execute()
                self.published += len(batch)
                for (_, _, future), n in zip(batch, receivers, strict=True):
                    if future is not None and not future.done():
                        future.set_result(int(n))
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected = False
                if attempt:
                    log.error("cannot publish %d messages to Redis, giving up: %s",
                              len(batch), exc)
                    for _, _, future in batch:
                        if future is not None and not future.done():
                            future.set_result(-1)
                else:
                    log.error("cannot publish to Redis, retrying: %s", exc)

    async def drain_outbox(self) -> None:
        """Wait until everything published so far has been handed to Redis."""
        await self._idle.wait()

    def _redis_connect(self) -> None:
        # The publishing client only: the listener has a PubSub of its own, so that a
        # reconnect on publish never replaces the subscription the listener reads.
        self.redis = self._get_redis_module().Redis.from_url(self.redis_url,
                                                             **self.redis_options)
        self.connected = True

    # -- listening -----------------------------------------------------------------------
    async def _messages(self) -> AsyncIterator[tuple[str, bytes]]:
        retry = 1.0
        while True:
            try:
                # Named: a process killed drops this connection at once, and Redis's
                # client list then tells the others so (`probe`).
                self._sub_client = self._get_redis_module().Redis.from_url(
                    self.redis_url, **self.redis_options,
                    client_name=listener_name(self.host_id))
                self._sub = self._sub_client.pubsub()
                channels = [self.channel, *(self.hearing_channel(h) for h in self._subscribed)]
                await self._sub.subscribe(*channels)
                retry = 1.0
                # Notices sent while we were not listening are lost: drop every copy.
                if self.on_routing_change is not None:
                    for hid in list(self._subscribed):
                        self.on_routing_change(hid)
                async for message in self._sub.listen():
                    kind, channel = message["type"], message["channel"]
                    if isinstance(channel, bytes):
                        channel = channel.decode()
                    if kind == "message":
                        yield channel, message["data"]
                    elif kind == "unsubscribe":
                        self._listening.discard(channel)
                    elif kind == "subscribe":
                        self._listening.add(channel)
                        future = self._confirm.pop(channel, None)
                        if future is not None and not future.done():
                            future.set_result(None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._listening.clear()
                log.error("cannot receive from Redis, retrying in %.0f s: %s", retry, exc)
                await self._close_sub()
                await asyncio.sleep(retry)
                retry = min(retry * 2, RETRY_MAX_S)

    async def _thread(self) -> None:
        async for channel, raw in self._messages():
            if raw.startswith(self._own):  # our own publication, echoed back by Redis
                self.echoes[self._hearing_of_channel(channel)] += 1
                continue
            if raw[:1] != b"{":
                raw = raw[len(self._own):]
            try:
                data = self.json.loads(raw)
            except ValueError:
                continue
            if not isinstance(data, dict) or "method" not in data:
                continue
            self.decoded[self._hearing_of_channel(channel)] += 1
            try:
                await self._dispatch(data)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("pubsub message %s failed", data.get("method"))

    async def _dispatch(self, data: dict[str, Any]) -> None:
        method = data["method"]
        if method == "callback":
            await self._handle_callback(data)
        elif data.get("host_id") == self.host_id:
            return
        elif method == "emit":
            await self._handle_emit(data)
        elif method == "disconnect":
            await self._handle_disconnect(data)
        elif method == "enter_room":
            await self._handle_enter_room(data)
        elif method == "leave_room":
            await self._handle_leave_room(data)
        elif method == "close_room":
            await self._handle_close_room(data)
        elif method == _END_USER and self.on_end_user is not None:
            self.on_end_user(str(data.get("user_id")))
        elif method == _ROUTING and self.on_routing_change is not None:
            self.on_routing_change(str(data.get("hearing")))
        elif method == _REANNOUNCE and self.on_reannounce is not None:
            self.on_reannounce(str(data.get("hearing")))
        elif method == _PROBE:
            await self._answer_probe(data)
        elif method == _PROBE_REPLY:
            self._probe_answered(data)

    async def _close_sub(self) -> None:
        sub, client, self._sub, self._sub_client = self._sub, self._sub_client, None, None
        if sub is not None:
            with contextlib.suppress(Exception):
                await sub.aclose()
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def aclose(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.drain_outbox(), 5)
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        thread = getattr(self, "thread", None)
        if thread is not None:
            thread.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await thread
        await self._close_sub()
        if self.redis is not None:
            await self.redis.aclose()
