"""Rescheduling a hearing that has not opened (hearings/services/rescheduling.py): the clerk moves
it,
and each participant who consented to electronic service is told by e-mail."""

from __future__ import annotations

from aiohttp import web

from web.http.auth import staff_for
from web.http.payloads import Payload, Time, read_payload
from web.http.routing import ApiRoutes
from web.keys import SERVICES

__all__ = ["routes"]

routes = ApiRoutes()


class Reschedule(Payload):
    scheduled_at: Time


@routes.route("POST", "/api/hearings/{hearing_id}/reschedule", summary="Move a hearing that "
              "has not opened to another time; participants who consented to electronic "
              "service get a rescheduling notice with a fresh join link (clerk)",
              tag="hearings", body=Reschedule)
async def reschedule(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, Reschedule)
    hearing, notices = await request.app[SERVICES].rescheduling.reschedule(
        actor, request.match_info["hearing_id"], body.scheduled_at)
    return web.json_response({"id": hearing.id, "state": hearing.state.value,
                              "scheduled_at": hearing.scheduled_at.isoformat(),
                              "notices": notices})
