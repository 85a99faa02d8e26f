"""A media worker (`yunting media`): a `MediaService` of its own in a process of its own,
serving the hearings the web processes place on it over Redis (media/placement.py).

Requests arrive on the worker's list (`<prefix>:rpc:<id>`, JSON, media/worker_protocol.py),
are performed in order per hearing, and answered on the asking process's reply list; what
the service reports (its callbacks, `EVENTS`) goes on the events stream, each tagged with
the hearing's lease epoch and a snapshot of the hearing (its switch, each participant's
recording state and who they are), which the web processes keep as their view of it.

A hearing adopted from a lost worker remembers whose peers were lost there: they count as
failed (`media_worker_lost`) until their new offer is answered, or until they leave.
Segments are written to the archive directory the web processes read (shared storage).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import secrets
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from media.errors import NegotiationError
from media.participant import ParticipantInfo
from media.peers import MediaService, MediaSettings
from media.placement import Keys, Lease, Placed, Registry, WorkerLoad
from media.recorder import RecordingEvent
from media.worker_heart import Heart
from media.worker_protocol import (
    CALLS,
    EVENTS,
    VERSION,
    ProtocolError,
    decode_args,
    decode_kwargs,
    encode_args,
    hearing_of,
    remembered_as,
)

__all__ = ["MediaWorker", "run_worker"]

log = logging.getLogger("yunting.media.worker")
EVENTS_MAXLEN = 10_000  # the stream is read live; this much is kept for a slow reader
REPLY_TTL_S = 60


class NotPlacedHere(Exception):
    """A request for a hearing this worker does not hold (at that epoch)."""


@dataclass
class Hosted:
    lease: Lease
    lost: dict[str, ParticipantInfo] = field(default_factory=dict)  # not back yet
    # The latest per-participant remembered calls (an audio-only choice), made again when
    # that participant's offer is answered here: before it, there is no peer to apply to.
    theirs: dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]] = field(
        default_factory=dict)

    def keep(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        call = CALLS.get(name)
        if call is not None and call.remember == "participant" and len(args) > 1:
            self.theirs[remembered_as(name, call, args)] = (name, args, kwargs)


class MediaWorker:
    def __init__(self, settings: MediaSettings, redis_url: str, *, ttl: float = 2.0,
                 keys: Keys | None = None, worker_id: str | None = None,
                 alive_file: Path | None = None) -> None:
        self.id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.keys = keys or Keys()
        self.ttl = ttl
        self.alive_file = alive_file  # touched at every beat Redis took (a health check)
        self._load_now = WorkerLoad(self.id)
        self._url = redis_url
        callbacks: dict[str, Any] = {argument: self._emitter(name)
                                     for name, argument in EVENTS.items()}
        self.service = MediaService(settings, **callbacks)
        self.hosted: dict[str, Hosted] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._cpu = (time.process_time(), time.monotonic())
        self._redis: aioredis.Redis | None = None
        self._registry: Registry | None = None

    @property
    def registry(self) -> Registry:
        assert self._registry is not None, "run() first"
        return self._registry

    # -- life -------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        self._redis = aioredis.Redis.from_url(self._url)
        self._registry = Registry(self._redis, self.keys, self.ttl)
        self.service.open()
        loop = asyncio.get_running_loop()
        self._load_now = self.load()
        heart = Heart(self._url, self.keys, self.ttl, load=lambda: self._load_now,
                      held=lambda: [(h, x.lease) for h, x in list(self.hosted.items())],
                      lapsed=lambda h, lease: loop.call_soon_threadsafe(self._lapsed, h, lease),
                      alive_file=self.alive_file)
        heart.start()
        await asyncio.to_thread(heart.beaten.wait, 10)  # in the registry before serving
        loops = [asyncio.ensure_future(work()) for work in (self._measuring, self._serving,
                                                           self._publishing)]
        log.info("media worker %s serving", self.id)
        try:
            await stop.wait()
        finally:
            heart.stop()
            await self._leave()
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            await self._redis.aclose()

    async def _leave(self) -> None:
        """Stopping: our leases go at once, so that our hearings move now, not after `ttl`
        (the placements stay: whoever re-places them tells their people to offer again)."""
        leaving = list(self.hosted.items())
        self.hosted.clear()  # from here on the service's reports are nobody's
        for hearing_id, hosted in leaving:
            with contextlib.suppress(RedisError, OSError):
                await self.registry.release(hearing_id, hosted.lease)
        with contextlib.suppress(RedisError, OSError):
            await self.registry.leave(self.id)
        await self.service.close()
        await self._flush()

    async def _flush(self) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._outbox.join(), 2)

    # -- heartbeat and leases ---------------------------------------------------------
    async def _measuring(self) -> None:
        """The load the heart reports (measured here: the service lives on this loop)."""
        while True:
            await asyncio.sleep(self.ttl / 4)
            self._load_now = self.load()

    def _lapsed(self, hearing_id: str, lease: Lease) -> None:
        hosted = self.hosted.get(hearing_id)
        if hosted is None or hosted.lease != lease:
            return
        log.warning("media worker %s: the lease of hearing %s lapsed; it lives elsewhere now, "
                    "dropped here", self.id, hearing_id)

        async def drop() -> None:
            async with self._lock(hearing_id):
                if self.hosted.get(hearing_id) is hosted:
                    await self._drop(hearing_id)

        self._spawn(drop())

    async def _drop(self, hearing_id: str) -> None:
        """Not ours any more (the caller holds the hearing's lock)."""
        self.hosted.pop(hearing_id, None)
        await self.service.stop(hearing_id)  # its reports go nowhere (not hosted)

    def load(self) -> WorkerLoad:
        cpu_then, wall_then = self._cpu
        self._cpu = cpu_now, wall_now = time.process_time(), time.monotonic()
        cpu = (cpu_now - cpu_then) / max(wall_now - wall_then, 1e-3)
        peers = streams = 0
        for hearing_id in self.hosted:
            for peer in self.service.hearing(hearing_id).peers.values():
                peers += 1
                streams += len(peer.recorder.specs) if peer.recorder is not None else 0
        return WorkerLoad(self.id, len(self.hosted), peers, streams, round(cpu, 3), time.time())

    # -- requests ---------------------------------------------------------------------
    async def _serving(self) -> None:
        assert self._redis is not None
        queue = self.keys.requests(self.id)
        while True:
            try:
                item = await self._redis.blpop([queue], timeout=1)
            except (RedisError, OSError) as exc:
                log.warning("media worker %s: reading requests failed (%s)", self.id, exc)
                await asyncio.sleep(1)
                continue
            if item is not None:
                self._spawn(self._handle(item[1]))

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _lock(self, hearing_id: str) -> asyncio.Lock:
        return self._locks.setdefault(hearing_id, asyncio.Lock())

    async def _handle(self, raw: bytes | str) -> None:
        try:
            request = _request(raw)
        except ProtocolError as exc:
            log.warning("media worker %s: dropped a request that is not ours (%s)", self.id, exc)
            return
        hearing_id = request["hearing_id"]
        async with self._lock(hearing_id):  # in order per hearing, as they were sent
            try:
                reply = {"ok": True, "result": encode_args((await self._perform(request),))[0]}
            except NegotiationError as exc:
                reply = {"ok": False, "error": "negotiation", "message": str(exc)}
            except NotPlacedHere as exc:
                reply = {"ok": False, "error": "not_placed", "message": str(exc)}
            except ProtocolError as exc:
                reply = {"ok": False, "error": "protocol", "message": str(exc)}
            except Exception as exc:
                log.exception("media worker %s: %s for %s failed", self.id, request["op"],
                              hearing_id)
                reply = {"ok": False, "error": "failed", "message": str(exc)[:300]}
            reply |= {"v": VERSION, "id": request["id"], "worker": self.id,
                      "hearing_id": hearing_id, "snapshot": self.snapshot(hearing_id)}
        if request.get("reply_to"):
            await self._reply(str(request["reply_to"]), reply)

    async def _reply(self, web_id: str, reply: dict[str, Any]) -> None:
        assert self._redis is not None
        key = self.keys.replies(web_id)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.rpush(key, json.dumps(reply, ensure_ascii=False))
                pipe.expire(key, REPLY_TTL_S)
                await pipe.execute()
        except (RedisError, OSError) as exc:  # the caller times out and may ask again
            log.warning("media worker %s: reply to %s lost (%s)", self.id, web_id, exc)

    async def _perform(self, request: dict[str, Any]) -> Any:
        op, hearing_id, epoch = request["op"], request["hearing_id"], request["epoch"]
        args, kwargs = decode_args(request["args"]), decode_kwargs(request.get("kwargs"))
        if op == "adopt":
            await self.adopt(hearing_id, Lease(epoch, self.id), *args[1:])
            return None
        call = CALLS.get(op)
        if call is None:
            raise ProtocolError(f"no such call {op!r}")
        hosted = self.hosted.get(hearing_id)
        if hosted is None or hosted.lease.epoch != epoch:
            if call.places:
                raise NotPlacedHere(f"hearing {hearing_id} (epoch {epoch}) is not on {self.id}")
            return None  # nothing of it here: nothing to close or switch
        if call.switch is not None:
            now = self.service.hearing(hearing_id).state
            if call.switch(now) == now:
                return None  # already so (another process's late view asked again)
        if op == "close_participant" and len(args) > 1:
            gone = hosted.lost.pop(str(args[1]), None)
            if gone is not None:  # lost with the old worker and left since: not failing
                self._emit("recording", RecordingEvent(hearing_id, gone.participant_id,
                                                       "stopped", "participant_left",
                                                       time.time()))
        result = getattr(self.service, op)(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        if op == "stop":
            self.hosted.pop(hearing_id, None)
            await self.registry.release(hearing_id, hosted.lease)
            await self.registry.forget(hearing_id)
            return result
        hosted.keep(op, args, kwargs)
        if op == "answer":
            await self._make_again(hearing_id, hosted, args[0].participant_id)
        for participant_id in self.service.states(hearing_id):
            hosted.lost.pop(participant_id, None)  # answered here: back
        await self._record(hearing_id)
        if call.switch is not None:
            self._emit("snapshot", hearing_id)
        return result

    async def adopt(self, hearing_id: str, lease: Lease, switch: str = "standby",
                    lost: list[ParticipantInfo] | None = None,
                    replay: list[list[Any]] | None = None) -> None:
        """The hearing is placed here (new, or moved from a lost worker) at `lease`; the
        remembered calls (`Proxied.remember`: the forwarder's audience) are made first."""
        known = self.hosted.get(hearing_id)
        if known is not None and known.lease.epoch >= lease.epoch:
            return
        hosted = self.hosted[hearing_id] = Hosted(lease, {p.participant_id: p
                                                          for p in lost or []})
        for name, args, kwargs in replay or []:
            if name in CALLS:
                hosted.keep(name, tuple(args), kwargs)
                await self._replay(hearing_id, name, tuple(args), kwargs)
        if known is None and self.service.hearing(hearing_id).state == "standby":
            if switch in ("recording", "paused"):
                self.service.start(hearing_id)
            if switch == "paused":
                self.service.pause(hearing_id)
        if not await self.registry.renew(hearing_id, lease):  # a stale request: moved on
            await self._drop(hearing_id)
            raise NotPlacedHere(f"hearing {hearing_id} is not leased to {self.id} at epoch "
                                f"{lease.epoch}")
        await self._record(hearing_id)
        log.info("media worker %s: hearing %s adopted (epoch %s, %s, %d lost)", self.id,
                 hearing_id, lease.epoch, switch, len(lost or []))

    async def _replay(self, hearing_id: str, name: str, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> None:
        try:
            result = getattr(self.service, name)(*args, **kwargs)
            if inspect.isawaitable(result):
                await result
        except Exception:  # the next such call sets it again
            log.exception("media worker %s: replaying %s for %s failed", self.id, name,
                          hearing_id)

    async def _make_again(self, hearing_id: str, hosted: Hosted, participant_id: str) -> None:
        for name, args, kwargs in list(hosted.theirs.values()):
            if str(args[1]) == participant_id:
                await self._replay(hearing_id, name, args, kwargs)

    async def _record(self, hearing_id: str) -> None:
        hosted = self.hosted.get(hearing_id)
        if hosted is not None:
            who = self.snapshot(hearing_id)["participants"]
            await self.registry.record(hearing_id, Placed(self.id, hosted.lease.epoch, who))

    def snapshot(self, hearing_id: str) -> dict[str, Any]:
        """The hearing as the web processes mirror it."""
        hosted = self.hosted.get(hearing_id)
        if hosted is None:
            return {"switch": "stopped", "states": {}, "participants": {}}
        states: dict[str, str] = {pid: "failed" for pid in hosted.lost}
        states |= self.service.states(hearing_id)
        who = {pid: info.as_dict() for pid, info in hosted.lost.items()}
        for pid in states:
            info = self.service.participant(hearing_id, pid)
            if info is not None:
                who[pid] = info.as_dict()
        return {"switch": self.service.hearing(hearing_id).state, "states": states,
                "participants": who}

    # -- events -----------------------------------------------------------------------
    def _emitter(self, name: str) -> Callable[..., None]:
        def emit(*args: Any) -> None:
            self._emit(name, *args)

        return emit

    def _emit(self, name: str, *args: Any) -> None:
        try:
            hearing_id = hearing_of(args)
        except ProtocolError:
            log.warning("media worker %s: a %s event names no hearing", self.id, name)
            return
        hosted = self.hosted.get(hearing_id)
        if hosted is None:  # a dropped or stopping hearing's last words: nobody's now
            return
        self._outbox.put_nowait({
            "v": VERSION, "type": name, "worker": self.id, "hearing_id": hearing_id,
            "epoch": hosted.lease.epoch, "args": encode_args(args),
            "snapshot": self.snapshot(hearing_id), "at": time.time()})

    async def _publishing(self) -> None:
        assert self._redis is not None
        while True:
            envelope = await self._outbox.get()
            body = json.dumps(envelope, ensure_ascii=False)
            while True:
                try:
                    await self._redis.xadd(self.keys.events, {"e": body},
                                           maxlen=EVENTS_MAXLEN, approximate=True)
                    break
                except (RedisError, OSError) as exc:  # in order: this one first
                    log.warning("media worker %s: event not published yet (%s)", self.id, exc)
                    await asyncio.sleep(0.5)
            self._outbox.task_done()


def _request(raw: bytes | str) -> dict[str, Any]:
    try:
        request = json.loads(raw)
    except ValueError as exc:
        raise ProtocolError(f"not JSON: {exc}") from None
    if not isinstance(request, dict) or request.get("v") != VERSION:
        raise ProtocolError("not a version 1 request")
    for name, kind in (("id", str), ("op", str), ("hearing_id", str), ("epoch", int),
                       ("args", list)):
        if not isinstance(request.get(name), kind):
            raise ProtocolError(f"'{name}' must be a {kind.__name__}")
    return request


def run_worker(settings: MediaSettings, redis_url: str, *, ttl: float,
               worker_id: str | None = None, alive_file: Path | None = None) -> int:
    """The `yunting media` process: serve until SIGTERM or SIGINT."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        worker = MediaWorker(settings, redis_url, ttl=ttl, worker_id=worker_id,
                             alive_file=alive_file)
        print(f"media worker {worker.id} serving", flush=True)
        await worker.run(stop)

    asyncio.run(main())
    return 0
