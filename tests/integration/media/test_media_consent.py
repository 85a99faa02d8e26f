"""Consent freshness between two aioice connections over loopback: late answers (a loaded
machine) keep the connection, no answers for `EXPIRY` end it (issue 13.2: "Consent to
send expired" closed working recorder connections under load)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aioice import ice

from media import consent

LATE = 1.0  # s: later than aioice's single 0.5 s wait, within the retransmissions' 3.5 s


@pytest.fixture
async def pair(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Any, Any]]:
    monkeypatch.setattr(ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    # A MediaService opened by an earlier test installed the patient check process-wide:
    # whatever a test installs or removes is put back afterwards.
    monkeypatch.setattr(ice.Connection, "query_consent", ice.Connection.query_consent)
    monkeypatch.setattr(ice, "CONSENT_INTERVAL", 0.2)  # aioice's own, when it runs
    monkeypatch.setattr(consent, "CHECK_INTERVAL", 0.2)
    monkeypatch.setattr(consent, "EXPIRY", 2.0)
    a = ice.Connection(ice_controlling=True, components=1)
    b = ice.Connection(ice_controlling=False, components=1)
    try:
        await asyncio.gather(a.gather_candidates(), b.gather_candidates())
        for one, other in ((a, b), (b, a)):
            for candidate in other.local_candidates:
                await one.add_remote_candidate(candidate)
            await one.add_remote_candidate(None)
            one.remote_username, one.remote_password = other.local_username, other.local_password
        yield a, b
    finally:
        await asyncio.gather(a.close(), b.close())
        for connection in (a, b):
            waiting = _events.pop(id(connection), None)
            if waiting is not None:
                await waiting  # close() answers it
        consent.uninstall()


async def connect(a: Any, b: Any) -> None:
    await asyncio.wait_for(asyncio.gather(a.connect(), b.connect()), 10)


def answer_late(connection: Any) -> None:
    loop = asyncio.get_running_loop()
    for protocol in connection._protocols:
        send = protocol.send_stun
        protocol.send_stun = lambda message, addr, send=send: loop.call_later(
            LATE, send, message, addr)


def answer_nothing(connection: Any) -> None:
    for protocol in connection._protocols:
        protocol.datagram_received = lambda data, addr: None


_events: dict[int, asyncio.Task[Any]] = {}


async def closed(connection: Any, within: float) -> bool:
    """Whether `connection` reports ConnectionClosed within `within` seconds (aioice's
    `get_event` may be awaited only once at a time: one waiting task per connection)."""
    task = _events.setdefault(id(connection), asyncio.ensure_future(connection.get_event()))
    done, _ = await asyncio.wait({task}, timeout=within)
    if not done:
        return False
    del _events[id(connection)]
    return isinstance(task.result(), ice.ConnectionClosed)


async def test_aioice_alone_closes_a_connection_whose_answers_are_late(
        pair: tuple[Any, Any]) -> None:
    consent.uninstall()
    a, b = pair
    await connect(a, b)
    answer_late(b)
    assert await closed(a, 20)  # six checks of 0.5 s each unanswered in time


async def test_late_answers_keep_the_connection_and_none_end_it(pair: tuple[Any, Any]) -> None:
    consent.install()
    consent.install()  # idempotent
    a, b = pair
    await connect(a, b)
    answer_late(b)
    # Ten checks' worth, each answered late: aioice's own would have closed it by now.
    assert not await closed(a, 10 * consent.CHECK_INTERVAL + 2 * LATE + consent.EXPIRY)
    answer_nothing(b)
    assert await closed(a, consent.EXPIRY + 10)
