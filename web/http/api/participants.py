"""A participant in a live hearing, over REST: the host's lobby and removal, and the mute.

The same service handlers as the socket's `lobby.*`, `participant.remove` and
`participant.mute` (hearings/services/control.py), so the room is told the same way: the handler
records `ParticipantChanged` and signaling/follow.py tells the room after the commit.
"""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import Field

from hearings.domain.commands import ChangeParticipant
from hearings.services.control import HOST_PARTICIPANT_ACTIONS
from web.http.auth import actor_for
from web.http.payloads import OneOf, Payload, read_payload
from web.http.representations import participant_json
from web.http.routing import ApiRoutes
from web.keys import SERVICES

routes = ApiRoutes()



class ParticipantTransition(Payload):
    action: Annotated[str, OneOf(HOST_PARTICIPANT_ACTIONS)]


class Mute(Payload):
    muted: bool = True
    locked: bool = Field(False, description="mute and lock: the participant cannot unmute")

_PATH = "/api/hearings/{hearing_id}/participants/{participant_id}"


@routes.route("POST", f"{_PATH}/transitions", summary="Admit, deny, send back or remove a "
              "participant (the host)", tag="hearings", auth="staff_or_token",
              body=ParticipantTransition, result="Participant")
async def transition(request: web.Request) -> web.Response:
    hearing_id = request.match_info["hearing_id"]
    actor = await actor_for(request, hearing_id)
    body = await read_payload(request, ParticipantTransition)
    participant = await request.app[SERVICES].control.change_participant(
        actor, ChangeParticipant(hearing_id, request.match_info["participant_id"], body.action))
    return web.json_response(participant_json(participant))


@routes.route("PUT", f"{_PATH}/mute", summary="Mute (or unmute, or mute and lock) a "
              "participant: the host, or the participant themself", tag="hearings",
              auth="staff_or_token", body=Mute, result="Participant")
async def mute(request: web.Request) -> web.Response:
    hearing_id = request.match_info["hearing_id"]
    actor = await actor_for(request, hearing_id)
    body = await read_payload(request, Mute)
    participant = await request.app[SERVICES].control.set_mute(
        actor, hearing_id, request.match_info["participant_id"],
        muted=body.muted, locked=body.locked)
    return web.json_response(participant_json(participant))
