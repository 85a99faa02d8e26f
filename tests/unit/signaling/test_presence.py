"""Presence behaves the same in-process and on the real Redis (JSON values only)."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator

import pytest

from signaling.presence import LocalTables, Member, Presence, RedisTables
from signaling.quality import Level, Quality
from tests.conftest import REDIS_URL, unavailable

JUDGE = Member("p-judge", "审判员李明", "judge", "p-judge", True, False)
LAWYER = Member("p-lawyer", "律师赵敏", "defence_lawyer", "p-lawyer", False, False)


@pytest.fixture(params=["local", pytest.param("redis", marks=pytest.mark.redis)])
async def presence(request: pytest.FixtureRequest) -> AsyncIterator[Presence]:
    if request.param == "local":
        p = Presence(LocalTables())
    else:
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        probe = aioredis.Redis.from_url(REDIS_URL)
        try:
            await probe.ping()
        except (RedisError, OSError) as exc:
            unavailable("Redis", str(exc))
        finally:
            await probe.aclose()
        p = Presence(RedisTables(REDIS_URL, prefix=f"test:{secrets.token_hex(4)}"))
    yield p
    await p.close()


async def test_attach_detach_and_view(presence: Presence) -> None:
    await presence.attach("h1", JUDGE, "sid-a", held=False)
    await presence.attach("h1", LAWYER, "sid-b", held=False)
    await presence.attach("h1", LAWYER, "sid-c", held=True)
    view = await presence.view("h1")
    assert set(view.members) == {"p-judge", "p-lawyer"}
    assert view.members["p-judge"] == JUDGE
    assert {a.sid for a in await presence.attachments("h1", "p-lawyer")} == {"sid-b", "sid-c"}
    await presence.detach("h1", "sid-b")
    assert not (await presence.view("h1")).online("p-lawyer")  # only a held one left
    assert (await presence.view("h2")).members == {}


async def test_quality_hands_states(presence: Presence) -> None:
    await presence.attach("h1", LAWYER, "sid-b", held=False)
    await presence.set_quality("h1", "p-lawyer", Quality(Level.POOR, 12.0, 90.0, 250.0, 1.0))
    await presence.set_hand("h1", "p-lawyer", True)
    await presence.set_state("h1", "p-lawyer", "in_hearing")
    view = await presence.view("h1")
    assert view.quality["p-lawyer"].level is Level.POOR and view.hands == {"p-lawyer"}
    assert (await presence.routing("h1")).states == {"p-lawyer": "in_hearing"}
    await presence.forget("h1", "p-lawyer")
    view = await presence.view("h1")
    assert view.quality == {} and view.hands == set() and view.members == {}


async def test_request_is_taken_once(presence: Presence) -> None:
    await presence.put_request("h1", "r1", {"from": "a", "to": "b"})
    assert await presence.take_request("h1", "r1") == {"from": "a", "to": "b"}
    assert await presence.take_request("h1", "r1") is None


async def test_consultations(presence: Presence) -> None:
    await presence.put_consultation("h1", "c1", ["a", "b"])
    assert await presence.consultation_of("h1", "b") == {"id": "c1", "members": ["a", "b"]}
    assert (await presence.routing("h1")).consultation == {"a": "c1", "b": "c1"}
    assert await presence.end_consultation("h1", "c1") == ["a", "b"]
    assert await presence.end_consultation("h1", "c1") == []


@pytest.mark.redis
async def test_redis_holds_json_not_pickle() -> None:
    import redis.asyncio as aioredis

    prefix = f"test:{secrets.token_hex(4)}"
    p = Presence(RedisTables(REDIS_URL, prefix=prefix))
    raw = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        try:
            await raw.ping()
        except OSError as exc:
            unavailable("Redis", str(exc))
        await p.attach("h1", JUDGE, "sid-a", held=False)
        stored = await raw.hget(f"{prefix}:h1:members", "p-judge")
        assert json.loads(stored)["name"] == "审判员李明"
        assert await raw.ttl(f"{prefix}:h1:members") > 0
    finally:
        await p.close()
        await raw.aclose()
