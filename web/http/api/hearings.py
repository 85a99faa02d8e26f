"""Hearings: schedule, list by day, invite, issue and revoke join links, move through states."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from hearings.domain.commands import (
    ChangeHearing,
    InviteParticipant,
    IssueJoinLink,
    RevokeJoinLinks,
    ScheduleHearing,
)
from hearings.domain.hearing import HearingKind
from hearings.domain.participants import Role
from hearings.domain.states import HEARING
from hearings.domain.values import member
from web.http.api.inquiry import INVITE_DIGITS, invite_digits, set_invited_digits
from web.http.auth import actor_for, staff_for
from web.http.errors import ApiError
from web.http.payloads import read_body
from web.http.representations import hearing_json, participant_json
from web.http.routing import ApiRoutes
from web.keys import SERVICES, SETTINGS

routes = ApiRoutes()

HEARING_BODY = {"type": "object", "required": ["case_id", "kind", "title", "scheduled_at"],
                "properties": {
                    "case_id": {"type": "string"}, "kind": {"enum": [k.value for k in HearingKind]},
                    "title": {"type": "string"},
                    "scheduled_at": {"type": "string", "format": "date-time"},
                    "presiding_user_id": {"type": "string"}}}
INVITE = {"type": "object", "required": ["name", "role"], "properties": {
    "name": {"type": "string"}, "role": {"enum": [r.value for r in Role]},
    "site_id": {"type": "string"}, "staff_user_id": {"type": "string"},
    "minor": {"type": "boolean", "description": "a minor (未成年人): the appropriate adult "
              "signs an interrogation record too"},
    **INVITE_DIGITS}}  # for the progress inquiry (web/http/api/inquiry.py)
TRANSITION = {"type": "object", "required": ["action"], "properties": {
    "action": {"enum": sorted(HEARING.actions())},
    "reason": {"type": "string", "description": "required for suspend"}}}
JOIN = {"type": "object", "required": ["code"], "properties": {
    "code": {"type": "string", "description": "the join link's secret or the summons code"},
    "hearing_id": {"type": "string"}}}


@routes.route("POST", "/api/hearings", summary="Schedule a hearing", tag="hearings",
              body=HEARING_BODY, ok=201, result="Hearing")
async def schedule(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_body(request, request.app[SETTINGS].max_request_bytes)
    hearing = await request.app[SERVICES].scheduling.schedule_hearing(actor, ScheduleHearing(
        case_id=body.text("case_id"), kind=member(HearingKind, body.text("kind"), "kind"),
        title=body.text("title"), scheduled_at=body.time("scheduled_at"),
        presiding_user_id=body.opt_text("presiding_user_id")))
    return web.json_response(hearing_json(hearing), status=201)


@routes.route("GET", "/api/hearings", summary="Hearings of a day (?date=YYYY-MM-DD, court time)",
              tag="hearings", result="Hearing[]")
async def of_day(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    raw = request.query.get("date", "")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "invalid_input", f"'date' must be YYYY-MM-DD (got {raw!r})") from None
    hearings = await request.app[SERVICES].scheduling.hearings_of_day(actor, day)
    return web.json_response([hearing_json(h, with_participants=False) for h in hearings])


@routes.route("GET", "/api/hearings/{hearing_id}", summary="One hearing with its participants",
              tag="hearings", auth="staff_or_token", result="Hearing")
async def get_hearing(request: web.Request) -> web.Response:
    hearing_id = request.match_info["hearing_id"]
    actor = await actor_for(request, hearing_id)
    hearing = await request.app[SERVICES].scheduling.hearing(actor, hearing_id)
    return web.json_response(hearing_json(hearing))


@routes.route("POST", "/api/hearings/{hearing_id}/transitions",
              summary="Open doors, start, pause, suspend, resume, close or cancel",
              tag="hearings", auth="staff_or_token", body=TRANSITION, result="Hearing")
async def transition(request: web.Request) -> web.Response:
    hearing_id = request.match_info["hearing_id"]
    actor = await actor_for(request, hearing_id)
    body = await read_body(request, request.app[SETTINGS].max_request_bytes)
    hearing = await request.app[SERVICES].control.change_hearing(
        actor, ChangeHearing(hearing_id, body.text("action"), body.opt_text("reason")))
    return web.json_response(hearing_json(hearing))


@routes.route("POST", "/api/hearings/{hearing_id}/participants", summary="Invite a participant",
              tag="hearings", body=INVITE, ok=201, result="Participant")
async def invite(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_body(request, request.app[SETTINGS].max_request_bytes)
    digits = invite_digits(body)
    participant = await request.app[SERVICES].scheduling.invite(actor, InviteParticipant(
        hearing_id=request.match_info["hearing_id"], name=body.text("name"),
        role=member(Role, body.text("role"), "role"), site_id=body.opt_text("site_id"),
        staff_user_id=body.opt_text("staff_user_id"), minor=body.flag("minor")))
    await set_invited_digits(request, actor, participant.hearing_id, participant.id, digits)
    return web.json_response(participant_json(participant), status=201)


@routes.route("POST", "/api/hearings/{hearing_id}/participants/{participant_id}/join-links",
              summary="Issue a join link (the secret is shown once)", tag="hearings", ok=201,
              result="JoinLink")
async def issue_link(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    link = await request.app[SERVICES].scheduling.issue_join_link(actor, IssueJoinLink(
        request.match_info["hearing_id"], request.match_info["participant_id"]))
    base = request.app[SETTINGS].public_url.rstrip("/")
    return web.json_response({
        "url": f"{base}/join/{link.secret}", "code": link.secret, "kiosk_code": link.kiosk_code,
        "participant": participant_json(link.participant),
        "expires_at": link.expires_at.isoformat()}, status=201)


@routes.route("DELETE", "/api/hearings/{hearing_id}/participants/{participant_id}/join-links",
              summary="Revoke every join link of a participant", tag="hearings")
async def revoke_links(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    count = await request.app[SERVICES].scheduling.revoke_join_links(actor, RevokeJoinLinks(
        request.match_info["hearing_id"], request.match_info["participant_id"]))
    return web.json_response({"revoked": count})


@routes.route("POST", "/api/join", summary="What a join code opens (refusals are audited)",
              tag="hearings", auth="none", body=JOIN, result="Admission")
async def join(request: web.Request) -> web.Response:
    body = await read_body(request, request.app[SETTINGS].max_request_bytes)
    admission = await request.app[SERVICES].access.admit_token(
        body.text("code"), body.opt_text("hearing_id"))
    return web.json_response({
        "hearing": hearing_json(admission.hearing, with_participants=False),
        "participant": participant_json(admission.participant)})
