"""Who is connected to which hearing, agreed by every process: in-process or Redis.

socket.io rooms are per process, so the shared truth of presence (members, their
connections, quality, raised hands, consultation requests) lives here. The backend
seam is one small interface, `Tables`: per hearing, a few hashes of JSON values.
`LocalTables` is the embedded default; `RedisTables` shares them between processes
(JSON only, never pickle). Every write is one HSET/HDEL, so no read-modify-write
races between processes.

Presence belongs to a live process. Each `Presence` has a process id (new at every
start: a restarted process never inherits its predecessor's entries) and every
connection entry (`sids`) is tagged with it. The process refreshes a key of a few
seconds' TTL (`beat`); entries of a process whose key is gone (killed, frozen) are
ignored by every reader and deleted by the first one that sees them. When `beat`
finds its own key missing although it had set it, the store lost what it held (a
Redis restart): the process re-announces its live connections (`announce`).

What each process holds is also indexed by process (`own`), and every process is
listed while it heartbeats. When one stops, a living process — exactly one: a claim
with a TTL (`claim_dead`) — reconciles its end: each of its members with no connection
left elsewhere departs (the database says disconnected, `participant.drop` audited).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from signaling.quality import Quality

__all__ = [
    "Attachment", "LocalTables", "Member", "Presence", "PresenceView", "RedisTables", "Routing",
    "Tables",
]

# Forget a hearing's presence a while after its last write, so a crashed process
# cannot leave members behind for ever.
PRESENCE_TTL_S = 12 * 3600
# What lives only in the store, copied by each process of a hearing to be re-announced.
SHADOWED = ("hands", "requests", "consults")
# How long one process has to reconcile a dead one's end before another may try.
REAP_CLAIM_S = 30.0


class Tables(Protocol):
    async def put(self, hearing_id: str, table: str, key: str, value: dict[str, Any]) -> None: ...
    async def delete(self, hearing_id: str, table: str, key: str) -> None: ...
    async def pop(self, hearing_id: str, table: str, key: str) -> dict[str, Any] | None: ...
    async def put_many(self, table: str, rows: list[tuple[str, str, dict[str, Any]]]
                       ) -> None: ...
    async def all(self, hearing_id: str, tables: tuple[str, ...]
                  ) -> dict[str, dict[str, dict[str, Any]]]: ...
    async def beat(self, process: str, ttl_s: float) -> bool: ...
    async def alive(self, processes: set[str]) -> set[str]: ...
    async def own(self, process: str, sid: str, value: dict[str, Any]) -> None: ...
    async def disown(self, process: str, sid: str) -> None: ...
    async def processes(self) -> set[str]: ...
    async def claim(self, process: str, ttl_s: float) -> bool: ...
    async def owned(self, process: str) -> dict[str, dict[str, Any]]: ...
    async def release(self, process: str) -> None: ...
    async def close(self) -> None: ...


class LocalTables:
    def __init__(self) -> None:
        self._data: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    async def put(self, hearing_id: str, table: str, key: str, value: dict[str, Any]) -> None:
        self._data.setdefault((hearing_id, table), {})[key] = value

    async def delete(self, hearing_id: str, table: str, key: str) -> None:
        self._data.get((hearing_id, table), {}).pop(key, None)

    async def pop(self, hearing_id: str, table: str, key: str) -> dict[str, Any] | None:
        return self._data.get((hearing_id, table), {}).pop(key, None)

    async def put_many(self, table: str, rows: list[tuple[str, str, dict[str, Any]]]
                       ) -> None:
        for hearing_id, key, value in rows:
            await self.put(hearing_id, table, key, value)

    async def all(self, hearing_id: str, tables: tuple[str, ...]
                  ) -> dict[str, dict[str, dict[str, Any]]]:
        return {t: dict(self._data.get((hearing_id, t), {})) for t in tables}

    async def beat(self, process: str, ttl_s: float) -> bool:
        return True  # one process, which is alive while it runs

    async def alive(self, processes: set[str]) -> set[str]:
        return set(processes)

    # One process: nobody outlives it to reconcile what it held (the database does, at
    # the next arrival), so its connections are not indexed.
    async def own(self, process: str, sid: str, value: dict[str, Any]) -> None:
        return None

    async def disown(self, process: str, sid: str) -> None:
        return None

    async def processes(self) -> set[str]:
        return set()

    async def claim(self, process: str, ttl_s: float) -> bool:
        return False

    async def owned(self, process: str) -> dict[str, dict[str, Any]]:
        return {}

    async def release(self, process: str) -> None:
        return None

    async def close(self) -> None:
        self._data.clear()


class RedisTables:
    def __init__(self, url: str, *, prefix: str = "yunting:presence",
                 max_connections: int = 32) -> None:
        from redis import asyncio as aioredis  # only production needs the client

        # A blocking pool: under a burst, commands wait for a connection instead of
        # failing with "Too many connections" (redis-py's default pool raises at 100).
        # A pooled connection broken by a Redis restart is retried once on a fresh one
        # (the retry belongs to the pool's connections, not to the client).
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError

        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=10, decode_responses=True,
            retry=Retry(NoBackoff(), 1), retry_on_error=[RedisConnectionError])
        self._redis = aioredis.Redis(connection_pool=pool)
        self._prefix = prefix

    def _key(self, hearing_id: str, table: str) -> str:
        return f"{self._prefix}:{hearing_id}:{table}"

    async def put(self, hearing_id: str, table: str, key: str, value: dict[str, Any]) -> None:
        name = self._key(hearing_id, table)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(name, key, json.dumps(value, separators=(",", ":")))
            pipe.expire(name, PRESENCE_TTL_S)
            await pipe.execute()

    async def delete(self, hearing_id: str, table: str, key: str) -> None:
        await self._redis.hdel(self._key(hearing_id, table), key)

    async def put_many(self, table: str, rows: list[tuple[str, str, dict[str, Any]]]
                       ) -> None:
        """Many hearings' rows in one round trip (the batched quality flush)."""
        if not rows:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for hearing_id, key, value in rows:
                name = self._key(hearing_id, table)
                pipe.hset(name, key, json.dumps(value, separators=(",", ":")))
                pipe.expire(name, PRESENCE_TTL_S)
            await pipe.execute()

    async def pop(self, hearing_id: str, table: str, key: str) -> dict[str, Any] | None:
        # One transaction: of two processes popping the same request, one gets it.
        name = self._key(hearing_id, table)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hget(name, key)
            pipe.hdel(name, key)
            value, _ = await pipe.execute()
        return None if value is None else dict(json.loads(value))

    async def all(self, hearing_id: str, tables: tuple[str, ...]
                  ) -> dict[str, dict[str, dict[str, Any]]]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for table in tables:
                pipe.hgetall(self._key(hearing_id, table))
            results = await pipe.execute()
        return {t: {k: json.loads(v) for k, v in r.items()} for t, r in zip(tables, results,
                                                                           strict=True)}

    def _process_key(self, process: str) -> str:
        return f"{self._prefix}:process:{process}"

    def _processes_key(self) -> str:
        return f"{self._prefix}:processes"

    def _owned_key(self, process: str) -> str:
        return f"{self._prefix}:process:{process}:conns"

    async def beat(self, process: str, ttl_s: float) -> bool:
        """Refresh the process's key; False when it was not there (new, or the store lost it).
        The process is also listed (again) among those whose end someone must reconcile."""
        name = self._process_key(process)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.exists(name)
            pipe.set(name, "1", px=int(ttl_s * 1000))
            pipe.sadd(self._processes_key(), process)
            existed, _, _ = await pipe.execute()
        return bool(existed)

    async def own(self, process: str, sid: str, value: dict[str, Any]) -> None:
        name = self._owned_key(process)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(name, sid, json.dumps(value, separators=(",", ":")))
            pipe.expire(name, PRESENCE_TTL_S)
            await pipe.execute()

    async def disown(self, process: str, sid: str) -> None:
        await self._redis.hdel(self._owned_key(process), sid)

    async def processes(self) -> set[str]:
        return {str(p) for p in await self._redis.smembers(self._processes_key())}

    async def claim(self, process: str, ttl_s: float) -> bool:
        """One process, of all that try, gets to reconcile a dead one's end (for `ttl_s`:
        if it dies meanwhile, another one does it after that)."""
        return bool(await self._redis.set(f"{self._prefix}:reap:{process}", "1", nx=True,
                                          px=int(ttl_s * 1000)))

    async def owned(self, process: str) -> dict[str, dict[str, Any]]:
        found = await self._redis.hgetall(self._owned_key(process))
        return {str(k): json.loads(v) for k, v in found.items()}

    async def release(self, process: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.srem(self._processes_key(), process)
            pipe.delete(self._owned_key(process))
            await pipe.execute()

    async def alive(self, processes: set[str]) -> set[str]:
        if not processes:
            return set()
        ordered = sorted(processes)
        async with self._redis.pipeline(transaction=False) as pipe:
            for process in ordered:
                pipe.exists(self._process_key(process))
            found = await pipe.execute()
        return {p for p, n in zip(ordered, found, strict=True) if n}

    async def close(self) -> None:
        await self._redis.aclose()
        await self._redis.connection_pool.disconnect()


@dataclass(frozen=True)
class Member:
    """One identity in a hearing: a participant, or a staff user without a seat."""

    identity: str  # the participant id, or "staff:<user id>"
    name: str
    role: str
    participant_id: str | None
    host: bool
    observer: bool


@dataclass(frozen=True)
class Attachment:
    """One live connection (socket.io sid) of a member, on some process."""

    sid: str
    identity: str
    held: bool  # a duplicate connection awaiting the judge's decision
    process: str = ""  # the process that holds it


class Presence:
    """The hearing's presence, on any `Tables` backend.

    `routing()` — what every relayed rtc message needs — is cached per hearing in
    this process. Every write that changes it (members, states, consultations)
    drops the local copy and calls `on_routing_change`, through which the other
    processes of the hearing drop theirs (`HearingChannels.notify`); a read that
    raced with a change is not kept.
    """

    def __init__(self, tables: Tables, process: str | None = None) -> None:
        self._t = tables
        self.process = process or secrets.token_hex(8)
        self._routing: dict[str, Routing] = {}
        self._reading: dict[str, object] = {}
        self.on_routing_change: Callable[[str], Awaitable[None]] | None = None
        # (process, sids) → which of them that process holds; None: it did not answer.
        self.probe: Callable[[str, list[str]], Awaitable[set[str] | None]] | None = None
        # A copy of what lives only in the store (hands, requests, consultations) of the
        # hearings this process holds, to write again if the store loses it.
        self._shadow: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}

    async def close(self) -> None:
        await self._t.close()

    def invalidate(self, hearing_id: str) -> None:
        """Drop the cached routing (a change here, or news of one from another process)."""
        self._routing.pop(hearing_id, None)
        self._reading.pop(hearing_id, None)

    async def _changed(self, hearing_id: str) -> None:
        self.invalidate(hearing_id)
        if self.on_routing_change is not None:
            await self.on_routing_change(hearing_id)

    async def beat(self, ttl_s: float) -> bool:
        """This process is alive for `ttl_s` more; False when the store did not know it."""
        return await self._t.beat(self.process, ttl_s)

    def _sid(self, identity: str, held: bool) -> dict[str, Any]:
        return {"identity": identity, "held": held, "process": self.process}

    async def attach(self, hearing_id: str, member: Member, sid: str, *, held: bool) -> None:
        await self._t.own(self.process, sid, {"hearing": hearing_id, "member": asdict(member)})
        await self._t.put(hearing_id, "members", member.identity, asdict(member))
        await self._t.put(hearing_id, "sids", sid, self._sid(member.identity, held))
        await self._changed(hearing_id)

    async def announce(self, hearing_id: str, connections: list[tuple[Member, str, bool]],
                       states: dict[str, str]) -> None:
        """Write again what this process holds of a hearing (after the store lost it):
        its connections (member, sid, held) and those members' states."""
        for member, sid, held in connections:
            await self._t.own(self.process, sid, {"hearing": hearing_id,
                                                  "member": asdict(member)})
            await self._t.put(hearing_id, "members", member.identity, asdict(member))
            await self._t.put(hearing_id, "sids", sid, self._sid(member.identity, held))
        for identity, state in states.items():
            await self._t.put(hearing_id, "states", identity, {"state": state})
        # What only the store knew, as this process last saw it: every process of the
        # hearing writes the same copy (a few seconds old at most).
        for table, rows in self._shadow.get(hearing_id, {}).items():
            for key, value in rows.items():
                await self._t.put(hearing_id, table, key, value)
        await self._changed(hearing_id)

    async def remember(self, hearing_ids: set[str]) -> None:
        """Copy the hands, requests and consultations of these hearings (the ones this
        process holds connections of) for `announce` after a loss of the store."""
        shadow = {}
        for hid in hearing_ids:
            shadow[hid] = await self._t.all(hid, SHADOWED)
        self._shadow = shadow

    async def set_held(self, hearing_id: str, sid: str, identity: str, held: bool) -> None:
        await self._t.put(hearing_id, "sids", sid, self._sid(identity, held))

    async def detach(self, hearing_id: str, sid: str) -> None:
        await self._t.delete(hearing_id, "sids", sid)
        await self._t.disown(self.process, sid)

    async def dead_processes(self) -> set[str]:
        """Processes that held connections and stopped heartbeating (killed, frozen)."""
        listed = await self._t.processes() - {self.process}
        return listed - await self._t.alive(listed) if listed else set()

    async def claim_dead(self, process: str, ttl_s: float = REAP_CLAIM_S
                         ) -> list[tuple[str, Member]] | None:
        """What a dead process held — (hearing, member) once each — if this process is the
        one to reconcile it; None if another one is (or was)."""
        if not await self._t.claim(process, ttl_s):
            return None
        held: dict[tuple[str, str], Member] = {}
        for value in (await self._t.owned(process)).values():
            member = Member(**value["member"])
            held[(str(value["hearing"]), member.identity)] = member
        return [(hid, member) for (hid, _), member in sorted(held.items(),
                                                             key=lambda kv: kv[0])]

    async def release_dead(self, process: str) -> None:
        """A dead process's end is reconciled: nobody needs to look at it again."""
        await self._t.release(process)

    async def forget(self, hearing_id: str, identity: str) -> None:
        """The member has no connection left: drop what only lives while connected."""
        for table in ("members", "quality", "hands", "states"):
            await self._t.delete(hearing_id, table, identity)
        await self._changed(hearing_id)

    async def _live(self, hearing_id: str, sids: dict[str, dict[str, Any]]
                    ) -> list[Attachment]:
        """The connections of live processes; those of dead ones are deleted."""
        others = {str(v.get("process")) for v in sids.values()} - {self.process}
        alive = (await self._t.alive(others) if others else set()) | {self.process}
        live = []
        for sid, v in sids.items():
            if v.get("process") in alive:
                live.append(Attachment(sid, v["identity"], bool(v["held"]),
                                       str(v.get("process"))))
            else:
                await self._t.delete(hearing_id, "sids", sid)
        return live

    async def attachments(self, hearing_id: str, identity: str | None = None
                          ) -> list[Attachment]:
        sids = (await self._t.all(hearing_id, ("sids",)))["sids"]
        found = await self._live(hearing_id, sids)
        return [a for a in found if identity is None or a.identity == identity]

    async def confirmed(self, attachments: list[Attachment]) -> list[Attachment]:
        """Those of `attachments` that their process, asked now, says it holds.

        A killed process's entries count until its key expires (`process_ttl_s`); a
        reconnection that found its twin there would be held that long. Asked, a live
        process answers at once; a killed one does not, and its entries are left out
        (not deleted: the key's expiry does that). This process's own are taken as they are.
        """
        if self.probe is None:
            return attachments
        probe = self.probe
        others: dict[str, list[Attachment]] = {}
        for a in attachments:
            if a.process != self.process:
                others.setdefault(a.process, []).append(a)
        if not others:
            return attachments
        answers = await asyncio.gather(*(probe(p, [a.sid for a in group])
                                         for p, group in others.items()))
        held = {p: found for p, found in zip(others, answers, strict=True)}
        return [a for a in attachments if a.process == self.process
                or (held[a.process] is not None and a.sid in held[a.process])]  # type: ignore[operator]

    async def set_quality(self, hearing_id: str, identity: str, quality: Quality) -> None:
        await self._t.put(hearing_id, "quality", identity, quality.to_json())

    async def set_qualities(self, rows: list[tuple[str, str, Quality]]) -> None:
        """(hearing, identity, quality) rows of many hearings in one write."""
        await self._t.put_many("quality", [(h, i, q.to_json()) for h, i, q in rows])

    async def drop_quality(self, hearing_id: str, identity: str) -> None:
        await self._t.delete(hearing_id, "quality", identity)

    async def set_hand(self, hearing_id: str, identity: str, raised: bool) -> None:
        if raised:
            await self._t.put(hearing_id, "hands", identity, {"raised": True})
        else:
            await self._t.delete(hearing_id, "hands", identity)

    async def put_request(self, hearing_id: str, request_id: str, value: dict[str, Any]
                          ) -> None:
        await self._t.put(hearing_id, "requests", request_id, value)

    async def take_request(self, hearing_id: str, request_id: str) -> dict[str, Any] | None:
        return await self._t.pop(hearing_id, "requests", request_id)

    async def set_state(self, hearing_id: str, identity: str, state: str) -> None:
        await self._t.put(hearing_id, "states", identity, {"state": state})
        await self._changed(hearing_id)

    async def put_consultation(self, hearing_id: str, cid: str, identities: list[str]) -> None:
        await self._t.put(hearing_id, "consults", cid, {"members": identities})
        await self._changed(hearing_id)

    async def end_consultation(self, hearing_id: str, cid: str) -> list[str]:
        value = await self._t.pop(hearing_id, "consults", cid)
        if value:
            await self._changed(hearing_id)
        return list(value["members"]) if value else []

    async def consultation_of(self, hearing_id: str, identity: str) -> dict[str, Any] | None:
        consults = (await self._t.all(hearing_id, ("consults",)))["consults"]
        for cid, value in consults.items():
            if identity in value["members"]:
                return {"id": cid, "members": list(value["members"])}
        return None

    async def routing(self, hearing_id: str, *, fresh: bool = False) -> Routing:
        """What relaying an rtc message needs: members, their states, consultation rooms."""
        cached = None if fresh else self._routing.get(hearing_id)
        if cached is not None:
            return cached
        token = object()
        self._reading[hearing_id] = token
        t = await self._t.all(hearing_id, ("members", "states", "consults"))
        side = {i: cid for cid, v in t["consults"].items() for i in v["members"]}
        routing = Routing({k: Member(**v) for k, v in t["members"].items()},
                          {k: v["state"] for k, v in t["states"].items()}, side)
        if self._reading.get(hearing_id) is token:  # no change while we read
            del self._reading[hearing_id]
            self._routing[hearing_id] = routing
        return routing

    async def view(self, hearing_id: str) -> PresenceView:
        t = await self._t.all(hearing_id, ("members", "sids", "quality", "hands"))
        return PresenceView(
            members={k: Member(**v) for k, v in t["members"].items()},
            attachments=await self._live(hearing_id, t["sids"]),
            quality={k: Quality.from_json(v) for k, v in t["quality"].items()},
            hands=set(t["hands"]),
        )


@dataclass(frozen=True)
class Routing:
    members: dict[str, Member]
    states: dict[str, str]
    consultation: dict[str, str]  # identity -> consultation id


@dataclass(frozen=True)
class PresenceView:
    members: dict[str, Member]
    attachments: list[Attachment]
    quality: dict[str, Quality]
    hands: set[str]

    def online(self, identity: str) -> bool:
        return any(a.identity == identity and not a.held for a in self.attachments)
