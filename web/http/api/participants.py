"""A participant in a live hearing, over REST: the host's lobby and removal, and the mute.

The same service handlers as the socket's `lobby.*`, `participant.remove` and
`participant.mute` (hearings/services/control.py), so the room is told the same way: the handler
records `ParticipantChanged` and signaling/follow.py tells the room after the commit.
"""

from __future__ import annotations

from aiohttp import web

from hearings.domain.commands import ChangeParticipant
from hearings.services.control import HOST_PARTICIPANT_ACTIONS
from web.http.auth import actor_for
from web.http.errors import ApiError
from web.http.payloads import read_body
from web.http.representations import participant_json
from web.http.routing import ApiRoutes
from web.keys import SERVICES, SETTINGS

routes = ApiRoutes()

TRANSITION = {"type": "object", "required": ["action"], "properties": {
    "action": {"enum": sorted(HOST_PARTICIPANT_ACTIONS)}}}
MUTE = {"type": "object", "properties": {
    "muted": {"type": "boolean", "description": "default true"},
    "locked": {"type": "boolean", "description": "mute and lock: the participant cannot "
               "unmute (default false)"}}}
_PATH = "/api/hearings/{hearing_id}/participants/{participant_id}"


@routes.route("POST", f"{_PATH}/transitions", summary="Admit, deny, send back or remove a "
              "participant (the host)", tag="hearings", auth="staff_or_token", body=TRANSITION,
              result="Participant")
async def transition(request: web.Request) -> web.Response:
    hearing_id = request.match_info["hearing_id"]
    actor = await actor_for(request, hearing_id)
    body = await read_body(request, request.app[SETTINGS].max_request_bytes)
    action = body.text("action")
    if action not in HOST_PARTICIPANT_ACTIONS:
        raise ApiError(400, "invalid_input", f"'action' must be in "
                       f"{sorted(HOST_PARTICIPANT_ACTIONS)} (got {action!r})")
    participant = await request.app[SERVICES].control.change_participant(
        actor, ChangeParticipant(hearing_id, request.match_info["participant_id"], action))
    return web.json_response(participant_json(participant))


@routes.route("PUT", f"{_PATH}/mute", summary="Mute (or unmute, or mute and lock) a "
              "participant: the host, or the participant themself", tag="hearings",
              auth="staff_or_token", body=MUTE, result="Participant")
async def mute(request: web.Request) -> web.Response:
    hearing_id = request.match_info["hearing_id"]
    actor = await actor_for(request, hearing_id)
    body = await read_body(request, request.app[SETTINGS].max_request_bytes)
    participant = await request.app[SERVICES].control.set_mute(
        actor, hearing_id, request.match_info["participant_id"],
        muted=body.flag("muted", True), locked=body.flag("locked"))
    return web.json_response(participant_json(participant))
