"""Events reach the bus only after the unit of work committed, and only then."""

from __future__ import annotations

import pytest

from hearings.adapters.database import Database
from hearings.adapters.unit_of_work import SqlUnitOfWork
from hearings.domain.commands import ChangeHearing
from hearings.domain.errors import IllegalTransition
from hearings.domain.events import Event, HearingChanged, RecordingChanged
from hearings.services.bus import Bus
from tests.conftest import AUDIT_KEY
from tests.factories import make_trial
from web.app.bootstrap import Services


async def test_only_committed_events_are_published_and_after_the_unit(
        services: Services, database: Database) -> None:
    bus, heard = Bus(), []
    ended: list[bool] = []

    async def listen(event: Event) -> None:
        heard.append(event)
        # The unit of work has ended: the subscriber may open its own at once.
        async with SqlUnitOfWork(database, AUDIT_KEY) as uow:
            ended.append((await uow.hearings.get(event.hearing_id)).id == event.hearing_id)

    bus.subscribe(HearingChanged, listen)
    trial = await make_trial(services)
    event = HearingChanged(trial.hearing.id, "open_doors", trial.hearing.state,
                           trial.hearing.recording_state, "", "trial", None, "n", "a")
    async with SqlUnitOfWork(database, AUDIT_KEY, bus) as uow:
        uow.record(event)
        assert heard == []
    assert heard == []  # never committed: rolled back, never heard of
    with pytest.raises(RuntimeError):
        async with SqlUnitOfWork(database, AUDIT_KEY, bus) as uow:
            uow.record(event)
            await uow.commit()
            assert heard == []  # not before the unit of work ends
            raise RuntimeError("after the commit")
    assert heard == [event] and ended == [True]  # committed is committed


async def test_the_services_record_hearing_and_recording_changes(services: Services) -> None:
    trial = await make_trial(services)
    heard: list[Event] = []

    async def listen(event: Event) -> None:
        heard.append(event)

    services.bus.subscribe(HearingChanged, listen)
    services.bus.subscribe(RecordingChanged, listen)
    judge = trial.judge_actor
    await services.control.change_hearing(judge, ChangeHearing(trial.hearing.id, "open_doors"))
    await services.control.change_hearing(judge, ChangeHearing(trial.hearing.id, "start"))
    with pytest.raises(IllegalTransition):
        await services.control.change_hearing(judge, ChangeHearing(trial.hearing.id, "start"))
    assert [(e.event_type, getattr(e, "action", None) or e.state.value) for e in heard] == [
        ("hearing.changed", "open_doors"), ("recording.changed", "recording"),
        ("hearing.changed", "start")]
    assert isinstance(heard[-1], HearingChanged) and heard[-1].by == trial.judge.display_name
