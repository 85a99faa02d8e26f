"""The proof of electronic service (电子送达回证) of one notification as a PDF sealed by the
court: the document served, the recipient (address masked), each delivery attempt and
receipt, or the service by another means (hearings/services/service_proof.py compiles it; docforge
lays it out and seals it). For the court's clerks and administrators; audited."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from docforge.service_proof import AttemptRow, ReceiptRow, ServiceProof, seal_service_proof
from hearings.domain.identity import utcnow
from hearings.domain.participants import Role
from hearings.services.service_proof import ServiceFacts
from web.http.auth import staff_for
from web.http.routing import ApiRoutes
from web.i18n import translations
from web.keys import FORGE, SERVICES, SETTINGS
from web.labels import ROLES

routes = ApiRoutes()

MEANS = {"post": "邮寄送达 by post", "in_person": "直接送达 in person",
         "other": "其他方式 other means"}


@routes.route("GET", "/api/notifications/{notification_id}/proof-of-service.pdf",
              summary="The notification's proof of electronic service (电子送达回证) as a PDF "
              "sealed by the court: the document served (title, kind, SHA-256), the recipient "
              "(address masked), each delivery attempt, each receipt (the delivery link "
              "opened, the document downloaded) or the service by another means; for the "
              "court's clerks and administrators (notification.resend), audited",
              tag="hearings", produces="application/pdf")
async def proof_of_service_pdf(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    facts = await request.app[SERVICES].service_proofs.compile(
        actor, request.match_info["notification_id"])
    forge = request.app[FORGE]
    proof = service_proof(facts, ZoneInfo(request.app[SETTINGS].court_timezone))
    data = await asyncio.to_thread(seal_service_proof, proof, forge.source,
                                   development=forge.config.signing_backend == "dev")
    return web.Response(body=data, content_type="application/pdf", headers={
        "Cache-Control": "private, no-store",
        "Content-Disposition": f'attachment; filename="service-proof-{facts.notification.id}.pdf"'})


def service_proof(facts: ServiceFacts, tz: ZoneInfo) -> ServiceProof:
    def at(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %z")

    note = facts.notification
    gettext = translations("zh_CN").gettext
    try:
        role = gettext(ROLES[Role(facts.recipient_role)])
    except (ValueError, KeyError):
        role = facts.recipient_role
    receipts = []
    if note.opened_at is not None:
        receipts.append(ReceiptRow("打开送达链接 delivery link opened", at(note.opened_at),
                                   note.opened_from or "", note.opened_user_agent or ""))
    receipts += [ReceiptRow("下载文书 document downloaded", at(d.at), "", "")
                 for d in facts.downloads]
    attempts = [AttemptRow(a.number, at(a.at),
                           f"{a.channel} {a.to}" if a.to else a.channel,
                           "成功 delivered" if a.delivered else f"失败 failed: {a.error or ''}")
                for a in facts.attempts]
    if not attempts and note.attempts:  # sent before each attempt was audited: the totals
        last = note.sent_at or note.undelivered_at or note.created_at
        outcome = ("成功 delivered" if note.sent_at else f"失败 failed: {note.last_error or ''}")
        attempts = [AttemptRow(note.attempts, at(last), note.channel,
                               f"{outcome}（共 {note.attempts} 次，逐次未记录 "
                               "earlier attempts not itemised）")]
    other = facts.otherwise
    document = facts.document
    return ServiceProof(
        facts.court_name, facts.case_number, facts.case_title, note.subject,
        note.recipient_name, role, " / ".join(
            m for m in (note.masked_address, note.masked_mobile) if m) or "（无电子地址 none）",
        document_title=document.title if document else None,
        document_kind=document.kind.value if document else None,
        document_sha256=document.sha256 if document else None,
        attempts=attempts,
        receipts=receipts,
        otherwise=(f"{MEANS.get(other.means, other.means)}；经办 by {other.by}；"
                   f"{at(other.at)}") if other else None,
        compiled=at(utcnow()))
