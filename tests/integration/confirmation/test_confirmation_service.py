"""The confirmation flow's service handlers over the real database (SQLite and PostgreSQL):
the happy path's bookkeeping and every edge case of issue 7, item 6."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from hearings.domain.actors import Actor
from hearings.domain.commands import ChangeHearing
from hearings.domain.confirmation import ApplicationState
from hearings.domain.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from hearings.domain.participants import Role
from hearings.domain.states import DocumentState, MediationState, ParticipantState
from hearings.services.notifications import Backoff, Notification, Outbox
from tests.factories import make_mediation
from tests.integration.confirmation.conftest import (
    CAPTURE,
    TERMS,
    World,
    open_room,
    signed,
)


async def test_the_whole_flow_records_every_timing_and_delivery(world: World) -> None:
    scene = await make_mediation(world.services)
    await open_room(world, scene)
    await signed(world, scene)
    app = await world.confirmations.apply(scene.mediator_actor, scene.hearing.id)
    assert "民特1号" in app.case_number
    assert world.events.named("duty.application")[0]["id"] == app.id
    taken = await world.confirmations.take(scene.judge(0), app.id)
    assert taken.taken_by == scene.judges[0].id
    view = await world.mediations.view(scene.mediator_actor, scene.hearing.id)
    seat = next(p for p in view.hearing.participants if p.role is Role.JUDGE)
    await world.room.arrive(scene.judge(0), scene.hearing.id, seat.id)
    decided = await world.confirmations.decide(scene.judge(0), app.id, "confirm", [], "")
    final = decided.application
    assert final.state is ApplicationState.DECIDED and final.decision == "confirmed"
    timings = final.timings()
    assert all(timings[k] for k in ("applied", "taken", "judge_joined", "decided", "delivered"))
    assert final.decide_to_delivered_ms is not None and final.decide_to_delivered_ms >= 0
    assert decided.ruling.state is DocumentState.DELIVERED
    delivered = world.events.named("document.delivered")
    assert delivered[0]["document_id"] == decided.ruling.id
    view = await world.mediations.view(scene.party(0), scene.hearing.id)
    assert view.state is MediationState.CONFIRMED
    assert view.as_json()["ruling"]["decision"] == "confirmed"
    async with world.uow() as uow:
        deliveries = await uow.deliveries.of_document(decided.ruling.id)
        outbox = await uow.outbox.of_hearing(scene.hearing.id)
        audit = [e.action for e in await uow.audit.entries(scene.hearing.id)]
    # Mediator, both parties and the judge were in the room: four pushed deliveries.
    assert {d.recipient for d in deliveries} == {scene.mediator_seat.id, seat.id,
                                                 *(p.id for p in scene.parties)}
    assert outbox == []
    for action in ("application.filed", "application.taken", "application.judge_joined",
                   "application.decided", "document.delivered"):
        assert action in audit
    stats = await world.duty.stats(Actor.staff(scene.clerk))
    assert stats["count"] == 1 and stats["median_decide_to_delivery_ms"] is not None


async def test_a_party_refuses_to_sign(world: World) -> None:
    scene = await make_mediation(world.services)
    hid = scene.hearing.id
    await world.mediations.draft(scene.mediator_actor, hid, "事实", TERMS)  # type: ignore[arg-type]
    await world.mediations.start_signing(scene.mediator_actor, hid)
    await world.mediations.sign(scene.party(0), hid, "party1", CAPTURE)
    with pytest.raises(PermissionDenied):  # nobody signs someone else's field
        await world.mediations.sign(scene.party(0), hid, "party2", CAPTURE)
    view = await world.mediations.refuse(scene.party(1), hid, "赔偿金额太低")
    assert view.state is MediationState.AGREEMENT_DRAFTED and view.as_json()["signing"] is None
    with pytest.raises(IllegalTransition):
        await world.mediations.sign(scene.party(1), hid, "party2", CAPTURE)
    with pytest.raises(IllegalTransition):
        await world.confirmations.apply(scene.mediator_actor, hid)
    # Redrafted and signed afresh: a new document, signatures from the start.
    await signed(world, scene)
    view = await world.mediations.view(scene.mediator_actor, hid)
    assert view.state is MediationState.SIGNED
    async with world.uow() as uow:
        audit = await uow.audit.entries(hid)
    refusal = next(e for e in audit if e.action == "mediation.refused")
    assert refusal.payload["reason"] == "赔偿金额太低"


async def test_signing_out_of_order_is_a_conflict(world: World) -> None:
    scene = await make_mediation(world.services)
    hid = scene.hearing.id
    await world.mediations.draft(scene.mediator_actor, hid, "事实", TERMS)  # type: ignore[arg-type]
    await world.mediations.start_signing(scene.mediator_actor, hid)
    with pytest.raises(Conflict, match="party1"):
        await world.mediations.sign(scene.mediator_actor, hid, "mediator", None)
    with pytest.raises(InvalidInput, match="capture"):
        await world.mediations.sign(scene.party(0), hid, "party1", None)


async def test_the_application_is_withdrawn(world: World) -> None:
    scene = await make_mediation(world.services)
    await signed(world, scene)
    app = await world.confirmations.apply(scene.mediator_actor, scene.hearing.id)
    await world.confirmations.take(scene.judge(0), app.id)
    withdrawn = await world.confirmations.withdraw(scene.mediator_actor, app.id, "双方已自行履行")
    assert withdrawn.state is ApplicationState.WITHDRAWN
    assert world.events.named("duty.withdrawn") == [{"id": app.id}]
    with pytest.raises(IllegalTransition):
        await world.confirmations.decide(scene.judge(0), app.id, "confirm", [], "")
    with pytest.raises(IllegalTransition):
        await world.confirmations.take(scene.judge(1), app.id)
    assert await world.duty.queue(scene.judge(1)) == []
    view = await world.mediations.view(scene.mediator_actor, scene.hearing.id)
    assert view.state is MediationState.WITHDRAWN


async def test_the_judge_disconnects_mid_review_and_rejoins(world: World) -> None:
    scene = await make_mediation(world.services)
    await open_room(world, scene)
    await signed(world, scene)
    app = await world.confirmations.apply(scene.mediator_actor, scene.hearing.id)
    await world.confirmations.take(scene.judge(0), app.id)
    hid = scene.hearing.id
    view = await world.mediations.view(scene.mediator_actor, hid)
    seat = next(p for p in view.hearing.participants if p.role is Role.JUDGE)
    await world.room.arrive(scene.judge(0), hid, seat.id)
    first = (await world.confirmations.application(scene.judge(0), app.id)).judge_joined_at
    await world.room.depart(hid, seat.id)
    hearing = await world.scheduling.hearing(scene.judge(0), hid)
    assert hearing.participant(seat.id).state is ParticipantState.DISCONNECTED
    # Nothing about the review is lost: still theirs, nobody else may take or decide it.
    with pytest.raises(Conflict):
        await world.confirmations.take(scene.judge(1), app.id)
    with pytest.raises(PermissionDenied):
        await world.confirmations.decide(scene.judge(1), app.id, "confirm", [], "")
    hearing = await world.room.arrive(scene.judge(0), hid, seat.id)
    assert hearing.participant(seat.id).state is ParticipantState.IN_HEARING
    again = await world.confirmations.application(scene.judge(0), app.id)
    assert again.state is ApplicationState.TAKEN and again.judge_joined_at == first
    decided = await world.confirmations.decide(
        scene.judge(0), app.id, "reject", ["not_voluntary"], "被申请人称系受胁迫签字")
    assert decided.application.decision == "rejected"
    ruling_context = world.documents.contexts[-1]
    assert "违反自愿原则" in ruling_context.reasons and "第三百五十八条" in ruling_context.legal_basis


async def test_several_applications_at_once(world: World) -> None:
    scenes = [await make_mediation(world.services) for _ in range(3)]
    # Three mediations of one court file at the same moment: three distinct 民特 numbers.
    court_scene = scenes[0]
    for scene in scenes[1:]:
        async with world.uow() as uow:
            hearing = await uow.hearings.get(scene.hearing.id)
            case = await uow.cases.get(hearing.case_id)
            case.court_id = (await uow.cases.get(court_scene.hearing.case_id)).court_id
            for judge_id in (j.id for j in scene.judges):
                (await uow.staff.get(judge_id)).court_id = case.court_id
            # The mediator acts in the court of the case (hearings/domain/policy.py).
            (await uow.staff.get(scene.mediator.id)).court_id = case.court_id
            scene.mediator.court_id = case.court_id
            await uow.commit()
    for scene in scenes:
        await signed(world, scene)
    apps = await asyncio.gather(*(world.confirmations.apply(s.mediator_actor, s.hearing.id)
                                  for s in scenes))
    numbers = {a.case_number for a in apps}
    assert len(numbers) == 3 and all("民特" in n for n in numbers)
    queue = await world.duty.queue(court_scene.judge(0))
    assert {e["id"] for e in queue} == {a.id for a in apps}
    # Two judges work through them in parallel.
    await asyncio.gather(world.confirmations.take(court_scene.judge(0), apps[0].id),
                         world.confirmations.take(court_scene.judge(1), apps[1].id))
    results = await asyncio.gather(
        world.confirmations.decide(court_scene.judge(0), apps[0].id, "confirm", [], ""),
        world.confirmations.decide(court_scene.judge(1), apps[1].id, "confirm", [], ""))
    assert {r.application.state for r in results} == {ApplicationState.DECIDED}
    queue = await world.duty.queue(court_scene.judge(0))
    assert [e["id"] for e in queue] == [apps[2].id]


async def test_one_decision_is_two_units_of_work_and_one_stored_pdf(world: World) -> None:
    """Read, then the ruling made whole by one port call (drafted, sealed, signed by the
    judge, finished) and stored once, then decided and delivered in one commit."""
    scene = await make_mediation(world.services)
    await open_room(world, scene)
    await signed(world, scene)
    app = await world.confirmations.apply(scene.mediator_actor, scene.hearing.id)
    await world.confirmations.take(scene.judge(0), app.id)
    units, writes = world.units, world.documents.writes
    decided = await world.confirmations.decide(scene.judge(0), app.id, "reject",
                                               ["not_voluntary"], "")
    assert (world.units - units, world.documents.writes - writes) == (2, 1)
    assert [s["field"] for s in decided.ruling.signatures] == ["judge"]
    assert world.documents.keys[-1] == ("judge", scene.judges[0].id)
    async with world.uow() as uow:
        audit = [e.action for e in await uow.audit.entries(scene.hearing.id)]
    assert audit[-2:] == ["application.decided", "document.delivered"]
    assert [e for e in world.events.named("mediation.state")][-1]["state"] == "rejected"


async def test_the_room_closes_before_delivery(world: World) -> None:
    scene = await make_mediation(world.services)
    await open_room(world, scene, present=(1,))  # the clinic's party never connected
    await signed(world, scene)
    app = await world.confirmations.apply(scene.mediator_actor, scene.hearing.id)
    await world.confirmations.take(scene.judge(0), app.id)
    await world.control.change_hearing(scene.mediator_actor,
                                       ChangeHearing(scene.hearing.id, "close"))
    decided = await world.confirmations.decide(scene.judge(0), app.id, "confirm", [], "")
    assert decided.application.delivered_at is not None
    assert decided.ruling.state is DocumentState.DELIVERED
    assert await world.documents.read(decided.ruling)  # stored
    async with world.uow() as uow:
        outbox = await uow.outbox.of_hearing(scene.hearing.id)
        deliveries = await uow.deliveries.of_document(decided.ruling.id)
    assert {n.recipient for n in outbox} == {p.id for p in scene.parties}
    assert all(n.document_id == decided.ruling.id and n.sent_at is None for n in outbox)
    assert deliveries == []  # nobody was in a closed room
    # A party later opens it with their token: the receipt is the proof of service.
    receipt = await world.document_service.receipt(scene.party(0), decided.ruling.id, "download")
    again = await world.document_service.receipt(scene.party(0), decided.ruling.id, "download")
    assert receipt.id == again.id


async def test_two_judges_take_at_the_same_moment(world: World) -> None:
    scene = await make_mediation(world.services)
    await signed(world, scene)
    app = await world.confirmations.apply(scene.mediator_actor, scene.hearing.id)
    results = await asyncio.gather(
        *(world.confirmations.take(scene.judge(i), app.id) for i in (0, 1)),
        return_exceptions=True)
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1 and len(losers) == 1 and isinstance(losers[0], Conflict)
    stored = await world.confirmations.application(scene.judge(0), app.id)
    assert stored.taken_by == winners[0].taken_by
    hearing = await world.scheduling.hearing(scene.judge(0), scene.hearing.id)
    assert [p.staff_user_id for p in hearing.participants if p.role is Role.JUDGE] == [
        stored.taken_by]


async def test_only_a_duty_judge_of_the_court_takes(world: World) -> None:
    scene = await make_mediation(world.services)
    other = await make_mediation(world.services)
    await signed(world, scene)
    app = await world.confirmations.apply(scene.mediator_actor, scene.hearing.id)
    with pytest.raises(PermissionDenied):
        await world.confirmations.take(other.judge(0), app.id)
    with pytest.raises(PermissionDenied):
        await world.confirmations.take(scene.mediator_actor, app.id)


class FlakySms:
    channel = "sms"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, notification: Notification) -> None:
        if notification.recipient_name == "刘桂兰" and not self.sent:
            self.sent.append("failed once")
            raise OSError("gateway timeout")
        self.sent.append(notification.recipient)


async def test_the_outbox_is_sent_through_a_pluggable_notifier(world: World) -> None:
    scene = await make_mediation(world.services)
    await signed(world, scene)  # nobody connected: both parties are notified
    app = await world.confirmations.apply(scene.mediator_actor, scene.hearing.id)
    await world.confirmations.take(scene.judge(0), app.id)
    await world.confirmations.decide(scene.judge(0), app.id, "confirm", [], "")
    sms = FlakySms()
    assert await Outbox(world.uow).dispatch() == 0  # no notifier: the rows wait
    now_again = Backoff(base=timedelta(0))  # no wait before the retry
    assert await Outbox(world.uow, sms, now_again).dispatch() == 1
    assert await Outbox(world.uow, sms, now_again).dispatch() == 1  # the failed one, retried
    async with world.uow() as uow:
        rows = await uow.outbox.of_hearing(scene.hearing.id)
    assert all(r.sent_at is not None and r.channel == "sms" for r in rows)
    assert sorted(r.attempts for r in rows) == [1, 2]


async def test_staff_of_another_court_do_not_see_the_mediation(world: World) -> None:
    scene, other = await make_mediation(world.services), await make_mediation(world.services)
    with pytest.raises(PermissionDenied):
        await world.mediations.view(other.judge(0), scene.hearing.id)
    assert (await world.mediations.view(scene.judge(0), scene.hearing.id)).state.value == "open"
