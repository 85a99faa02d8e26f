"""Hearings: schedule, list by day, invite, issue and revoke join links, move through states."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from aiohttp import web
from pydantic import Field

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
from web.http.api.inquiry import PartyDigits, invite_digits, set_invited_digits
from web.http.auth import actor_for, staff_for
from web.http.errors import ApiError
from web.http.payloads import OneOf, Payload, Time, read_payload
from web.http.representations import hearing_json, participant_json
from web.http.routing import ApiRoutes
from web.keys import SERVICES, SETTINGS

routes = ApiRoutes()



class NewHearing(Payload):
    case_id: str
    kind: Annotated[HearingKind, OneOf(HearingKind)]
    title: str
    scheduled_at: Time
    presiding_user_id: str | None = None


class Invitation(PartyDigits):
    """A participant to invite, with the digits of the progress inquiry if known
    (web/http/api/inquiry.py)."""

    name: str
    role: Annotated[Role, OneOf(Role)]
    site_id: str | None = None
    staff_user_id: str | None = None
    minor: bool = Field(False, description="a minor (未成年人): the appropriate adult signs "
                        "an interrogation record too")


class HearingTransition(Payload):
    action: Annotated[str, OneOf(HEARING.actions())]
    reason: str | None = Field(None, description="required for suspend")


class JoinCode(Payload):
    code: str = Field(description="the join link's secret or the summons code")
    hearing_id: str | None = None



@routes.route("POST", "/api/hearings", summary="Schedule a hearing", tag="hearings",
              body=NewHearing, ok=201, result="Hearing")
async def schedule(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, NewHearing)
    hearing = await request.app[SERVICES].scheduling.schedule_hearing(actor, ScheduleHearing(
        case_id=body.case_id, kind=body.kind, title=body.title,
        scheduled_at=body.scheduled_at, presiding_user_id=body.presiding_user_id))
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
              tag="hearings", auth="staff_or_token", body=HearingTransition, result="Hearing")
async def transition(request: web.Request) -> web.Response:
    hearing_id = request.match_info["hearing_id"]
    actor = await actor_for(request, hearing_id)
    body = await read_payload(request, HearingTransition)
    hearing = await request.app[SERVICES].control.change_hearing(
        actor, ChangeHearing(hearing_id, body.action, body.reason))
    return web.json_response(hearing_json(hearing))


@routes.route("POST", "/api/hearings/{hearing_id}/participants", summary="Invite a participant",
              tag="hearings", body=Invitation, ok=201, result="Participant")
async def invite(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, Invitation)
    digits = invite_digits(body)
    participant = await request.app[SERVICES].scheduling.invite(actor, InviteParticipant(
        hearing_id=request.match_info["hearing_id"], name=body.name, role=body.role,
        site_id=body.site_id, staff_user_id=body.staff_user_id, minor=body.minor))
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
              tag="hearings", auth="none", body=JoinCode, result="Admission")
async def join(request: web.Request) -> web.Response:
    body = await read_payload(request, JoinCode)
    admission = await request.app[SERVICES].access.admit_token(body.code, body.hearing_id)
    return web.json_response({
        "hearing": hearing_json(admission.hearing, with_participants=False),
        "participant": participant_json(admission.participant)})
