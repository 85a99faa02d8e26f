"""Presence belongs to a live process: on the real Redis, entries of a process that
stopped heartbeating are ignored and deleted; a restarted process inherits nothing."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from signaling.presence import Member, Presence, RedisTables
from tests.conftest import REDIS_URL, unavailable

pytestmark = pytest.mark.redis
JUDGE = Member("p-judge", "审判员李明", "judge", "p-judge", True, False)


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    import redis.asyncio as aioredis

    probe = aioredis.Redis.from_url(REDIS_URL)
    try:
        await probe.ping()
    except OSError as exc:
        unavailable("Redis", str(exc))
    finally:
        await probe.aclose()
    yield f"test:{secrets.token_hex(4)}"


async def test_a_silent_process_entries_vanish(prefix: str) -> None:
    old = Presence(RedisTables(REDIS_URL, prefix=prefix))
    other = Presence(RedisTables(REDIS_URL, prefix=prefix))
    try:
        assert not await old.beat(0.5)  # first beat: the store did not know it
        assert await old.beat(0.5)
        await old.attach("h1", JUDGE, "sid-old", held=False)
        assert [a.sid for a in await other.attachments("h1", "p-judge")] == ["sid-old"]
        await asyncio.sleep(0.7)  # the old process stops beating: its key expires
        assert await other.attachments("h1", "p-judge") == []
        assert (await other.view("h1")).attachments == []
        # Deleted, not only hidden: beating again does not bring it back.
        await old.beat(5)
        assert await other.attachments("h1") == []
    finally:
        await old.close()
        await other.close()


async def test_a_restarted_process_has_a_new_id(prefix: str) -> None:
    first = Presence(RedisTables(REDIS_URL, prefix=prefix))
    second = Presence(RedisTables(REDIS_URL, prefix=prefix))
    try:
        assert first.process != second.process
        await first.attach("h1", JUDGE, "sid-a", held=False)
        # `second` never heard `first` beat: its entries do not count as a live connection.
        assert await second.attachments("h1") == []
    finally:
        await first.close()
        await second.close()
