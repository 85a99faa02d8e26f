"""The cached routing, the in-process quality keeper, and which channel a room goes on."""

from __future__ import annotations

import asyncio

from signaling.hub import QualityKeeper, rooms
from signaling.manager import hearing_of_room
from signaling.presence import LocalTables, Member, Presence
from signaling.quality import Level, Quality

LAWYER = Member("p-lawyer", "律师赵敏", "defence_lawyer", "p-lawyer", False, False)


def test_every_hearing_room_names_its_hearing() -> None:
    hid = "0f3c9a"
    for room in (rooms.everyone(hid), rooms.inside(hid), rooms.staff(hid),
                 rooms.person(hid, "p1"), rooms.consultation(hid, "c1"),
                 rooms.consulting(hid), rooms.reach(hid, "in", "p1"),
                 rooms.reach(hid, "c1", "staff:u1")):
        assert hearing_of_room(room) == hid, room
    # A sid, a court room, the broadcast: the shared channel.
    for room in ("AbCdEf0123456789-_xy", "court:c1", None, ["h:1", "h:2"]):
        assert hearing_of_room(room) is None


class CountingTables(LocalTables):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.writes: list[str] = []

    async def all(self, hearing_id: str, tables: tuple[str, ...]
                  ) -> dict[str, dict[str, dict[str, object]]]:
        self.reads += 1
        await asyncio.sleep(0)
        return await super().all(hearing_id, tables)  # type: ignore[return-value]

    async def put(self, hearing_id: str, table: str, key: str, value: dict[str, object]
                  ) -> None:
        self.writes.append(table)
        await super().put(hearing_id, table, key, value)


async def test_routing_is_read_once_until_it_changes() -> None:
    tables = CountingTables()
    told: list[str] = []

    async def tell(hid: str) -> None:
        told.append(hid)

    presence = Presence(tables)
    presence.on_routing_change = tell
    await presence.attach("h1", LAWYER, "sid-1", held=False)
    await presence.set_state("h1", LAWYER.identity, "in_hearing")
    assert told == ["h1", "h1"]
    first = await presence.routing("h1")
    for _ in range(5):
        assert await presence.routing("h1") is first
    assert tables.reads == 1
    await presence.put_consultation("h1", "c1", [LAWYER.identity])
    assert (await presence.routing("h1")).consultation == {LAWYER.identity: "c1"}
    assert tables.reads == 2 and told[-1] == "h1"
    # News from another process drops the copy too.
    presence.invalidate("h1")
    await presence.routing("h1")
    assert tables.reads == 3


async def test_a_read_that_raced_with_a_change_is_not_kept() -> None:
    presence = Presence(CountingTables())
    await presence.set_state("h1", LAWYER.identity, "waiting")
    reading = asyncio.ensure_future(presence.routing("h1"))
    await asyncio.sleep(0)  # the read is in flight
    await presence.set_state("h1", LAWYER.identity, "in_hearing")
    await reading
    assert (await presence.routing("h1")).states[LAWYER.identity] == "in_hearing"


def q(level: Level, loss: float, at: float) -> Quality:
    return Quality(level, loss, 40.0, 800.0, at)


async def test_quality_is_shown_on_a_change_of_class_and_written_in_batches() -> None:
    tables = CountingTables()
    keeper = QualityKeeper(Presence(tables), refresh_s=30.0)
    assert await keeper.beat("h1", "p1", q(Level.GOOD, 1.0, 100.0))  # first: shown
    assert not await keeper.beat("h1", "p1", q(Level.GOOD, 2.0, 110.0))  # same class
    assert await keeper.beat("h1", "p2", q(Level.GOOD, 0.0, 110.0))
    assert not await keeper.beat("h1", "p1", q(Level.GOOD, 3.0, 120.0))
    assert tables.writes == []  # nothing written per heartbeat
    assert await keeper.flush() == 2  # the latest of each, in one write
    view = await Presence(tables).view("h1")
    assert view.quality["p1"].loss_pct == 3.0 and view.quality["p2"].loss_pct == 0.0
    assert await keeper.flush() == 0
    assert await keeper.beat("h1", "p1", q(Level.POOR, 12.0, 125.0))  # class changed
    assert not await keeper.beat("h1", "p1", q(Level.POOR, 13.0, 150.0))
    assert await keeper.beat("h1", "p1", q(Level.POOR, 12.0, 160.0))  # refresh due
    assert keeper.of("h1")["p1"].at == 160.0
    await keeper.forget("h1", "p1")
    assert keeper.of("h1") == {"p2": q(Level.GOOD, 0.0, 110.0)}
    assert await keeper.flush() == 0
    assert "p1" not in (await Presence(tables).view("h1")).quality
