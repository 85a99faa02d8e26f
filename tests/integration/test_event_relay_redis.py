"""The bus across processes over the real Redis: two relays stand for two processes."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator

import pytest
from redis import asyncio as aioredis

from hearings.domain.events import Event, HearingChanged, envelope
from hearings.domain.states import HearingState, RecordingState
from hearings.services.bus import Bus
from tests.conftest import REDIS_URL, unavailable
from web.bridges.event_relay import RedisRelay

pytestmark = pytest.mark.redis


def closed(hid: str) -> HearingChanged:
    return HearingChanged(hid, "close", HearingState.CLOSED, RecordingState.PROCESSING,
                          "张某盗窃案公开开庭审理", "trial", None, "审判员李明", "staff:u1")


@pytest.fixture
async def channel() -> AsyncIterator[str]:
    probe = aioredis.Redis.from_url(REDIS_URL)
    try:
        await probe.ping()
    except Exception as exc:
        unavailable("Redis", str(exc))
    finally:
        await probe.aclose()
    yield f"yt:events:test:{secrets.token_hex(4)}"


async def test_an_event_reaches_the_other_process_s_everywhere_subscribers_once(
        channel: str, caplog: pytest.LogCaptureFixture) -> None:
    here, there = Bus(), Bus()
    heard: dict[str, list[Event]] = {"here": [], "there": [], "there-local": []}
    arrived = asyncio.Event()

    def listener(name: str):  # type: ignore[no-untyped-def]
        async def listen(event: HearingChanged) -> None:
            heard[name].append(event)
            if name == "there":
                arrived.set()
        return listen

    here.subscribe(HearingChanged, listener("here"), everywhere=True)
    there.subscribe(HearingChanged, listener("there"), everywhere=True)
    there.subscribe(HearingChanged, listener("there-local"))  # e.g. the room push
    relays = [RedisRelay(REDIS_URL, here, channel=channel),
              RedisRelay(REDIS_URL, there, channel=channel)]
    for relay in relays:
        await relay.start()
    sender = aioredis.Redis.from_url(REDIS_URL)
    try:
        with caplog.at_level(logging.WARNING, "yunting.bus"):
            # Not ours: pickle-ish bytes, another version — logged and dropped.
            await sender.publish(channel, b"\x80\x04\x95")
            await sender.publish(channel, json.dumps(envelope(closed("h0")) | {"v": 9}))
            await here.publish([closed("h1")])
            await asyncio.wait_for(arrived.wait(), 5)
        assert [e.hearing_id for e in heard["there"]] == ["h1"]
        assert heard["there"][0] == closed("h1")
        assert heard["there-local"] == []  # the room was told by the process that closed it
        assert [e.hearing_id for e in heard["here"]] == ["h1"]  # not again from Redis
        assert caplog.text.count("not an event") == 4  # each process drops both
    finally:
        await sender.aclose()
        for relay in relays:
            await relay.close()
    assert here.outbound is None


async def test_without_redis_the_change_still_commits_and_is_heard_here(
        caplog: pytest.LogCaptureFixture) -> None:
    bus, heard = Bus(), []

    async def listen(event: HearingChanged) -> None:
        heard.append(event)

    bus.subscribe(HearingChanged, listen)

    async def unreachable(events: list[Event]) -> None:
        raise ConnectionError("Redis is down")

    bus.outbound = unreachable
    with caplog.at_level(logging.ERROR, "yunting.bus"):
        await bus.publish([closed("h2")])
    assert heard == [closed("h2")] and "not sent to the other processes" in caplog.text
