"""The outbox as the clerk sees it: who was notified of what, and whether it went out."""

from __future__ import annotations

from aiohttp import web

from hearings.services.notifications import Notification
from web.http.auth import staff_for
from web.http.routing import ApiRoutes
from web.keys import SERVICES

routes = ApiRoutes()


def _json(note: Notification) -> dict[str, object]:
    return {
        "id": note.id, "recipient": note.recipient, "recipient_name": note.recipient_name,
        "subject": note.subject, "body": note.body, "document_id": note.document_id,
        "created_at": note.created_at.isoformat(),
        "sent_at": note.sent_at.isoformat() if note.sent_at else None,
        "channel": note.channel if note.sent_at else None,
        "attempts": note.attempts, "last_error": note.last_error,
        "address": note.masked_address,  # e-mail, masked (electronic service)
        "mobile": note.masked_mobile,  # SMS, masked (138****8000)
        "next_attempt_at": note.next_attempt_at.isoformat() if note.next_attempt_at else None,
        "undelivered_at": note.undelivered_at.isoformat() if note.undelivered_at else None,
        "opened_at": note.opened_at.isoformat() if note.opened_at else None,
    }


@routes.route("GET", "/api/hearings/{hearing_id}/notifications", summary="Notifications to "
              "parties outside the room, sent or waiting (staff of the court)", tag="hearings")
async def notifications(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    services, hearing_id = request.app[SERVICES], request.match_info["hearing_id"]
    await services.scheduling.hearing(actor, hearing_id, "notification.read")  # the policy
    notes = await services.outbox.of_hearing(actor, hearing_id)
    return web.json_response({"notifications": [_json(n) for n in notes]})
