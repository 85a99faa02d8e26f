"""The outbox is sent once across processes: each sender claims the rows it sends (a lease),
and a crashed sender's rows are taken again once its lease has run out."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from hearings.adapters.database import Database
from hearings.domain.identity import utcnow
from hearings.services.notifications import Notification, Outbox
from tests.factories import make_trial
from tests.wiring import settle, wire
from web.app.bootstrap import Services


class SlowGateway:
    """A gateway that takes a moment per notification and counts what it was sent."""

    channel = "sms"

    def __init__(self, counter: Counter[str]) -> None:
        self.counter = counter

    async def send(self, notification: Notification) -> None:
        await asyncio.sleep(0.01)
        self.counter[notification.id] += 1


async def add_notifications(services: Services, n: int) -> list[str]:
    trial = await make_trial(services)
    notes = [Notification(trial.hearing.id, trial.people["witness"].id, "刘大山", "通知",
                          f"第{i}条") for i in range(n)]
    async with services.uow() as uow:
        for note in notes:
            uow.outbox.add(note)
        await uow.commit()
    return [note.id for note in notes]


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgres"], indirect=True)  # concurrent writers
async def test_two_concurrent_senders_send_each_notification_once(
        services: Services, database: Database) -> None:
    assert database.engine.dialect.name == "postgresql"
    ids = await add_notifications(services, 60)
    other = Database(database.url)  # a second engine: another process's pool
    try:
        counter: Counter[str] = Counter()
        senders = [Outbox(services.uow, SlowGateway(counter)),
                   Outbox(wire(other).uow, SlowGateway(counter))]

        async def drain(outbox: Outbox) -> int:
            total = 0
            while True:
                sent = await outbox.dispatch(limit=7)
                if not sent:
                    return total
                total += sent

        totals = await asyncio.gather(*(drain(o) for o in senders))
        assert sum(totals) == len(ids)
        assert all(totals), totals  # both took part
        assert set(counter) == set(ids)
        assert [i for i, n in counter.items() if n != 1] == []
        async with services.uow() as uow:
            rows = await uow.outbox.claimed("nobody", ids)
            assert rows == []
            left = await uow.outbox.unsent(100)
        assert left == []
    finally:
        await settle()
        await other.dispose()


async def test_a_crashed_senders_claim_expires(services: Services) -> None:
    ids = await add_notifications(services, 3)
    async with services.uow() as uow:  # a sender claims, then dies before sending
        taken = await uow.outbox.claim("crashed", utcnow() + timedelta(minutes=5), 2)
        await uow.commit()
    assert len(taken) == 2
    counter: Counter[str] = Counter()
    outbox = Outbox(services.uow, SlowGateway(counter))
    assert await outbox.dispatch() == 1  # only the one nobody holds
    assert set(counter) == set(ids) - {n.id for n in taken}

    async with services.uow() as uow:  # the crashed sender's lease runs out
        for note in await uow.outbox.claimed("crashed", ids):
            note.claimed_until = utcnow() - timedelta(seconds=1)
        await uow.commit()
    assert await outbox.dispatch() == 2
    assert sorted(counter) == sorted(ids) and set(counter.values()) == {1}
    async with services.uow() as uow:
        assert await uow.outbox.unsent(10) == []
