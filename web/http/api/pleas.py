"""A remote interrogation's plea statement (认罪认罚具结书): read, draft (the prosecutor, by
their join link, or the court's staff), sign in order by hand (the detainee, then the
lawyer), refuse with a reason, download. Participants' join tokens keep working after the
close for reading, signing and downloading, as for the transcript (web/http/api/transcripts.py)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from hearings.domain.errors import NotFound
from web.http.api.documents import READ_REASON, signed_pdf
from web.http.api.mediations import CAPTURE
from web.http.auth import actor_for
from web.http.payloads import Payload, read_payload
from web.http.routing import ApiRoutes
from web.keys import SERVICES

routes = ApiRoutes()


class PleaDraft(Payload):
    """The terms are checked by the plea statement itself (PleaTerms.parse)."""

    checked_by_domain = ("charges", "facts", "sentencing_proposal", "procedure")
    charges: Any = Field(None, json_schema_extra={
        "type": "string", "examples": ["盗窃罪"], "description": "the offence(s) charged"})
    facts: Any = Field(None, json_schema_extra={
        "type": "string", "description": "the facts the detainee acknowledges"})
    sentencing_proposal: Any = Field(None, json_schema_extra={
        "type": "string", "examples": ["有期徒刑六个月，缓刑一年"],
        "description": "the procuratorate's sentencing proposal"})
    procedure: Any = Field(None, json_schema_extra={
        "type": "string", "examples": ["速裁程序"],
        "description": "the procedure agreed to (速裁/简易/普通程序)"})


class PleaSignature(Payload):
    """Checked where it is signed: the field's turn and the capture (required: by hand)."""

    checked_by_domain = ("field",)
    field: Any = Field(None, json_schema_extra={"type": "string", "examples": ["party1"]})
    capture: Any = Field(None, json_schema_extra=CAPTURE)


class PleaRefusal(Payload):
    """The plea statement checks the reason."""

    checked_by_domain = ("reason",)
    reason: Any = Field(None, json_schema_extra={"type": "string"})


@routes.route("GET", "/api/hearings/{hearing_id}/plea", summary="An interrogation's plea "
              "statement: the terms drafted, its state, signing order and document (state null "
              "before the first draft)", tag="records", auth="staff_or_token")
async def get_plea(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid, allow_closed=True)
    view = await request.app[SERVICES].pleas.view(actor, hid)
    return web.json_response(view.as_json())


@routes.route("POST", "/api/hearings/{hearing_id}/plea", summary="Draft the plea statement "
              "(the interrogation's prosecutor, or the court's staff, while it is in session): "
              "rendered and out for signature; a draft not yet signed is superseded",
              tag="records", auth="staff_or_token", body=PleaDraft)
async def draft_plea(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    body = await read_payload(request, PleaDraft)
    view = await request.app[SERVICES].pleas.draft(
        actor, hid, body.charges, body.facts, body.sentencing_proposal, body.procedure)
    return web.json_response(view.as_json())


@routes.route("POST", "/api/hearings/{hearing_id}/plea/signatures", summary="Sign the plea "
              "statement's next field by hand: the detainee (party1), then the lawyer",
              tag="records", auth="staff_or_token", body=PleaSignature)
async def sign_plea(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid, allow_closed=True)
    body = await read_payload(request, PleaSignature)
    view = await request.app[SERVICES].pleas.sign(actor, hid, body.field, body.capture)
    return web.json_response(view.as_json())


@routes.route("POST", "/api/hearings/{hearing_id}/plea/refusal", summary="The detainee or "
              "the lawyer refuses to sign, with a reason: the copy is abandoned, the reason "
              "kept", tag="records", auth="staff_or_token", body=PleaRefusal)
async def refuse_plea(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid, allow_closed=True)
    body = await read_payload(request, PleaRefusal)
    view = await request.app[SERVICES].pleas.refuse(actor, hid, body.reason)
    return web.json_response(view.as_json())


@routes.route("GET", "/api/hearings/{hearing_id}/plea/pdf", summary="The latest plea "
              "statement as signed so far (application/pdf); staff reads audited with ?reason= "
              "as every document's", tag="records", auth="staff_or_token",
              produces="application/pdf", query=READ_REASON)
async def plea_pdf(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid, allow_closed=True)
    view = await request.app[SERVICES].pleas.view(actor, hid)
    if view.plea is None:
        raise NotFound("plea statement", hid)
    return await signed_pdf(request, actor, view.plea.document_id)
