"""e+ clinic bookings over REST (issue 18.4), on SQLite and PostgreSQL.

A judge publishes a slot; the clinic's enrolled kiosk books legal advice in it and gets
the 8-digit kiosk code once (no long link on a shared kiosk); the code opens the
consultation at that kiosk; the judge sees the booking; a second booking of the slot —
also many at the same instant — is a 409; a mediation-guidance booking becomes a mediation
with one action; each rule refuses with 4xx JSON, never 500."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from hearings.domain.actors import SYSTEM
from hearings.domain.commands import CreateStaffUser
from hearings.domain.staff import StaffUser
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from web.app.application import create_app
from web.app.bootstrap import Services
from web.keys import SERVICES
from web.settings import Secret, Settings

Client = TestClient[Any, Any]
BASE = "https://yunting.example"


async def _login(services: Services, user: StaffUser, password: str) -> dict[str, str]:
    logged = await services.access.login(user.username, password)
    return {"Cookie": f"yunting_session={logged.secret}",
            "X-CSRF-Token": logged.session.csrf_token}


@pytest.fixture
async def court(database: Database, tmp_path: Path,
                aiohttp_client: Callable[..., Awaitable[Client]]
                ) -> tuple[Client, Services, Trial, Trial]:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        media_enabled=False, public_url=BASE)
    app = create_app(settings, database=database)
    client = await aiohttp_client(app)
    services: Services = app[SERVICES]
    return client, services, await make_trial(services), await make_trial(services)


async def _kiosk(client: Client, clerk: dict[str, str], site_id: str) -> dict[str, str]:
    enrolled = await client.post(f"/api/sites/{site_id}/kiosks", json={"label": "一号机"},
                                 headers=clerk)
    assert enrolled.status == 201, await enrolled.text()
    setup = (await enrolled.json())["setup_url"].removeprefix(BASE)
    response = await client.get(setup, allow_redirects=False)
    return {"Cookie": f"yunting_kiosk={response.cookies['yunting_kiosk'].value}",
            "Origin": BASE}


def _soon(minutes: int = 2) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


async def _publish(client: Client, judge: dict[str, str], minutes_ahead: int = 2,
                   services: tuple[str, ...] = ("legal_advice", "mediation_guidance")
                   ) -> dict[str, Any]:
    response = await client.post("/api/booking-slots", headers=judge, json={
        "starts_at": _soon(minutes_ahead), "minutes": 30, "services": list(services)})
    assert response.status == 201, await response.text()
    return dict(await response.json())


async def test_a_villager_books_at_the_kiosk_and_the_code_opens_the_consultation(
        court: tuple[Client, Services, Trial, Trial]) -> None:
    client, services, a, b = court
    clerk = await _login(services, a.clerk, "clerk-password-1")
    judge = await _login(services, a.judge, "judge-password-1")
    kiosk = await _kiosk(client, clerk, a.clinic.id)
    slot = await _publish(client, judge)

    free = await client.get("/api/kiosk/slots", headers=kiosk)
    assert free.status == 200
    listed = await free.json()
    assert [s["id"] for s in listed["slots"]] == [slot["id"]]
    assert listed["site"]["id"] == a.clinic.id

    response = await client.post("/api/kiosk/bookings", headers=kiosk, json={
        "slot_id": slot["id"], "service": "legal_advice", "name": "村民王秀英"})
    assert response.status == 201, await response.text()
    booked = await response.json()
    assert len(booked["kiosk_code"]) == 8 and booked["kiosk_code"].isdigit()
    assert "join_url" not in booked and "code" not in booked  # not on a shared kiosk
    assert "咨" in booked["case_number"]

    # the slot is gone from the kiosk's list; a second booking of it is a 409
    assert (await (await client.get("/api/kiosk/slots", headers=kiosk)).json())["slots"] == []
    again = await client.post("/api/kiosk/bookings", headers=kiosk, json={
        "slot_id": slot["id"], "service": "legal_advice", "name": "村民李四"})
    assert again.status == 409 and (await again.json())["error"]["code"] == "conflict"

    # the code opens the consultation at this kiosk
    page = await client.post("/kiosk", data={"code": booked["kiosk_code"]},
                             headers={"Cookie": kiosk["Cookie"]})
    text = await page.text()
    assert page.status == 200 and "村民王秀英" in text and 'data-testid="kiosk-start"' not in text

    # the judge sees the day's bookings; the consultation is theirs to host
    day = await (await client.get("/api/bookings", headers=judge)).json()
    assert [(d["id"], d["booking"]["name"]) for d in day] == [(slot["id"], "村民王秀英")]
    hearing = await (await client.get(f"/api/hearings/{booked['booking']['hearing_id']}",
                                      headers=judge)).json()
    assert hearing["state"] == "scheduled"
    assert {p["role"] for p in hearing["participants"]} == {"judge", "party"}

    # another court's clerk sees none of it and cannot book here
    clerk_b = await _login(services, b.clerk, "clerk-password-1")
    assert await (await client.get("/api/bookings", headers=clerk_b)).json() == []
    slot2 = await _publish(client, judge, 60)
    refused = await client.post("/api/bookings", headers=clerk_b, json={
        "slot_id": slot2["id"], "service": "legal_advice", "name": "某", "site_id": b.clinic.id})
    assert refused.status == 403
    # a clerk of the court books by telephone: the link and the code, once
    phoned = await client.post("/api/bookings", headers=clerk, json={
        "slot_id": slot2["id"], "service": "mediation_guidance", "name": "村民赵六",
        "site_id": a.clinic.id, "email": "zhao@example.cn", "consent_electronic_service": True})
    assert phoned.status == 201, await phoned.text()
    assert (await phoned.json())["join_url"].startswith(f"{BASE}/join/")


async def test_many_clinics_racing_for_one_slot_get_it_once(
        court: tuple[Client, Services, Trial, Trial]) -> None:
    client, services, a, _ = court
    clerk = await _login(services, a.clerk, "clerk-password-1")
    judge = await _login(services, a.judge, "judge-password-1")
    kiosks = [await _kiosk(client, clerk, a.clinic.id) for _ in range(3)]
    slot = await _publish(client, judge)

    async def book(i: int) -> int:
        response = await client.post("/api/kiosk/bookings", headers=kiosks[i % 3], json={
            "slot_id": slot["id"], "service": "legal_advice", "name": f"村民{i}"})
        await response.read()
        return response.status

    statuses = await asyncio.gather(*(book(i) for i in range(8)))
    assert sorted(statuses) == [201] + [409] * 7, statuses
    day = await (await client.get("/api/bookings", headers=judge)).json()
    assert sum(1 for d in day if d["booking"]) == 1


async def test_a_mediation_guidance_booking_becomes_a_mediation_with_one_action(
        court: tuple[Client, Services, Trial, Trial]) -> None:
    client, services, a, _ = court
    clerk = await _login(services, a.clerk, "clerk-password-1")
    judge = await _login(services, a.judge, "judge-password-1")
    other = await services.access.create_staff_user(SYSTEM, CreateStaffUser(
        f"judge-other-{a.court.id[:6]}", "审判员周", "judge",  # type: ignore[arg-type]
        "judge-password-2", a.court.id))
    other_judge = await _login(services, other, "judge-password-2")
    slots = [await _publish(client, judge, m) for m in (2, 40)]
    bookings = []
    for slot, service in zip(slots, ("mediation_guidance", "legal_advice"), strict=True):
        response = await client.post("/api/bookings", headers=clerk, json={
            "slot_id": slot["id"], "service": service, "name": "村民钱七",
            "site_id": a.clinic.id})
        assert response.status == 201, await response.text()
        bookings.append((await response.json())["booking"])

    guidance, advice = bookings
    url = f"/api/bookings/{guidance['id']}/mediation"
    assert (await client.post(url, headers=other_judge)).status == 403  # not the host
    made = await client.post(url, headers=judge)
    assert made.status == 201, await made.text()
    mediation = await made.json()
    assert mediation["kind"] == "mediation"
    assert sorted(p["role"] for p in mediation["participants"]) == ["mediator", "party"]
    assert (await client.post(url, headers=judge)).status == 409  # once
    wrong = await client.post(f"/api/bookings/{advice['id']}/mediation", headers=judge)
    assert wrong.status == 400
    day = await (await client.get("/api/bookings", headers=judge)).json()
    assert any(d["booking"] and d["booking"]["mediation_hearing_id"] == mediation["id"]
               for d in day)


async def test_bad_input_and_refusals_are_4xx_json(
        court: tuple[Client, Services, Trial, Trial]) -> None:
    client, services, a, b = court
    clerk = await _login(services, a.clerk, "clerk-password-1")
    judge = await _login(services, a.judge, "judge-password-1")
    judge_b = await _login(services, b.judge, "judge-password-1")
    kiosk = await _kiosk(client, clerk, a.clinic.id)
    slot = await _publish(client, judge, services=("filing_help",))
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    bad_slots = [
        ({"starts_at": _soon(), "minutes": 30, "services": []}, 400),
        ({"starts_at": _soon(), "minutes": 30, "services": ["karaoke"]}, 400),
        ({"starts_at": _soon(), "minutes": True, "services": ["legal_advice"]}, 400),
        ({"starts_at": _soon(), "minutes": 0, "services": ["legal_advice"]}, 400),
        ({"starts_at": _soon(), "minutes": 999, "services": ["legal_advice"]}, 400),
        # a length past datetime's range is refused, not an OverflowError (500)
        ({"starts_at": _soon(), "minutes": 10**12, "services": ["legal_advice"]}, 400),
        ({"starts_at": _soon(), "minutes": 10**20, "services": ["legal_advice"]}, 400),
        ({"starts_at": past, "minutes": 30, "services": ["legal_advice"]}, 400),
        ({"starts_at": "2026-12-03T09:00:00", "minutes": 30, "services": ["legal_advice"]},
         400),
        ({"starts_at": "tomorrow", "minutes": 30, "services": ["legal_advice"]}, 400),
        ({"starts_at": _soon(10), "minutes": 30, "services": ["legal_advice"]}, 409),  # overlap
        ({"starts_at": _soon(300), "minutes": 30, "services": ["legal_advice"],
          "host_user_id": b.judge.id}, 403),
    ]
    for body, status in bad_slots:
        response = await client.post("/api/booking-slots", headers=judge, json=body)
        assert response.status == status, (body, await response.text())
        assert "error" in await response.json()
    # a clerk may not publish for a judge of another court; a judge for another judge
    assert (await client.post("/api/booking-slots", headers=judge_b, json={
        "starts_at": _soon(400), "minutes": 30, "services": ["legal_advice"],
        "host_user_id": a.judge.id})).status == 403
    assert (await client.post("/api/booking-slots", headers=clerk, json={
        "starts_at": _soon(400), "minutes": 30, "services": ["legal_advice"],
        "host_user_id": a.clerk.id})).status == 400  # a clerk hosts no slot

    bad_bookings = [
        ({"slot_id": slot["id"], "service": "legal_advice", "name": "某"}, 400),  # not offered
        ({"slot_id": slot["id"], "service": "nonsense", "name": "某"}, 400),
        ({"slot_id": slot["id"], "service": "filing_help", "name": ""}, 400),
        ({"slot_id": slot["id"], "service": "filing_help", "name": "某" * 300}, 400),
        ({"slot_id": slot["id"], "service": "filing_help", "name": "某", "email": "x"}, 400),
        ({"slot_id": slot["id"], "service": "filing_help", "name": "某",
          "consent_electronic_service": "yes"}, 400),
        ({"slot_id": "nope", "service": "filing_help", "name": "某"}, 404),
        ({"service": "filing_help", "name": "某"}, 400),
    ]
    for body, status in bad_bookings:
        response = await client.post("/api/kiosk/bookings", headers=kiosk, json=body)
        assert response.status == status, (body, await response.text())
        assert "error" in await response.json()
    # no kiosk cookie, or a revoked kiosk: 403
    nobody = await client.post("/api/kiosk/bookings", headers={"Origin": BASE}, json={
        "slot_id": slot["id"], "service": "filing_help", "name": "某"})
    assert nobody.status == 403
    assert (await client.get("/api/kiosk/slots")).status == 403
    assert (await client.get("/api/bookings?day=yesterday", headers=judge)).status == 400
    for edge in ("9999-12-31", "0001-01-01"):  # the day's bounds overflow in UTC: not a 500
        assert (await client.get(f"/api/bookings?day={edge}", headers=judge)).status == 400
        assert (await client.get(f"/api/kiosk/slots?day={edge}", headers=kiosk)).status == 400
    assert (await client.get("/api/bookings")).status == 401
    assert (await client.post("/api/bookings/nope/mediation", headers=judge)).status == 404


async def test_the_clerk_sends_an_invitation_over_rest(
        court: tuple[Client, Services, Trial, Trial]) -> None:
    client, services, a, b = court
    clerk = await _login(services, a.clerk, "clerk-password-1")
    witness = a.people["witness"]
    base = f"/api/hearings/{a.hearing.id}/participants/{witness.id}"
    assert (await client.post(f"{base}/invitation", headers=clerk)).status == 400  # no address
    contact = await client.put(f"{base}/contact", headers=clerk, json={
        "email": "liu@example.cn", "consent_electronic_service": True})
    assert contact.status == 200
    sent = await client.post(f"{base}/invitation", headers=clerk)
    assert sent.status == 201, await sent.text()
    answer = await sent.json()
    assert answer["kind"] == "invitation" and answer["address"] == "l***@example.cn"
    assert (await client.post(f"{base}/invitation", headers=clerk)).status == 409
    clerk_b = await _login(services, b.clerk, "clerk-password-1")
    assert (await client.post(f"{base}/invitation", headers=clerk_b)).status == 403
    assert (await client.post(f"/api/hearings/{a.hearing.id}/participants/nope/invitation",
                              headers=clerk)).status == 404


async def test_the_pages_are_for_whom_the_policy_says(
        court: tuple[Client, Services, Trial, Trial]) -> None:
    client, services, a, _ = court
    clerk = await _login(services, a.clerk, "clerk-password-1")
    judge = await _login(services, a.judge, "judge-password-1")
    page = await client.get("/clerk/kiosks", headers=clerk)
    text = await page.text()
    assert page.status == 200 and "大盛镇法官e站" in text and 'data-testid="kiosk-site"' in text
    assert (await client.get("/clerk/kiosks", headers=judge)).status == 403
    anonymous = await client.get("/clerk/kiosks", allow_redirects=False)
    assert anonymous.status == 302 and anonymous.headers["Location"].startswith("/login")
    day = await client.get("/bookings", headers=judge)
    assert day.status == 200 and 'data-testid="slot-form"' in await day.text()
    assert (await client.get("/kiosk/book")).status == 403  # not an enrolled kiosk
    kiosk = await _kiosk(client, clerk, a.clinic.id)
    booking = await client.get("/kiosk/book", headers={"Cookie": kiosk["Cookie"]})
    assert booking.status == 200 and "大盛镇法官e站" in await booking.text()


async def test_the_clerk_reschedules_over_rest(
        court: tuple[Client, Services, Trial, Trial]) -> None:
    client, services, a, b = court
    clerk = await _login(services, a.clerk, "clerk-password-1")
    url = f"/api/hearings/{a.hearing.id}/reschedule"
    later = (a.hearing.scheduled_at + timedelta(days=2)).isoformat()
    for body, status in [({"scheduled_at": "2026-12-09T09:00:00"}, 400),
                         ({"scheduled_at": "soon"}, 400), ({}, 400),
                         ({"scheduled_at": "2020-01-01T09:00:00+08:00"}, 400)]:
        response = await client.post(url, headers=clerk, json=body)
        assert response.status == status, (body, await response.text())
    clerk_b = await _login(services, b.clerk, "clerk-password-1")
    assert (await client.post(url, headers=clerk_b, json={"scheduled_at": later})).status \
        == 403
    # a time past what every time zone can show (year 10000 in UTC) is refused, not stored
    # to fail every later read of the hearing with a 500
    edge = await client.post(url, headers=clerk, json={"scheduled_at": "9999-12-31T23:00:00-12:00"})
    assert edge.status == 400, await edge.text()
    assert (await client.get(f"/api/hearings/{a.hearing.id}", headers=clerk)).status == 200
    moved = await client.post(url, headers=clerk, json={"scheduled_at": later})
    assert moved.status == 200, await moved.text()
    assert (await moved.json())["notices"] == 0  # nobody consented to e-mail


async def test_a_mediator_hosts_the_consultation_booked_with_them(
        court: tuple[Client, Services, Trial, Trial]) -> None:
    client, services, a, _ = court
    mediator = await services.access.create_staff_user(SYSTEM, CreateStaffUser(
        f"mediator-{a.court.id[:6]}", "人民调解员周", "mediator",  # type: ignore[arg-type]
        "mediator-password-1", a.court.id))
    own = await _login(services, mediator, "mediator-password-1")
    clerk = await _login(services, a.clerk, "clerk-password-1")
    slot = await _publish(client, own, services=("mediation_guidance",))
    booked = await client.post("/api/bookings", headers=clerk, json={
        "slot_id": slot["id"], "service": "mediation_guidance", "name": "村民孙八",
        "site_id": a.clinic.id})
    assert booked.status == 201, await booked.text()
    hearing_id = (await booked.json())["booking"]["hearing_id"]
    console = await client.get(f"/hearings/{hearing_id}/console", headers=own)
    assert console.status == 200 and 'data-testid="console-page"' in await console.text()
    # not a hearing they preside
    assert (await client.get(f"/hearings/{a.hearing.id}/console", headers=own)).status == 403
    made = await client.post(f"/api/bookings/{(await booked.json())['booking']['id']}"
                             "/mediation", headers=own)
    assert made.status == 201, await made.text()
