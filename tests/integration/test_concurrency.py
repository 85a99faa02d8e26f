"""Concurrent commands stay legal on SQLite and PostgreSQL; every collision is a 409.

On PostgreSQL the commands go through two engines, as two `yunting serve` processes
would (one pool each, no shared in-process lock).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from hearings.domain.actors import SYSTEM, Actor
from hearings.domain.audit import verify_chain
from hearings.domain.cases import Case, CaseType
from hearings.domain.commands import ChangeHearing, ChangeParticipant, CreateCourt, OpenCase
from hearings.domain.errors import ConcurrentChange, Conflict, IllegalTransition
from hearings.domain.hearing import Hearing
from hearings.domain.participants import Role
from hearings.domain.states import HEARING, PARTICIPANT, HearingState, ParticipantState
from tests.conftest import AUDIT_KEY
from tests.factories import make_trial
from tests.wiring import settle, wire
from web.app.application import create_app
from web.app.bootstrap import Services
from web.settings import Secret, Settings

Client = TestClient[Any, Any]
T = TypeVar("T")


@asynccontextmanager
async def another_engine(services: Services) -> AsyncIterator[Services]:
    """A second engine on the same database (on SQLite too: its own writer lock)."""
    other = Database(services.database.url)
    try:
        yield wire(other)
    finally:
        await settle()  # a freeze begun at a close, before the engine goes
        await other.dispose()


@asynccontextmanager
async def two_processes(services: Services) -> AsyncIterator[tuple[Services, Services]]:
    """The services of this test and of a second "process" with an engine of its own.

    SQLite is the one-process embedded default: its units of work take turns on the
    process's lock, so both halves share the one database object there.
    """
    if services.database.is_sqlite:
        yield services, services
        return
    other = Database(services.database.url)
    try:
        yield services, wire(other)
    finally:
        await settle()  # a freeze begun at a close, before the engine goes
        await other.dispose()


async def at_most(n: int, calls: Sequence[Callable[[], Awaitable[T]]]
                  ) -> list[T | BaseException]:
    gate = asyncio.Semaphore(n)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(c) for c in calls), return_exceptions=True)


def unexpected(results: Sequence[object], *allowed: type) -> list[object]:
    return [r for r in results if isinstance(r, BaseException) and not isinstance(r, allowed)]


async def test_fifty_concurrent_transitions_leave_only_legal_ones_in_the_audit_log(
    services: Services,
) -> None:
    trial = await make_trial(services)
    hid, judge = trial.hearing.id, trial.judge_actor
    await services.control.change_hearing(trial.clerk_actor, ChangeHearing(hid, "open_doors"))
    await services.control.change_hearing(judge, ChangeHearing(hid, "start"))
    async with two_processes(services) as (one, two):
        calls = [
            (lambda ctl=(one, two)[(i // 2) % 2].control, action=("pause", "resume")[i % 2]:
             ctl.change_hearing(judge, ChangeHearing(hid, action)))
            for i in range(50)
        ]
        results = await asyncio.gather(*(c() for c in calls), return_exceptions=True)
    # A caller either moved the hearing, or was told the hearing moved under it (a
    # conflict), or that its action was not legal in the state it found.
    assert unexpected(results, Conflict, IllegalTransition) == []
    moved = [r for r in results if isinstance(r, Hearing)]
    assert moved, "at least one command went through"

    async with services.uow() as uow:
        entries = await uow.audit.entries(hid)
        everything = await uow.audit.entries()
        stored = await uow.hearings.get(hid)
    state = HearingState.SCHEDULED
    transitions = [e for e in entries
                   if e.action.startswith("hearing.") and e.action != "hearing.scheduled"
                   and e.action[len("hearing."):] in HEARING.actions()]
    for entry in transitions:  # raises IllegalTransition at the first illegal one
        state = HEARING.next(state, entry.action.removeprefix("hearing."))
        assert entry.payload["state"] == state.value, entry
    assert len(transitions) == 2 + len(moved)  # open_doors, start, then one per success
    assert stored.state is state
    assert verify_chain(everything, AUDIT_KEY).ok


async def test_a_stale_write_is_a_conflict_and_takes_its_audit_entry_back(
    services: Services,
) -> None:
    """Read, another process commits, write: the unit of work fails whole as a Conflict."""
    trial = await make_trial(services)
    hid, judge = trial.hearing.id, trial.judge_actor
    await services.control.change_hearing(trial.clerk_actor, ChangeHearing(hid, "open_doors"))
    await services.control.change_hearing(judge, ChangeHearing(hid, "start"))
    async with another_engine(services) as other:
        with pytest.raises(ConcurrentChange) as err:
            async with services.uow() as uow:
                hearing = await uow.hearings.get(hid)  # in session, as read
                await other.control.change_hearing(judge, ChangeHearing(hid, "pause"))
                hearing.apply("pause")  # legal from what this unit of work read
                await uow.audit.append(judge.label, "hearing.pause", hid, {"state": "paused"})
                await uow.commit()
    assert err.value.message == "the hearing was changed by someone else meanwhile; reload and retry"
    async with services.uow() as uow:
        pauses = [e for e in await uow.audit.entries(hid) if e.action == "hearing.pause"]
        assert (await uow.hearings.get(hid)).state is HearingState.PAUSED
    assert len(pauses) == 1


async def test_an_invitation_racing_the_close_is_refused_not_seated_in_a_closed_hearing(
    services: Services,
) -> None:
    """A new participant changes the hearing aggregate: it counts the hearing's version too."""
    trial = await make_trial(services)
    hid, judge = trial.hearing.id, trial.judge_actor
    await services.control.change_hearing(trial.clerk_actor, ChangeHearing(hid, "open_doors"))
    async with another_engine(services) as other:
        with pytest.raises(ConcurrentChange):
            async with services.uow() as uow:
                hearing = await uow.hearings.get(hid)  # waiting, as read
                await other.control.change_hearing(judge, ChangeHearing(hid, "close"))
                hearing.invite("证人王某", Role.WITNESS)  # legal in the hearing as read
                await uow.audit.append("staff:test", "participant.invited", hid, {})
                await uow.commit()
    async with services.uow() as uow:
        hearing = await uow.hearings.get(hid)
    assert hearing.state is HearingState.CLOSED
    assert "证人王某" not in [p.name for p in hearing.participants]


async def test_a_duplicate_at_the_audit_appends_flush_is_a_conflict_naming_it(
    services: Services,
) -> None:
    trial = await make_trial(services)
    with pytest.raises(Conflict) as err:
        async with services.uow() as uow:
            uow.cases.add(Case(court_id=trial.court.id, number=trial.case.number,
                               case_type=CaseType.CRIMINAL, title="重复立案"))
            await uow.audit.append("staff:test", "case.opened", None, {})
            await uow.commit()
    assert err.value.message == f"case {trial.case.number} exists already"
    assert not isinstance(err.value, ConcurrentChange)  # a duplicate stays one on retry
    async with services.uow() as uow:
        assert [e for e in await uow.audit.entries() if e.actor == "staff:test"] == []


async def test_concurrent_participant_changes_stay_legal(services: Services) -> None:
    """Admit, send back and remove racing on one participant: the audit log replays."""
    trial = await make_trial(services)
    hid, judge = trial.hearing.id, trial.judge_actor
    witness = trial.people["witness"]
    me = Actor.participant(witness.id, witness.name, hid, witness.role)
    for action in ("connect", "enter_lobby"):
        await services.control.change_participant(me, ChangeParticipant(hid, witness.id, action))
    async with two_processes(services) as (one, two):
        results = await asyncio.gather(*(
            (one, two)[i % 2].control.change_participant(
                judge, ChangeParticipant(hid, witness.id, ("admit", "send_back")[i % 2]))
            for i in range(30)), return_exceptions=True)
    assert unexpected(results, Conflict, IllegalTransition) == []
    async with services.uow() as uow:
        entries = [e for e in await uow.audit.entries(hid)
                   if e.payload.get("participant_id") == witness.id
                   and e.action.startswith("participant.")
                   and e.action != "participant.invited"]
        stored = (await uow.hearings.get(hid)).participant(witness.id)
    state = ParticipantState.INVITED
    for entry in entries:
        state = PARTICIPANT.next(state, entry.action.removeprefix("participant."))
        assert entry.payload["state"] == state.value, entry
    assert stored.state is state


async def test_forty_allotted_case_numbers_eight_at_a_time_are_distinct(
    services: Services,
) -> None:
    trial = await make_trial(services)
    clerk = trial.clerk_actor
    async with two_processes(services) as (one, two):
        results = await at_most(8, [
            (lambda sch=(one, two)[i % 2].scheduling, i=i: sch.open_case(clerk, OpenCase(
                trial.court.id, "civil", f"买卖合同纠纷{i}", procedure="民初",  # type: ignore[arg-type]
                year=2026)))
            for i in range(40)])
    assert unexpected(results, Conflict) == []
    numbers = [r.number for r in results if not isinstance(r, BaseException)]
    assert len(numbers) == len(set(numbers)) and numbers
    async with services.uow() as uow:
        last = await uow.cases.last_sequence(trial.court.code, 2026, "民初")
    assert last == len(numbers)


async def test_a_duplicate_court_code_raced_in_is_a_conflict_naming_it(
    services: Services,
) -> None:
    """Both writers checked `by_code` before either committed: the unique index decides."""
    async with two_processes(services) as (one, two):
        results = await asyncio.gather(*(
            (one, two)[i % 2].scheduling.create_court(SYSTEM, CreateCourt(f"某法院{i}", "渝0999"))
            for i in range(8)), return_exceptions=True)
    assert unexpected(results, Conflict) == []
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    for refused in (r for r in results if isinstance(r, Conflict)):
        assert "渝0999" in refused.message, refused.message


@pytest.fixture
async def http_clients(
    services: Services, tmp_path: Any, aiohttp_client: Callable[..., Awaitable[Client]],
) -> AsyncIterator[list[Client]]:
    async with two_processes(services) as (one, two):
        clients = []
        for n, side in enumerate((one, two)):
            settings = Settings(data_dir=tmp_path / f"process{n}",
                                audit_key=Secret(AUDIT_KEY.decode()))
            clients.append(await aiohttp_client(create_app(settings, database=side.database)))
        yield clients


async def test_forty_cases_opened_over_http_eight_at_a_time_answer_no_5xx(
    services: Services, http_clients: list[Client],
) -> None:
    trial = await make_trial(services)
    headers = []
    for client in http_clients:
        r = await client.post("/api/session", json={"username": trial.clerk.username,
                                                    "password": "clerk-password-1"})
        assert r.status == 200, await r.text()
        headers.append({"X-CSRF-Token": (await r.json())["csrf_token"]})

    async def open_one(i: int) -> tuple[int, dict[str, Any]]:
        client = http_clients[i % 2]
        r = await client.post("/api/cases", headers=headers[i % 2], json={
            "court_id": trial.court.id, "case_type": "civil", "title": f"借款合同纠纷{i}",
            "procedure": "民初", "year": 2026})
        return r.status, await r.json()

    results = await at_most(8, [lambda i=i: open_one(i) for i in range(40)])
    assert unexpected(results) == []
    answers = [r for r in results if not isinstance(r, BaseException)]
    assert [a for a in answers if a[0] not in (201, 409)] == []
    assert all(body["error"]["code"] == "conflict" for status, body in answers if status == 409)
    numbers = [body["number"] for status, body in answers if status == 201]
    assert len(numbers) == len(set(numbers)) and numbers


async def test_arrivals_and_departures_the_system_observes_are_never_refused(
    services: Services,
) -> None:
    """A flapping connection's arrive/depart race across two processes: the system has
    nobody to answer 409 to, so each is read and tried again (hearings/services/retry.py) — none is
    refused, and the audit log replays."""
    from hearings.services.room import Room

    trial = await make_trial(services)
    hid, party = trial.hearing.id, trial.people["lawyer"]
    me = Actor.participant(party.id, party.name, hid, party.role)
    async with two_processes(services) as (one, two):
        rooms = (Room(one.uow), Room(two.uow))
        results = await asyncio.gather(*(
            rooms[i % 2].arrive(me, hid, party.id) if i % 4 < 2
            else rooms[i % 2].depart(hid, party.id) for i in range(24)),
            return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    async with services.uow() as uow:
        entries = [e for e in await uow.audit.entries(hid)
                   if e.payload.get("participant_id") == party.id
                   and e.action.startswith("participant.")
                   and e.action != "participant.invited"]
        stored = (await uow.hearings.get(hid)).participant(party.id)
    # A retried command re-decides: an arrival finding them in already writes nothing, as
    # does a departure finding them gone. The last entry written is where they are.
    assert entries and entries[-1].payload["state"] == stored.state.value
