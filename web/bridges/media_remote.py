"""`RemoteMedia`: `MediaService`'s interface in a web process whose hearings' media run on
`yunting media` workers (YUNTING_MEDIA_WORKERS), so create_app picks local or remote in
one place.

- **Calls** (`media.worker_protocol.CALLS`) go to the worker holding the hearing's lease,
  in the order they were made per hearing; a call that needs media (an offer) places an
  unplaced hearing on the least-loaded live worker first. Waiting calls await the
  worker's reply (`NegotiationError` comes back as itself; a worker that does not answer
  is `MediaUnavailable`, which the page meets as `unavailable` and offers again).
- **Events**: every web process reads the worker's event stream and keeps a view of each
  hearing (switch, each participant's recording state, who they are) for the synchronous
  questions (`hearing`, `states`, `participant`); one process — the hearing's *home*, a
  key in Redis held by a live web process — hands each event to its handler (the
  recording driver), so alerts and audit entries are written once.
- **Failover**: every process sweeps the placements every ttl/4; a hearing whose lease
  lapsed (its worker killed or frozen) is placed on another live worker (one process
  wins `placing`), adopted there with its switch and the people who had a peer on the
  lost worker; each of them gets `media.lost` (their page offers again at once) and a
  `media_worker_lost` failure (the judge's alert, `recording.gap` in the audit log);
  their answer on the new worker records the next segment and ends the gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from media.errors import MediaError, NegotiationError
from media.participant import ParticipantInfo
from media.placement import Keys, Lease, Placed, Registry, least_loaded, text
from media.recorder import RecordingEvent, RecordingState
from media.worker_protocol import (
    CALLS,
    EVENTS,
    VERSION,
    ProtocolError,
    Proxied,
    decode_args,
    decode_kwargs,
    encode_args,
    encode_kwargs,
    hearing_of,
    remembered_as,
)

__all__ = ["HearingView", "MediaUnavailable", "RemoteMedia"]

log = logging.getLogger("yunting.media.remote")

Publish = Callable[[str, str, dict[str, Any], str], Awaitable[None]]
LOST_REASON = "media_worker_lost"
# A live web process holds the hearing's home (or nobody does: then the asker takes it).
_HOME = """
local home = redis.call('GET', KEYS[1])
if home and redis.call('EXISTS', ARGV[2] .. home) == 1 then return home end
redis.call('SET', KEYS[1], ARGV[1], 'EX', 43200)
return ARGV[1]
"""


class MediaUnavailable(MediaError, RuntimeError):
    """No live worker answered (none running, or it died while asked)."""


@dataclass
class HearingView:
    """What this process knows of a hearing on its worker (`.state` as `HearingRecording`)."""

    state: str = "standby"
    epoch: int = 0
    states: dict[str, RecordingState] = field(default_factory=dict)
    participants: dict[str, ParticipantInfo] = field(default_factory=dict)
    slots: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # the last maps

    def apply(self, snapshot: Mapping[str, Any]) -> None:
        self.state = str(snapshot.get("switch", self.state))
        self.states = dict(snapshot.get("states", {}))
        for pid, info in dict(snapshot.get("participants", {})).items():
            with contextlib.suppress(TypeError, ValueError):
                self.participants[pid] = ParticipantInfo(**info)


class RemoteMedia:
    def __init__(self, redis_url: str, on_recording_event: Callable[[RecordingEvent], None],
                 *, ttl: float = 2.0, keys: Keys | None = None, timeout: float = 10.0) -> None:
        self.id = secrets.token_hex(8)
        self.keys = keys or Keys()
        self.ttl, self.timeout = ttl, timeout
        # The handlers of the worker's events (`EVENTS`: their MediaService names).
        self.on_recording_event = on_recording_event
        self.on_slots: Callable[[str, str, dict[str, dict[str, str]]], None] | None = None
        self.publish: Publish | None = None  # media.lost to the room (create_app sets it)
        self._url = redis_url
        self._redis: aioredis.Redis | None = None
        self._registry: Registry | None = None
        self._views: dict[str, HearingView] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._pending: dict[str, tuple[asyncio.Future[dict[str, Any]], str]] = {}
        self._loops: list[asyncio.Task[None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- MediaService's interface ------------------------------------------------------
    def open(self) -> None:
        if self._redis is not None:
            return
        self._redis = aioredis.Redis.from_url(self._url)
        self._registry = Registry(self._redis, self.keys, self.ttl)
        self._home = self._redis.register_script(_HOME)
        self._loops = [asyncio.ensure_future(loop()) for loop in
                       (self._sweeping, self._reading_replies, self._reading_events)]

    async def close(self) -> None:
        """This process goes; the hearings' media stay on their workers."""
        for task in [*self._loops, *self._tasks]:
            task.cancel()
        await asyncio.gather(*self._loops, *self._tasks, return_exceptions=True)
        self._loops = []
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(MediaUnavailable("the web process is stopping"))
        if self._redis is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._redis.delete(self.keys.web(self.id))
            await self._redis.aclose()
            self._redis = None

    def hearing(self, hearing_id: str) -> HearingView:
        return self._views.setdefault(hearing_id, HearingView())

    def participant(self, hearing_id: str, participant_id: str) -> ParticipantInfo | None:
        view = self._views.get(hearing_id)
        return view.participants.get(participant_id) if view is not None else None

    def states(self, hearing_id: str) -> dict[str, RecordingState]:
        view = self._views.get(hearing_id)
        return dict(view.states) if view is not None else {}

    def slots(self, hearing_id: str, participant_id: str) -> dict[str, dict[str, str]]:
        """The participant's slot map as the forwarder last reported it."""
        view = self._views.get(hearing_id)
        found = view.slots.get(participant_id) if view is not None else None
        return found if found is not None else {"audio": {}, "video": {}}

    def __getattr__(self, name: str) -> Callable[..., Any]:
        """Every call of the table (`answer`, `close_participant`, `start`, …)."""
        call = CALLS.get(name)
        if call is None or name.startswith("_"):
            raise AttributeError(name)

        def proxied(*args: Any, **kwargs: Any) -> Any:
            hearing_id = hearing_of(args)
            view = self.hearing(hearing_id)
            switch = call.switch(view.state) if call.switch is not None else None
            if switch == view.state:
                switch = None  # no change here (the worker is asked all the same)
            elif switch is not None:
                view.state = switch
            sent = self._call(name, call, hearing_id, args, kwargs, switch)
            if call.waits:
                return sent
            self._spawn(sent)
            return None

        return proxied

    # -- calls ------------------------------------------------------------------------
    @property
    def registry(self) -> Registry:
        assert self._registry is not None, "open() first"
        return self._registry

    async def _call(self, name: str, call: Proxied, hearing_id: str, args: tuple[Any, ...],
                    kwargs: dict[str, Any], switch: str | None) -> Any:
        try:
            return await self._call_once(name, call, hearing_id, args, kwargs, switch)
        except MediaUnavailable as exc:
            if call.places:  # the page's offer: it is refused and offered again
                raise
            # Its worker died under the call: what it held is gone with it, and a worker
            # that adopts the hearing gets the switch and the remembered calls. A hangup,
            # an audience or a stop that cannot reach it must not fail the caller.
            log.warning("%s for %s not delivered: %s", name, hearing_id, exc)
            if switch == "stopped":
                await self.registry.forget(hearing_id)
                self._views.pop(hearing_id, None)
            return None

    async def _call_once(self, name: str, call: Proxied, hearing_id: str,
                         args: tuple[Any, ...], kwargs: dict[str, Any], switch: str | None
                         ) -> Any:
        for attempt in range(2):
            reply = await self._send(name, call, hearing_id, args, kwargs, switch)
            if reply is None:
                return None
            if reply.get("ok"):
                return decode_args([reply.get("result")])[0]
            error, message = reply.get("error"), str(reply.get("message", ""))
            if error == "negotiation":
                raise NegotiationError(message)
            if error != "not_placed" or attempt:
                raise MediaUnavailable(f"media worker: {message or error}")
        return None

    async def _send(self, name: str, call: Proxied, hearing_id: str, args: tuple[Any, ...],
                    kwargs: dict[str, Any], switch: str | None) -> dict[str, Any] | None:
        """Sent in call order per hearing; the reply (None when there is nobody to ask, or
        the call does not wait)."""
        async with self._lock(hearing_id):
            if call.remember:
                await self._remember(hearing_id, remembered_as(name, call, args), args, kwargs)
            if switch == "stopped":
                await self.registry.redis.hdel(self.keys.switches, hearing_id)
            elif switch is not None:
                await self.registry.redis.hset(self.keys.switches, hearing_id, switch)
            lease = await self._lease(hearing_id, place=call.places)
            if lease is None:
                if switch == "stopped":
                    await self.registry.forget(hearing_id)
                    self._views.pop(hearing_id, None)
                return None
            future = await self._request(lease, name, hearing_id, args, kwargs,
                                         wait=call.waits)
        if future is None:
            return None
        reply = await self._await(future, name, hearing_id)
        if switch == "stopped":
            await self.registry.forget(hearing_id)
            self._views.pop(hearing_id, None)
        return reply

    async def _remember(self, hearing_id: str, field_name: str, args: tuple[Any, ...],
                        kwargs: dict[str, Any]) -> None:
        key = self.keys.remembered(hearing_id)
        async with self.registry.redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, field_name, json.dumps({"args": encode_args(args),
                                             "kwargs": encode_kwargs(kwargs)},
                                            ensure_ascii=False))
            pipe.expire(key, 43200)
            await pipe.execute()

    async def _remembered(self, hearing_id: str) -> list[list[Any]]:
        raw = await self.registry.redis.hgetall(self.keys.remembered(hearing_id))
        calls: list[list[Any]] = []
        for name, body in raw.items():
            with contextlib.suppress(ValueError, ProtocolError):
                data = json.loads(body)
                calls.append([text(name).partition(":")[0], list(decode_args(data["args"])),
                              decode_kwargs(data.get("kwargs"))])
        return calls

    async def _request(self, lease: Lease, op: str, hearing_id: str, args: tuple[Any, ...],
                       kwargs: dict[str, Any] | None = None, *, wait: bool
                       ) -> asyncio.Future[dict[str, Any]] | None:
        request_id = secrets.token_hex(8)
        future: asyncio.Future[dict[str, Any]] | None = None
        if wait:
            future = asyncio.get_running_loop().create_future()
            self._pending[request_id] = (future, lease.worker_id)
        body = {"v": VERSION, "id": request_id, "reply_to": self.id if wait else "",
                "op": op, "hearing_id": hearing_id, "epoch": lease.epoch,
                "args": encode_args(args), "kwargs": encode_kwargs(kwargs or {})}
        queue = self.keys.requests(lease.worker_id)
        try:
            async with self.registry.redis.pipeline(transaction=False) as pipe:
                pipe.rpush(queue, json.dumps(body, ensure_ascii=False))
                pipe.expire(queue, 60)  # a dead worker's queue does not outlive it long
                await pipe.execute()
        except BaseException:
            self._pending.pop(request_id, None)
            raise
        return future

    async def _await(self, future: asyncio.Future[dict[str, Any]], name: str,
                     hearing_id: str) -> dict[str, Any]:
        try:
            reply = await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            raise MediaUnavailable(f"no media worker answered {name} for {hearing_id} "
                                   f"within {self.timeout} s") from None
        view = self._views.get(hearing_id)
        snapshot = reply.get("snapshot")
        if view is not None and isinstance(snapshot, dict):
            view.apply(snapshot)
        return reply

    def _lock(self, hearing_id: str) -> asyncio.Lock:
        return self._locks.setdefault(hearing_id, asyncio.Lock())

    # -- placement --------------------------------------------------------------------
    async def _lease(self, hearing_id: str, *, place: bool) -> Lease | None:
        lease = await self.registry.lease(hearing_id)
        if lease is not None:
            return lease
        return await self._place(hearing_id) if place else None

    async def _place(self, hearing_id: str, *, wait: float = 5.0) -> Lease | None:
        """Place the hearing (new, or its worker lost): one process does it, the others
        wait for its lease."""
        redis = self.registry.redis
        placing = self.keys.placing(hearing_id)
        deadline = time.monotonic() + wait
        while not await redis.set(placing, self.id, nx=True, px=int(wait * 1000)):
            lease = await self.registry.lease(hearing_id)
            if lease is not None:
                return lease
            if time.monotonic() > deadline:
                raise MediaUnavailable(f"hearing {hearing_id} is being placed elsewhere")
            await asyncio.sleep(0.1)
        try:
            lease = await self.registry.lease(hearing_id)
            return lease if lease is not None else await self._place_now(hearing_id)
        finally:
            if await redis.get(placing) == self.id.encode():
                await redis.delete(placing)

    async def _place_now(self, hearing_id: str) -> Lease:
        before = await self.registry.placement(hearing_id)
        lost_worker = before.worker_id if before is not None else None
        if lost_worker is not None:
            self._fail_pending(lost_worker)
        chosen = least_loaded(await self.registry.live_workers(),
                              excluding=[lost_worker] if lost_worker else [])
        if chosen is None:
            raise MediaUnavailable("no media worker is running")
        lease = await self.registry.claim(hearing_id, chosen.worker_id)
        raw_switch = await self.registry.redis.hget(self.keys.switches, hearing_id)
        switch = text(raw_switch) if raw_switch is not None else "standby"
        lost = [ParticipantInfo(**info) for info in (before.participants.values()
                                                     if before is not None else [])]
        await self.registry.record(hearing_id, Placed(chosen.worker_id, lease.epoch,
                                                      {p.participant_id: p.as_dict()
                                                       for p in lost}))
        replay = await self._remembered(hearing_id)
        future = await self._request(lease, "adopt", hearing_id,
                                     (hearing_id, switch, lost, replay), wait=True)
        assert future is not None
        reply = await self._await(future, "adopt", hearing_id)
        if not reply.get("ok"):
            raise MediaUnavailable(f"media worker {chosen.worker_id} did not adopt "
                                   f"{hearing_id}: {reply.get('message')}")
        if lost_worker is not None:
            log.warning("hearing %s moved from lost media worker %s to %s (epoch %s); "
                        "%d participant(s) to reconnect", hearing_id, lost_worker,
                        chosen.worker_id, lease.epoch, len(lost))
            await self._announce_loss(hearing_id, lease, lost_worker, lost, switch)
        return lease

    async def _announce_loss(self, hearing_id: str, lease: Lease, lost_worker: str,
                             lost: list[ParticipantInfo], switch: str) -> None:
        """On the events stream like a worker's own, so that the hearing's home handles it."""
        envelope = {
            "v": VERSION, "type": "worker_lost", "worker": lost_worker,
            "hearing_id": hearing_id, "epoch": lease.epoch, "args": encode_args(
                (hearing_id, lost_worker, lost)), "at": time.time(),
            "snapshot": {"switch": switch,
                         "states": {p.participant_id: "failed" for p in lost},
                         "participants": {p.participant_id: p.as_dict() for p in lost}}}
        await self.registry.redis.xadd(self.keys.events,
                                       {"e": json.dumps(envelope, ensure_ascii=False)},
                                       maxlen=10_000, approximate=True)

    def _fail_pending(self, worker_id: str) -> None:
        for request_id, (future, to) in list(self._pending.items()):
            if to == worker_id and not future.done():
                future.set_exception(MediaUnavailable(f"media worker {worker_id} was lost"))
                self._pending.pop(request_id, None)

    async def _sweeping(self) -> None:
        while True:
            try:
                await self.sweep()
            except (RedisError, OSError, MediaError) as exc:
                log.warning("media placement sweep failed: %s", exc)
            except Exception:  # the sweep is what moves hearings off lost workers: keep it
                log.exception("media placement sweep failed")
            await asyncio.sleep(self.ttl / 4)

    async def sweep(self) -> None:
        """Say this process is alive; re-place every hearing whose lease lapsed."""
        redis = self.registry.redis
        await redis.set(self.keys.web(self.id), b"1", px=int(self.ttl * 1500))
        placed = await self.registry.placed()
        if not placed:
            return
        leases = await redis.mget([self.keys.lease(h) for h in placed])
        lapsed = [h for h, lease in zip(placed, leases, strict=True) if lease is None]
        for hearing_id in lapsed:
            self._fail_pending(placed[hearing_id].worker_id)
        # A lost worker's hearings move together, not one adoption after another.
        await asyncio.gather(*(self._replace(h) for h in lapsed))

    async def _replace(self, hearing_id: str) -> None:
        if await self.registry.redis.exists(self.keys.placing(hearing_id)):
            return  # someone is at it
        async with self._lock(hearing_id):
            try:
                await self._place(hearing_id, wait=0.5)
            except MediaUnavailable as exc:
                log.warning("hearing %s not re-placed yet: %s", hearing_id, exc)

    # -- replies and events -----------------------------------------------------------
    async def _reading_replies(self) -> None:
        redis = self.registry.redis
        key = self.keys.replies(self.id)
        while True:
            try:
                item = await redis.blpop([key], timeout=1)
            except (RedisError, OSError) as exc:
                log.warning("media replies: %s", exc)
                await asyncio.sleep(1)
                continue
            if item is None:
                continue
            try:
                reply = json.loads(item[1])
                pending = self._pending.pop(str(reply.get("id")), None)
            except (ValueError, AttributeError):
                continue
            if pending is not None and not pending[0].done():
                pending[0].set_result(reply)

    async def _reading_events(self) -> None:
        redis = self.registry.redis
        last: str = "$"
        while True:
            try:
                batch: Any = await redis.xread({self.keys.events: last}, block=1000, count=200)
            except (RedisError, OSError) as exc:
                log.warning("media events: %s", exc)
                await asyncio.sleep(1)
                continue
            for _stream, entries in batch or []:
                for entry_id, fields in entries:
                    last = text(entry_id)
                    try:
                        await self._event(json.loads(dict(fields)[b"e"]))
                    except (ProtocolError, ValueError, KeyError, TypeError) as exc:
                        log.warning("media event dropped: %s", exc)
                    except Exception:  # Redis or a handler: the next events still count
                        log.exception("media event %s not handled", text(entry_id))

    async def _event(self, envelope: dict[str, Any]) -> None:
        if envelope.get("v") != VERSION:
            raise ProtocolError("not a version 1 event")
        hearing_id, epoch = str(envelope["hearing_id"]), int(envelope["epoch"])
        view = self.hearing(hearing_id)
        if epoch < view.epoch:
            return  # a worker the hearing has moved away from
        view.epoch = epoch
        view.apply(envelope.get("snapshot") or {})
        kind = envelope["type"]
        args = decode_args(envelope["args"])
        if kind == "slots" and len(args) > 2 and isinstance(args[2], dict):
            view.slots[str(args[1])] = args[2]
        if kind == "snapshot" or not await self._is_home(hearing_id):
            return
        if kind == "worker_lost":
            await self._worker_lost(hearing_id, str(args[1]), list(args[2]),
                                    float(envelope.get("at") or time.time()))
            return
        handler = getattr(self, EVENTS.get(kind, "_no_handler"), None)
        if handler is None:
            log.warning("media event %r has no handler here", kind)
            return
        handler(*args)

    async def _is_home(self, hearing_id: str) -> bool:
        home = await self._home(keys=[self.keys.home(hearing_id)],
                                args=[self.id, f"{self.keys.prefix}:web:"])
        return bool(home == self.id.encode() or home == self.id)

    async def _worker_lost(self, hearing_id: str, worker_id: str,
                           lost: list[ParticipantInfo], at: float) -> None:
        for info in lost:
            if self.publish is not None:  # their page offers again now, not at its timeout
                with contextlib.suppress(Exception):
                    await self.publish(hearing_id, "media.lost",
                                       {"hearing_id": hearing_id,
                                        "participant_id": info.participant_id}, "everyone")
            self.on_recording_event(RecordingEvent(
                hearing_id, info.participant_id, "failed", LOST_REASON, at,
                detail=f"media worker {worker_id} lost"))

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.warning("media call failed: %s", t.exception())

        task.add_done_callback(done)
