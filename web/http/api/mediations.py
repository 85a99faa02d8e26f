"""Mediation → judicial confirmation: the agreement, signatures, the application, the duty
queue and the decision (the contract is docs/confirmation.md)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field, field_validator
from pydantic.json_schema import JsonDict

from hearings.domain.confirmation import GROUNDS
from hearings.services.mediations import application_json
from web.http.auth import actor_for, staff_for
from web.http.errors import ApiError
from web.http.payloads import Payload, Time, read_payload
from web.http.routing import ApiRoutes
from web.i18n import negotiate, translations
from web.keys import SERVICES

routes = ApiRoutes()

_TERM: JsonDict = {
    "type": "object", "required": ["obligor", "obligee", "obligation"], "properties": {
        "obligor": {"type": "string"}, "obligee": {"type": "string"},
        "obligation": {"type": "string"},
        "amount_yuan": {"type": ["string", "number", "null"], "description": "yuan, 2 decimals"},
        "deadline": {"type": ["string", "null"], "format": "date"}}}
# A signature capture record: docforge.capture checks it where the field is signed (the
# transcript's and the plea statement's signatures take one too).
CAPTURE: JsonDict = {
    "type": "object", "description":
    "signature capture record (docforge.capture): strokes of {x, y, time, pressure}, "
    "pad {width, height}, device, site, signed_at, snapshot_jpeg_b64; required for "
    "a party, optional for the mediator (without it the mediator signs by key)"}


class MediationAgreement(Payload):
    """The terms are checked by the agreement itself (AgreementTerm.from_json), one by one."""

    checked_by_domain = ("terms",)
    facts: str
    terms: Any = Field(None, json_schema_extra={"type": "array", "items": _TERM})


class MediationSignature(Payload):
    field: str = Field(examples=["party1"])
    capture: Any = Field(None, json_schema_extra=CAPTURE)


class MediationRefusal(Payload):
    reason: str


class ApplicationWithdrawal(Payload):
    reason: str | None = None


class ConfirmationDecision(Payload):
    """The decision, its grounds and reasons are checked together by the domain
    (hearings.domain.confirmation.check_grounds)."""

    decision: str = Field(json_schema_extra={"enum": ["confirm", "reject"]})
    grounds: Any = Field(None, json_schema_extra={"type": "array",
                                                  "items": {"enum": [*sorted(GROUNDS)]}})
    reasons: Any = Field(None, json_schema_extra={"type": "string"})


class NewDutyShift(Payload):
    court_id: str | None = Field(None, description="only for an administrator without a "
                                 "court; staff of a court keep their own court's roster")
    judge_user_id: str
    starts_at: Time
    ends_at: Time | None = None

    @field_validator("ends_at", mode="before")
    @classmethod
    def _empty_is_open(cls, value: object) -> object:
        """An empty end, as a form sends it, is a shift without an end."""
        return None if value == "" else value


@routes.route("GET", "/api/mediations/{hearing_id}", summary="A mediation: agreement, signing, "
              "application and ruling", tag="confirmation", auth="staff_or_token",
              result="Mediation")
async def get_mediation(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    view = await request.app[SERVICES].mediations.view(actor, hid)
    return web.json_response(view.as_json())


@routes.route("PUT", "/api/mediations/{hearing_id}/agreement", summary="Draft the agreement "
              "(mediator)", tag="confirmation", auth="staff_or_token", body=MediationAgreement,
              result="Mediation")
async def draft(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    body = await read_payload(request, MediationAgreement)
    terms = body.terms
    view = await request.app[SERVICES].mediations.draft(
        actor, hid, body.facts, terms if isinstance(terms, list) else [terms])
    return web.json_response(view.as_json())


@routes.route("POST", "/api/mediations/{hearing_id}/signing", summary="Render and seal the "
              "agreement; collect signatures (mediator)", tag="confirmation",
              auth="staff_or_token", result="Mediation")
async def start_signing(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    view = await request.app[SERVICES].mediations.start_signing(actor, hid)
    return web.json_response(view.as_json())


@routes.route("POST", "/api/mediations/{hearing_id}/signatures", summary="Sign the next field "
              "(parties in order, then the mediator)", tag="confirmation", auth="staff_or_token",
              body=MediationSignature, result="Mediation")
async def sign(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    body = await read_payload(request, MediationSignature)
    view = await request.app[SERVICES].mediations.sign(actor, hid, body.field, body.capture)
    return web.json_response(view.as_json())


@routes.route("POST", "/api/mediations/{hearing_id}/refusal", summary="A party refuses to sign: "
              "back to drafting", tag="confirmation", auth="staff_or_token",
              body=MediationRefusal, result="Mediation")
async def refuse(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    body = await read_payload(request, MediationRefusal)
    view = await request.app[SERVICES].mediations.refuse(actor, hid, body.reason)
    return web.json_response(view.as_json())


@routes.route("POST", "/api/mediations/{hearing_id}/application", summary="Apply for judicial "
              "confirmation in one click (mediator)", tag="confirmation", auth="staff_or_token",
              ok=201, result="ApplicationEnvelope")
async def apply(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    app = await request.app[SERVICES].confirmations.apply(actor, hid)
    return web.json_response({"application": application_json(app)}, status=201)


@routes.route("POST", "/api/applications/{application_id}/withdraw", summary="Withdraw an "
              "application (mediator)", tag="confirmation", auth="staff_or_token",
              body=ApplicationWithdrawal, result="ApplicationEnvelope")
async def withdraw(request: web.Request) -> web.Response:
    actor = await actor_for(request)
    body = await read_payload(request, ApplicationWithdrawal)
    app = await request.app[SERVICES].confirmations.withdraw(
        actor, request.match_info["application_id"], body.reason)
    return web.json_response({"application": application_json(app)})


@routes.route("GET", "/api/duty/queue", summary="The duty judges' queue of applications "
              "(?court_id= only for an administrator without a court)", tag="confirmation",
              result="DutyQueue")
async def queue(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    entries = await request.app[SERVICES].duty.queue(
        actor, request.query.get("court_id") or None)
    return web.json_response({"applications": entries})


@routes.route("POST", "/api/duty/shifts", summary="Put a judge on the duty roster "
              "(clerk or administrator)", tag="confirmation", body=NewDutyShift, ok=201)
async def add_shift(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, NewDutyShift)
    court_id = actor.court_id or body.court_id
    if court_id is None:
        raise ApiError(400, "invalid_input", "'court_id' is required: you belong to no court")
    shift = await request.app[SERVICES].duty.add_shift(
        actor, court_id, body.judge_user_id, body.starts_at, body.ends_at)
    return web.json_response({"id": shift.id, "judge_user_id": shift.judge_user_id,
                              "starts_at": shift.starts_at.isoformat(),
                              "ends_at": shift.ends_at.isoformat() if shift.ends_at else None},
                             status=201)


@routes.route("POST", "/api/applications/{application_id}/take", summary="Take an application "
              "(duty judge; 409 if another judge took it)", tag="confirmation",
              result="Application")
async def take(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    app = await request.app[SERVICES].confirmations.take(
        actor, request.match_info["application_id"])
    return web.json_response(application_json(app))


@routes.route("POST", "/api/applications/{application_id}/decision", summary="Confirm or "
              "reject: the ruling is signed, sealed, timestamped and delivered into the room",
              tag="confirmation", body=ConfirmationDecision, result="Decision")
async def decide(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, ConfirmationDecision)
    decided = await request.app[SERVICES].confirmations.decide(
        actor, request.match_info["application_id"], body.decision, body.grounds,
        body.reasons)
    app, ruling = decided.application, decided.ruling
    return web.json_response({
        "ruling": {"id": ruling.id, "url": f"/api/documents/{ruling.id}/pdf",
                   "decision": app.decision, "sha256": ruling.sha256},
        "timings": app.timings(), "application": application_json(app)})


@routes.route("GET", "/api/applications/{application_id}", summary="An application with its "
              "timings", tag="confirmation", auth="staff_or_token", result="Application")
async def get_application(request: web.Request) -> web.Response:
    actor = await actor_for(request)
    app = await request.app[SERVICES].confirmations.application(
        actor, request.match_info["application_id"])
    return web.json_response(application_json(app))


@routes.route("GET", "/api/confirmation/grounds", summary="Grounds for rejecting an application "
              "(labels translated)", tag="confirmation", auth="none", result="Grounds")
async def grounds(request: web.Request) -> web.Response:
    gettext = translations(negotiate(request)).gettext
    items: list[dict[str, Any]] = [{"code": g.code, "label": gettext(g.label), "basis": g.basis}
                                   for g in GROUNDS.values()]
    return web.json_response(items)


@routes.route("GET", "/api/confirmation/stats", summary="Median application → delivery and "
              "decision → delivery (clerk or administrator; ?court_id= only for an administrator "
              "without a court)", tag="confirmation",
              result="ConfirmationStats")
async def stats(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    return web.json_response(await request.app[SERVICES].duty.stats(
        actor, request.query.get("court_id") or None))
