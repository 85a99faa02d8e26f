"""e+ clinic bookings (法官e站) over REST (hearings/services/bookings.py): a judge or mediator
publishes slots, a clinic's enrolled kiosk (its device cookie) or a clerk books a service in
one — the booking answers the villager's join link and 8-digit kiosk code once — the host
sees the day's bookings, and a mediation-guidance booking becomes a mediation.

A slot takes one booking: a second one, even sent at the same instant, is 409 `conflict`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import Field

from hearings.domain.bookings import Booking, Service, Slot
from hearings.services.bookings import Booked, Bookings, DaySlot
from web.http.auth import staff_for
from web.http.errors import ApiError
from web.http.payloads import Payload, Time, read_payload
from web.http.routing import ApiRoutes
from web.keys import SERVICES, SETTINGS

__all__ = ["KIOSK_COOKIE", "bookings_service", "routes"]

routes = ApiRoutes()
KIOSK_COOKIE = "yunting_kiosk"  # set by /kiosk/enroll (web/pages/hearings.py)

SERVICES_ENUM = [s.value for s in Service]


# The minutes and the services are the domain's to check, in its own words
# (hearings/services/bookings.py).
class NewSlot(Payload):
    checked_by_domain = ("minutes", "services")
    starts_at: Time
    minutes: Any = Field(None, json_schema_extra={"type": "integer", "minimum": 1,
                                                  "maximum": 240, "examples": [30]})
    services: Any = Field(None, json_schema_extra={
        "type": "array", "items": {"enum": [*SERVICES_ENUM]}, "minItems": 1})
    host_user_id: str | None = Field(None, description=(
        "a clerk publishes for this judge or mediator; a judge or mediator only for "
        "themselves (the default)"))


# The service, the name and the e-mail are the domain's to check, once the slot is found
# (hearings/services/bookings.py). Fields in the order they were always checked in.
class _Villager(Payload):
    checked_by_domain = ("service", "name")
    slot_id: str
    service: Any = Field(None, json_schema_extra={"enum": [*SERVICES_ENUM]})
    name: Any = Field(None, json_schema_extra={"type": "string", "maxLength": 200,
                                               "examples": ["王秀英"]})


_CONSENT = "the villager agreed to be served (invitation, reminders) by e-mail"


class KioskBooking(_Villager):
    email: Any = Field(None, json_schema_extra={"type": ["string", "null"], "maxLength": 254})
    consent_electronic_service: bool = Field(False, description=_CONSENT)


class ClinicBooking(_Villager):
    site_id: str = Field(description="the clinic")
    email: Any = Field(None, json_schema_extra={"type": ["string", "null"], "maxLength": 254})
    consent_electronic_service: bool = Field(False, description=_CONSENT)


DAY = ({"name": "day", "schema": {"type": "string", "format": "date"},
        "description": "the court's calendar day (default: today)"},)


def bookings_service(app: web.Application) -> Bookings:
    return app[SERVICES].bookings


def slot_json(slot: Slot) -> dict[str, Any]:
    return {"id": slot.id, "host_user_id": slot.host_user_id,
            "starts_at": slot.starts_at.isoformat(), "ends_at": slot.ends_at.isoformat(),
            "services": sorted(slot.offered),
            "withdrawn_at": slot.withdrawn_at.isoformat() if slot.withdrawn_at else None}


def booking_json(booking: Booking) -> dict[str, Any]:
    return {"id": booking.id, "slot_id": booking.slot_id, "hearing_id": booking.hearing_id,
            "site_id": booking.site_id, "service": booking.service.value,
            "name": booking.person_name, "participant_id": booking.participant_id,
            "created_at": booking.created_at.isoformat(),
            "mediation_hearing_id": booking.mediation_hearing_id}


def day_json(entry: DaySlot) -> dict[str, Any]:
    return slot_json(entry.slot) | {
        "booking": booking_json(entry.booking) if entry.booking else None}


def booked_json(request: web.Request, booked: Booked) -> dict[str, Any]:
    base = request.app[SETTINGS].public_url.rstrip("/")
    return {"booking": booking_json(booked.booking), "case_number": booked.case_number,
            "scheduled_at": booked.hearing.scheduled_at.isoformat(),
            "join_url": f"{base}/join/{booked.secret}", "code": booked.secret,
            "kiosk_code": booked.kiosk_code, "expires_at": booked.expires_at.isoformat()}


def _day(request: web.Request) -> date:
    raw = request.query.get("day")
    if not raw:
        return datetime.now(ZoneInfo(request.app[SETTINGS].court_timezone)).date()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "invalid_input", f"'day' must be a date like 2026-12-03 "
                       f"(got {raw[:40]!r})") from None
    if not 1 < day.year < 9999:  # its bounds in UTC would overflow (a 500)
        raise ApiError(400, "invalid_input", f"'day' is out of range (got {raw[:40]!r})")
    return day


@routes.route("POST", "/api/booking-slots", summary="Publish a slot for e+ clinic bookings "
              "(a judge or mediator their own; a clerk for one of the court)", tag="bookings",
              body=NewSlot, ok=201, result="Slot")
async def publish(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, NewSlot)
    slot = await bookings_service(request.app).publish(
        actor, body.starts_at, body.minutes, body.services, body.host_user_id)
    return web.json_response(slot_json(slot), status=201)


@routes.route("GET", "/api/bookings", summary="The day's slots and their bookings: a judge's "
              "or mediator's own, the whole court's for a clerk", tag="bookings",
              result="DaySlot[]", query=DAY)
async def of_day(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    entries = await bookings_service(request.app).day(actor, _day(request))
    return web.json_response([day_json(e) for e in entries])


@routes.route("POST", "/api/bookings", summary="Book a service in a free slot for a villager "
              "at a clinic (a clerk, by telephone): answers the join link and kiosk code once",
              tag="bookings", body=ClinicBooking, ok=201, result="Booked")
async def book(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, ClinicBooking)
    booked = await bookings_service(request.app).book(
        actor, body.slot_id, body.service, body.name, body.site_id, body.email,
        body.consent_electronic_service)
    return web.json_response(booked_json(request, booked), status=201)


@routes.route("GET", "/api/kiosk/slots", summary="The free slots of a day for the clinic's "
              "enrolled kiosk (its device cookie)", tag="bookings", auth="none",
              result="KioskDay", query=DAY, answers=(403,))
async def kiosk_slots(request: web.Request) -> web.Response:
    _, site, entries = await bookings_service(request.app).free_at_kiosk(
        request.cookies.get(KIOSK_COOKIE), _day(request))
    return web.json_response({"site": {"id": site.id, "name": site.name},
                              "slots": [slot_json(e.slot) for e in entries]})


@routes.route("POST", "/api/kiosk/bookings", summary="Book at the clinic's enrolled kiosk (its "
              "device cookie): answers the kiosk code once", tag="bookings", auth="none",
              body=KioskBooking, ok=201, result="Booked", answers=(403, 404, 409))
async def kiosk_book(request: web.Request) -> web.Response:
    body = await read_payload(request, KioskBooking)
    booked = await bookings_service(request.app).book_at_kiosk(
        request.cookies.get(KIOSK_COOKIE), body.slot_id, body.service, body.name, body.email,
        body.consent_electronic_service)
    answer = booked_json(request, booked)
    # a shared kiosk shows the 8 digits (valid only at a kiosk of this clinic), not the link
    del answer["join_url"], answer["code"]
    return web.json_response(answer, status=201, headers={"Cache-Control": "no-store"})


@routes.route("POST", "/api/bookings/{booking_id}/mediation", summary="Turn a "
              "mediation-guidance booking into a mediation (its host, or a clerk)",
              tag="bookings", ok=201, result="Hearing")
async def to_mediation(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    hearing = await bookings_service(request.app).to_mediation(
        actor, request.match_info["booking_id"])
    return web.json_response({"id": hearing.id, "kind": hearing.kind.value,
                              "state": hearing.state.value,
                              "scheduled_at": hearing.scheduled_at.isoformat(),
                              "participants": [{"id": p.id, "name": p.name,
                                                "role": p.role.value}
                                               for p in hearing.participants]}, status=201)
