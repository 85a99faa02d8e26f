"""Documents: the signed PDF, its verification report, and receipts (proof of service)."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from hearings.domain.actors import Actor
from web.http.auth import actor_for
from web.http.payloads import Payload, read_payload
from web.http.routing import ApiRoutes
from web.keys import SERVICES

routes = ApiRoutes()


class DocumentReceipt(Payload):
    """How the recipient took the document; the document service checks it."""

    how: str = Field(json_schema_extra={"enum": ["screen", "print", "download"]})


# The query of every route that hands out a document's PDF.
READ_REASON = ({"name": "reason", "schema": {"type": "string", "maxLength": 500},
                "description": "why staff read the document (audited)"},)


async def signed_pdf(request: web.Request, actor: Actor, document_id: str) -> web.Response:
    """The document's PDF through DocumentService.read: a staff read is audited with its
    grounds and ?reason= (the transcript's and the plea statement's routes answer with it too)."""
    reason = request.query.get("reason", "").strip()[:500] or None
    document, data = await request.app[SERVICES].document_service.read(actor, document_id,
                                                                      reason)
    return web.Response(body=data, content_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{document.kind.value}-{document.id}.pdf"',
        "X-Document-SHA256": document.sha256, "Cache-Control": "private, no-store"})


@routes.route("GET", "/api/documents/{document_id}/pdf", summary="The document as signed "
              "(application/pdf); trial documents for trial staff only, staff reads audited "
              "with ?reason=", tag="documents", auth="staff_or_token", query=READ_REASON)
async def pdf(request: web.Request) -> web.Response:
    actor = await actor_for(request, allow_closed=True)
    return await signed_pdf(request, actor, request.match_info["document_id"])


@routes.route("GET", "/api/documents/{document_id}/verification", summary="docforge's "
              "verification report of the document", tag="documents", auth="staff_or_token",
              result="Verification")
async def verification(request: web.Request) -> web.Response:
    actor = await actor_for(request, allow_closed=True)
    report = await request.app[SERVICES].document_service.verification(
        actor, request.match_info["document_id"])
    return web.json_response(report)


@routes.route("POST", "/api/documents/{document_id}/receipts", summary="Record a receipt "
              "(proof of service; idempotent per recipient and how)", tag="documents",
              auth="staff_or_token", body=DocumentReceipt, ok=201, result="Receipt")
async def receipt(request: web.Request) -> web.Response:
    actor = await actor_for(request, allow_closed=True)
    body = await read_payload(request, DocumentReceipt)
    delivery = await request.app[SERVICES].document_service.receipt(
        actor, request.match_info["document_id"], body.how)
    return web.json_response({"id": delivery.id, "document_id": delivery.document_id,
                              "recipient": delivery.recipient, "how": delivery.how.value,
                              "sha256": delivery.sha256, "at": delivery.at.isoformat()},
                             status=201)
