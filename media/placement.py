"""Where a hearing's media lives when it runs on `yunting media` workers: the registry in
Redis that the workers and the web processes share.

- each worker beats `<prefix>:worker:<id>` (its load as JSON; TTL `ttl`) every ttl/4;
- a placed hearing has a **lease** `<prefix>:lease:<hearing>` = `<epoch>:<worker>` that
  only its worker renews (compare-and-expire, TTL `ttl`): a killed or frozen worker's
  leases lapse within `ttl`, and a worker that comes back finds its leases gone or
  someone else's, and drops those hearings — it never takes a live hearing back;
- `<prefix>:placed` (a hash, hearing → JSON) remembers who was on a hearing's worker, so
  that whoever notices the lapsed lease re-places the hearing and tells those people;
- epochs come from one counter: every placement is newer than every earlier one, and a
  message tagged with an older epoch is a stale worker's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from redis import asyncio as aioredis

__all__ = ["RENEW_SCRIPT", "Keys", "Lease", "Placed", "Registry", "WorkerLoad", "least_loaded",
           "text"]

# The key holds our lease: extend it (PEXPIRE) and say 1; else 0.
RENEW_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# The key holds our lease: delete it and say 1; else 0.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def text(value: bytes | str) -> str:
    """What redis-py hands back (bytes, unless decoding was asked for), as text."""
    return value.decode() if isinstance(value, bytes) else value


@dataclass(frozen=True)
class Keys:
    """Every Redis key of the media plane, under one prefix (a test may take its own)."""

    prefix: str = "yt:media"

    def worker(self, worker_id: str) -> str:
        return f"{self.prefix}:worker:{worker_id}"

    @property
    def workers(self) -> str:
        return f"{self.prefix}:workers"

    def lease(self, hearing_id: str) -> str:
        return f"{self.prefix}:lease:{hearing_id}"

    @property
    def placed(self) -> str:
        return f"{self.prefix}:placed"

    @property
    def switches(self) -> str:
        return f"{self.prefix}:switch"

    @property
    def epoch(self) -> str:
        return f"{self.prefix}:epoch"

    def placing(self, hearing_id: str) -> str:
        return f"{self.prefix}:placing:{hearing_id}"

    def requests(self, worker_id: str) -> str:
        return f"{self.prefix}:rpc:{worker_id}"

    def replies(self, web_id: str) -> str:
        return f"{self.prefix}:reply:{web_id}"

    @property
    def events(self) -> str:
        return f"{self.prefix}:events"

    def web(self, web_id: str) -> str:
        return f"{self.prefix}:web:{web_id}"

    def home(self, hearing_id: str) -> str:
        return f"{self.prefix}:home:{hearing_id}"

    def remembered(self, hearing_id: str) -> str:
        return f"{self.prefix}:remember:{hearing_id}"


@dataclass(frozen=True)
class WorkerLoad:
    """What a worker's heartbeat says of it."""

    worker_id: str
    hearings: int = 0
    peers: int = 0
    streams: int = 0  # media streams received (and, with forwarding, sent)
    cpu: float = 0.0  # share of one core the process used over its last beat
    at: float = 0.0

    @property
    def score(self) -> float:
        """Lower is emptier: streams carry the cost (a received stream is recorded, a
        forwarded one sent); a busy CPU counts as 100 streams per core, so a worker that is
        hot for another reason (a composition, a neighbour) is avoided too."""
        return self.streams + self.peers * 0.1 + self.cpu * 100

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> WorkerLoad:
        data = json.loads(raw)
        return cls(str(data["worker_id"]), int(data["hearings"]), int(data["peers"]),
                   int(data["streams"]), float(data["cpu"]), float(data["at"]))


def least_loaded(loads: Iterable[WorkerLoad], *, excluding: Iterable[str] = ()
                 ) -> WorkerLoad | None:
    """The emptiest worker (ties: the fewest hearings, then the id), or None."""
    skip = set(excluding)
    candidates = [w for w in loads if w.worker_id not in skip]
    if not candidates:
        return None
    return min(candidates, key=lambda w: (w.score, w.hearings, w.worker_id))


@dataclass(frozen=True)
class Lease:
    epoch: int
    worker_id: str

    def encode(self) -> str:
        return f"{self.epoch}:{self.worker_id}"

    @classmethod
    def decode(cls, raw: str | bytes | None) -> Lease | None:
        if raw is None:
            return None
        text = raw.decode() if isinstance(raw, bytes) else raw
        epoch, _, worker_id = text.partition(":")
        if not epoch.isdigit() or not worker_id:
            return None
        return cls(int(epoch), worker_id)


@dataclass(frozen=True)
class Placed:
    """A hearing's last placement, and who had a peer there (the ones to tell if it dies)."""

    worker_id: str
    epoch: int
    participants: dict[str, dict[str, Any]]  # media participant id → ParticipantInfo fields

    def to_json(self) -> str:
        return json.dumps({"worker": self.worker_id, "epoch": self.epoch,
                           "participants": self.participants}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Placed:
        data = json.loads(raw)
        return cls(str(data["worker"]), int(data["epoch"]), dict(data["participants"]))


class Registry:
    """The Redis operations both sides use; `ttl` in seconds."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, ttl: float) -> None:
        self.redis, self.keys, self.ttl = redis, keys, ttl
        self._ttl_ms = int(ttl * 1000)
        self._renew = redis.register_script(RENEW_SCRIPT)
        self._release = redis.register_script(_RELEASE)

    # -- workers ----------------------------------------------------------------------
    async def beat(self, load: WorkerLoad) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.worker(load.worker_id), load.to_json(), px=self._ttl_ms)
            pipe.sadd(self.keys.workers, load.worker_id)
            await pipe.execute()

    async def leave(self, worker_id: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.delete(self.keys.worker(worker_id))
            pipe.srem(self.keys.workers, worker_id)
            await pipe.execute()

    async def live_workers(self) -> list[WorkerLoad]:
        ids = sorted(text(m) for m in await self.redis.smembers(self.keys.workers))
        if not ids:
            return []
        beats = await self.redis.mget([self.keys.worker(i) for i in ids])
        dead = [i for i, beat in zip(ids, beats, strict=True) if beat is None]
        if dead:
            await self.redis.srem(self.keys.workers, *dead)
        return [WorkerLoad.from_json(b) for b in beats if b is not None]

    async def is_live(self, worker_id: str) -> bool:
        return bool(await self.redis.exists(self.keys.worker(worker_id)))

    # -- leases -----------------------------------------------------------------------
    async def lease(self, hearing_id: str) -> Lease | None:
        return Lease.decode(await self.redis.get(self.keys.lease(hearing_id)))

    async def claim(self, hearing_id: str, worker_id: str) -> Lease:
        """A new lease for `worker_id`, newer than every earlier one (twice the TTL: the
        worker renews it from its next beat after it adopted the hearing)."""
        lease = Lease(int(await self.redis.incr(self.keys.epoch)), worker_id)
        await self.redis.set(self.keys.lease(hearing_id), lease.encode(), px=2 * self._ttl_ms)
        return lease

    async def renew(self, hearing_id: str, lease: Lease) -> bool:
        return bool(await self._renew(keys=[self.keys.lease(hearing_id)],
                                      args=[lease.encode(), self._ttl_ms]))

    async def release(self, hearing_id: str, lease: Lease) -> bool:
        return bool(await self._release(keys=[self.keys.lease(hearing_id)],
                                        args=[lease.encode()]))

    # -- placements -------------------------------------------------------------------
    async def placed(self) -> dict[str, Placed]:
        raw = await self.redis.hgetall(self.keys.placed)
        found: dict[str, Placed] = {}
        for hearing_id, value in raw.items():
            try:
                found[text(hearing_id)] = Placed.from_json(value)
            except (ValueError, KeyError, TypeError):
                continue
        return found

    async def placement(self, hearing_id: str) -> Placed | None:
        raw = await self.redis.hget(self.keys.placed, hearing_id)
        return Placed.from_json(raw) if raw is not None else None

    async def record(self, hearing_id: str, placed: Placed) -> None:
        await self.redis.hset(self.keys.placed, hearing_id, placed.to_json())

    async def forget(self, hearing_id: str) -> None:
        """The hearing is over: nobody re-places it."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hdel(self.keys.placed, hearing_id)
            pipe.hdel(self.keys.switches, hearing_id)
            pipe.delete(self.keys.home(hearing_id), self.keys.remembered(hearing_id))
            await pipe.execute()
