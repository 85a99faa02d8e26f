"""Mediation → judicial confirmation: the agreement, signatures, the application, the duty
queue and the decision (the contract is docs/confirmation.md)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hearings.domain.confirmation import GROUNDS
from hearings.services.mediations import application_json
from web.http.auth import actor_for, staff_for
from web.http.errors import ApiError
from web.http.payloads import Body, read_body
from web.http.routing import ApiRoutes
from web.i18n import negotiate, translations
from web.keys import SERVICES, SETTINGS

routes = ApiRoutes()

_TERM = {"type": "object", "required": ["obligor", "obligee", "obligation"], "properties": {
    "obligor": {"type": "string"}, "obligee": {"type": "string"},
    "obligation": {"type": "string"},
    "amount_yuan": {"type": ["string", "number", "null"], "description": "yuan, 2 decimals"},
    "deadline": {"type": ["string", "null"], "format": "date"}}}
AGREEMENT = {"type": "object", "required": ["facts", "terms"], "properties": {
    "facts": {"type": "string"}, "terms": {"type": "array", "items": _TERM}}}
SIGNATURE = {"type": "object", "required": ["field"], "properties": {
    "field": {"type": "string", "example": "party1"},
    "capture": {"type": "object", "description":
                "signature capture record (docforge.capture): strokes of {x, y, time, pressure}, "
                "pad {width, height}, device, site, signed_at, snapshot_jpeg_b64; required for "
                "a party, optional for the mediator (without it the mediator signs by key)"}}}
REASON = {"type": "object", "properties": {"reason": {"type": "string"}}}
REFUSAL = {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}
DECISION = {"type": "object", "required": ["decision"], "properties": {
    "decision": {"enum": ["confirm", "reject"]},
    "grounds": {"type": "array", "items": {"enum": sorted(GROUNDS)}},
    "reasons": {"type": "string"}}}
SHIFT = {"type": "object", "required": ["judge_user_id", "starts_at"], "properties": {
    "court_id": {"type": "string", "description": "only for an administrator without a court; "
                 "staff of a court keep their own court's roster"},
    "judge_user_id": {"type": "string"}, "starts_at": {"type": "string", "format": "date-time"},
    "ends_at": {"type": "string", "format": "date-time"}}}


async def _body(request: web.Request) -> Body:
    return await read_body(request, request.app[SETTINGS].max_request_bytes)


@routes.route("GET", "/api/mediations/{hearing_id}", summary="A mediation: agreement, signing, "
              "application and ruling", tag="confirmation", auth="staff_or_token",
              result="Mediation")
async def get_mediation(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    view = await request.app[SERVICES].mediations.view(actor, hid)
    return web.json_response(view.as_json())


@routes.route("PUT", "/api/mediations/{hearing_id}/agreement", summary="Draft the agreement "
              "(mediator)", tag="confirmation", auth="staff_or_token", body=AGREEMENT,
              result="Mediation")
async def draft(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    body = await _body(request)
    terms = body.raw("terms")
    view = await request.app[SERVICES].mediations.draft(
        actor, hid, body.text("facts"), terms if isinstance(terms, list) else [terms])
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
              body=SIGNATURE, result="Mediation")
async def sign(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    body = await _body(request)
    view = await request.app[SERVICES].mediations.sign(
        actor, hid, body.text("field"), body.raw("capture"))
    return web.json_response(view.as_json())


@routes.route("POST", "/api/mediations/{hearing_id}/refusal", summary="A party refuses to sign: "
              "back to drafting", tag="confirmation", auth="staff_or_token", body=REFUSAL,
              result="Mediation")
async def refuse(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    body = await _body(request)
    view = await request.app[SERVICES].mediations.refuse(actor, hid, body.text("reason"))
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
              "application (mediator)", tag="confirmation", auth="staff_or_token", body=REASON,
              result="ApplicationEnvelope")
async def withdraw(request: web.Request) -> web.Response:
    actor = await actor_for(request)
    body = await _body(request)
    app = await request.app[SERVICES].confirmations.withdraw(
        actor, request.match_info["application_id"], body.opt_text("reason"))
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
              "(clerk or administrator)", tag="confirmation", body=SHIFT, ok=201)
async def add_shift(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await _body(request)
    ends = body.time("ends_at") if body.opt_text("ends_at") else None
    court_id = actor.court_id or body.opt_text("court_id")
    if court_id is None:
        raise ApiError(400, "invalid_input", "'court_id' is required: you belong to no court")
    shift = await request.app[SERVICES].duty.add_shift(
        actor, court_id, body.text("judge_user_id"), body.time("starts_at"), ends)
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
              tag="confirmation", body=DECISION, result="Decision")
async def decide(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await _body(request)
    decided = await request.app[SERVICES].confirmations.decide(
        actor, request.match_info["application_id"], body.text("decision"),
        body.raw("grounds"), body.raw("reasons"))
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
