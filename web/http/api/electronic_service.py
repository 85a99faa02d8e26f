"""Electronic service (电子送达) for the clerk: a party's e-mail, mobile number and consent,
the notifications that could not be delivered after every attempt, and resending one.

Addresses and numbers are shown masked (z***@example.cn, 138****8000) in every answer; the
full ones are only ever written, never read back.
"""

from __future__ import annotations

import html
from typing import Any

from aiohttp import web
from pydantic import Field

from hearings.services.notifications import OTHER_MEANS, Notification, mask_email, mask_mobile
from web.http.auth import staff_for
from web.http.payloads import Payload, read_payload
from web.http.routing import ApiRoutes
from web.i18n import negotiate, translations
from web.keys import SERVICES

routes = ApiRoutes()


# The e-mail, the mobile number and the consent are the participant's to check, in its own
# words (hearings/domain/participants.py).
class PartyContact(Payload):
    checked_by_domain = ("consent_electronic_service",)
    email: Any = Field(None, json_schema_extra={
        "type": ["string", "null"], "maxLength": 254, "examples": ["zhang@example.cn"],
        "description": "null or empty: none"})
    mobile: Any = Field(None, json_schema_extra={
        "type": ["string", "null"], "maxLength": 32, "examples": ["+86 138 0013 8000"],
        "description": "a mainland China mobile number (11 digits starting 13-19; +86/86, "
                       "spaces and dashes are dropped); null or empty: none. Answers show it "
                       "masked (138****8000)"})
    consent_electronic_service: Any = Field(None, json_schema_extra={
        "type": "boolean", "description": "the party agreed to be served by e-mail and/or SMS"})


# The means is the outbox's to check, in its own words (hearings/services/notifications.py).
class ServedOtherwise(Payload):
    means: str = Field(json_schema_extra={"enum": [*sorted(OTHER_MEANS)]})


def undelivered_json(note: Notification) -> dict[str, Any]:
    return {
        "id": note.id, "hearing_id": note.hearing_id, "recipient": note.recipient,
        "recipient_name": note.recipient_name, "subject": note.subject,
        "address": note.masked_address, "mobile": note.masked_mobile,
        "attempts": note.attempts,
        "last_error": note.last_error, "created_at": note.created_at.isoformat(),
        "undelivered_at": note.undelivered_at.isoformat() if note.undelivered_at else None,
        "next_attempt_at": note.next_attempt_at.isoformat() if note.next_attempt_at else None,
        "sent_at": note.sent_at.isoformat() if note.sent_at else None,
        "opened_at": note.opened_at.isoformat() if note.opened_at else None,
    }


@routes.route("GET", "/api/served/{token}", summary="A recipient's delivery link (from "
              "their e-mail): the first opening records the receipt (time, address, user agent); "
              "the page shows the notice", tag="hearings", auth="none", produces="text/html",
              answers=(404,))
async def served(request: web.Request) -> web.Response:
    note = await request.app[SERVICES].outbox.open_delivery(
        request.match_info["token"], request.remote, request.headers.get("User-Agent"))
    _ = translations(negotiate(request)).gettext
    assert note.opened_at is not None
    document_link = (f'<p><a href="{html.escape(request.path)}/document">'
                     f'{html.escape(_("Download the document (PDF)"))}</a></p>\n'
                     if note.document_id else "")
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{html.escape(_("Delivery received"))}</title></head>
<body><main>
<h1>{html.escape(note.subject)}</h1>
<p>{html.escape(note.body).replace(chr(10), "<br>")}</p>
<p>{html.escape(_("This notice has been served on you; the time you first opened it is "
                   "kept as the receipt."))}</p>
{document_link}<p>{html.escape(_("Received at"))}: <time datetime="{note.opened_at.isoformat()}">{
    note.opened_at.isoformat(timespec="seconds")}</time></p>
</main></body></html>
"""
    return web.Response(text=page, content_type="text/html",
                        headers={"Cache-Control": "no-store"})


@routes.route("GET", "/api/notifications/undelivered", summary="Notifications given up on "
              "after every attempt, for the clerk's court (addresses masked)", tag="hearings")
async def undelivered(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    notes = await request.app[SERVICES].outbox.undelivered(actor)
    return web.json_response({"notifications": [undelivered_json(n) for n in notes]})


@routes.route("POST", "/api/notifications/{notification_id}/resend", summary="Put a "
              "notification back in the queue with its attempts counted from zero (clerk)",
              tag="hearings")
async def resend(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    note = await request.app[SERVICES].outbox.resend(actor, request.match_info["notification_id"])
    return web.json_response(undelivered_json(note))


@routes.route("POST", "/api/notifications/{notification_id}/served-otherwise", summary="Mark "
              "a notification served by another means (post, in person): not sent again "
              "(clerk)", tag="hearings", body=ServedOtherwise)
async def served_otherwise(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, ServedOtherwise)
    note = await request.app[SERVICES].outbox.mark_served(
        actor, request.match_info["notification_id"], body.means)
    return web.json_response(undelivered_json(note) | {"channel": note.channel})


@routes.route("PUT", "/api/hearings/{hearing_id}/participants/{participant_id}/contact",
              summary="A party's e-mail, mobile number and consent to electronic service "
              "(clerk; the answer masks both)", tag="hearings", body=PartyContact)
async def set_contact(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, PartyContact)
    participant = await request.app[SERVICES].outbox.set_contact(
        actor, request.match_info["hearing_id"], request.match_info["participant_id"],
        body.email, body.consent_electronic_service, body.mobile)
    return web.json_response({"participant_id": participant.id,
                              "email": mask_email(participant.email),
                              "mobile": mask_mobile(participant.mobile),
                              "consent_electronic_service":
                                  participant.consent_electronic_service})


@routes.route("GET", "/api/served/{token}/document", summary="The document a notice serves, "
              "over the recipient's delivery link (application/pdf); the download is recorded "
              "as the recipient's receipt of it", tag="hearings", auth="none",
              produces="application/pdf", answers=(404,))
async def served_document(request: web.Request) -> web.Response:
    document, data = await request.app[SERVICES].outbox.served_document(
        request.match_info["token"], request.remote, request.headers.get("User-Agent"))
    return web.Response(body=data, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{document.kind.value}-{document.id}.pdf"',
        "X-Document-SHA256": document.sha256, "Cache-Control": "private, no-store"})


@routes.route("POST", "/api/hearings/{hearing_id}/participants/{participant_id}/invitation",
              summary="Invite a participant who consented to electronic service by e-mail: "
              "the message carries a join link (and kiosk code) minted when it is sent, never "
              "stored; once per hearing time (clerk)", tag="hearings", ok=201)
async def invite(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    note = await request.app[SERVICES].outbox.invite(
        actor, request.match_info["hearing_id"], request.match_info["participant_id"])
    return web.json_response(undelivered_json(note) | {"kind": note.kind}, status=201)
