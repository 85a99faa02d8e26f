"""The transcript (笔录): read, save with its version (409 on a stale one), send for
signature, sign in order, download. Staff by session; participants by their join token,
which keeps working after the hearing closes for these routes (they sign after the close).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from web.http.api.documents import READ_REASON, signed_pdf
from web.http.api.mediations import CAPTURE
from web.http.auth import actor_for
from web.http.payloads import Payload, read_payload
from web.http.routing import ApiRoutes
from web.keys import SERVICES

routes = ApiRoutes()


class TranscriptSave(Payload):
    """Checked by the transcript itself (its text rule, and the version against the stored
    one)."""

    checked_by_domain = ("body", "version")
    body: Any = Field(None, json_schema_extra={
        "type": "string", "description": "the whole text; one line per utterance, "
        "'speaker：text' (a line without a speaker continues the one before)"})
    version: Any = Field(None, json_schema_extra={
        "type": "integer", "description": "the version this edit was made on; a stale one is "
        "refused with 409 conflict"})


class TranscriptSignature(Payload):
    """Checked where it is signed: the field's turn, the capture, the detainee's statement."""

    checked_by_domain = ("field",)
    field: Any = Field(None, json_schema_extra={"type": "string", "examples": ["party1"]})
    capture: Any = Field(None, json_schema_extra=CAPTURE)
    statement: Any = Field(None, json_schema_extra={
        "type": "string", "examples": ["以上笔录我看过，和我说的相符"], "description":
        "an interrogation's detainee only, and required of them: the statement chosen on the "
        "pad's page before signing"})


class TranscriptReopening(Payload):
    """A correction asked for or a refusal to sign; the transcript checks the reason."""

    checked_by_domain = ("reason",)
    reason: Any = Field(None, json_schema_extra={"type": "string"})


@routes.route("GET", "/api/hearings/{hearing_id}/transcript", summary="The transcript: text "
              "(staff; participants once frozen), version, state, signing order",
              tag="transcripts", auth="staff_or_token",
              formerly="/api/hearings/{hearing_id}/record")
async def get_transcript(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid, allow_closed=True)
    view = await request.app[SERVICES].transcripts.view(actor, hid)
    return web.json_response(view.as_json())


@routes.route("PUT", "/api/hearings/{hearing_id}/transcript", summary="Save the transcript's text "
              "(clerk or presiding judge; 409 if the version is stale)", tag="transcripts",
              body=TranscriptSave,
              formerly="/api/hearings/{hearing_id}/record")
async def save_transcript(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    body = await read_payload(request, TranscriptSave)
    view = await request.app[SERVICES].transcripts.save(actor, hid, body.body, body.version)
    return web.json_response(view.as_json())


@routes.route("POST", "/api/hearings/{hearing_id}/transcript/signing", summary="Freeze and render "
              "the transcript; open the signing order (clerk or presiding judge)",
              tag="transcripts",
              formerly="/api/hearings/{hearing_id}/record/signing")
async def send_for_signature(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    view = await request.app[SERVICES].transcripts.send_for_signature(actor, hid)
    return web.json_response(view.as_json())


@routes.route("POST", "/api/hearings/{hearing_id}/transcript/signatures", summary="Sign the next "
              "field: the persons recorded by hand, then the clerk, then the judge",
              tag="transcripts", auth="staff_or_token", body=TranscriptSignature,
              formerly="/api/hearings/{hearing_id}/record/signatures")
async def sign_transcript(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid, allow_closed=True)
    body = await read_payload(request, TranscriptSignature)
    view = await request.app[SERVICES].transcripts.sign(actor, hid, body.field, body.capture,
                                                        body.statement)
    return web.json_response(view.as_json())


@routes.route("POST", "/api/hearings/{hearing_id}/transcript/rights", summary="An interrogation: "
              "the notice of rights was read and acknowledged (clerk or presiding judge)",
              tag="transcripts",
              formerly="/api/hearings/{hearing_id}/record/rights")
async def acknowledge_rights(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    view = await request.app[SERVICES].transcripts.acknowledge_rights(actor, hid)
    return web.json_response(view.as_json())


@routes.route("POST", "/api/hearings/{hearing_id}/transcript/corrections", summary="A signer asks "
              "for a correction: the frozen copy is abandoned, back to drafting",
              tag="transcripts", auth="staff_or_token", body=TranscriptReopening,
              formerly="/api/hearings/{hearing_id}/record/corrections")
async def request_correction(request: web.Request) -> web.Response:
    return await _reopen(request, refused=False)


@routes.route("POST", "/api/hearings/{hearing_id}/transcript/refusal", summary="A signer refuses "
              "to sign, with a reason: the frozen copy is abandoned, back to drafting",
              tag="transcripts", auth="staff_or_token", body=TranscriptReopening,
              formerly="/api/hearings/{hearing_id}/record/refusal")
async def refuse_transcript(request: web.Request) -> web.Response:
    return await _reopen(request, refused=True)


async def _reopen(request: web.Request, *, refused: bool) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid)
    body = await read_payload(request, TranscriptReopening)
    view = await request.app[SERVICES].transcripts.reopen(actor, hid, body.reason,
                                                          refused=refused)
    return web.json_response(view.as_json())


@routes.route("GET", "/api/hearings/{hearing_id}/transcript/pdf", summary="The transcript's "
              "document as signed so far (application/pdf); staff reads audited with ?reason= as "
              "every document's", tag="transcripts", auth="staff_or_token",
              produces="application/pdf", query=READ_REASON,
              formerly="/api/hearings/{hearing_id}/record/pdf")
async def record_pdf(request: web.Request) -> web.Response:
    hid = request.match_info["hearing_id"]
    actor = await actor_for(request, hid, allow_closed=True)
    return await signed_pdf(request, actor,
                            await request.app[SERVICES].transcripts.document_id(actor, hid))
