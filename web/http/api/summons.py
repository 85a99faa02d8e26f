"""A participant's summons (传票) or notice to appear (出庭通知书) as a sealed PDF
(hearings/services/summons.py decides which and issues the join link it carries; docforge renders
and seals it). Never stored: the join link in its QR code is a credential (THREAT_MODEL.md).
"""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from aiohttp import web

from docforge.summons import seal_summons
from docforge.viewmodels import FROM_HEARINGS, Court, Party, Summons
from hearings.domain.identity import utcnow
from hearings.domain.inquiry import format_code
from hearings.services.summons import IssuedSummons
from web.http.api.inquiry import inquiry_url
from web.http.auth import staff_for
from web.http.routing import ApiRoutes
from web.i18n import translations
from web.keys import FORGE, SERVICES, SETTINGS
from web.labels import ROLES
from web.settings import Settings

routes = ApiRoutes()

ONLINE = "线上云庭（扫描下方二维码，用手机或电脑进入）"


@routes.route("POST", "/api/hearings/{hearing_id}/participants/{participant_id}/summons",
              summary="The participant's summons (传票, a party of a trial) or notice to "
              "appear (出庭通知书, everyone else) as a PDF sealed by the court: a new join "
              "link as a QR code, and the case's progress inquiry when it is open. Issues a "
              "new join link each time (audited; a POST with the CSRF header, so no "
              "cross-site request mints one); for those who may issue join links",
              tag="hearings", produces="application/pdf")
async def summons_pdf(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    settings = request.app[SETTINGS]
    issued = await request.app[SERVICES].summonses.issue(
        actor, request.match_info["hearing_id"], request.match_info["participant_id"])
    forge = request.app[FORGE]
    data = await asyncio.to_thread(
        seal_summons, summons_document(issued, settings), forge.source,
        development=forge.config.signing_backend == "dev")
    name = f"{issued.kind}-{_safe(issued.participant.id)}.pdf"
    return web.Response(body=data, content_type="application/pdf", headers={
        "Cache-Control": "private, no-store",
        "Content-Disposition": f'attachment; filename="{name}"'})


def summons_document(issued: IssuedSummons, settings: Settings) -> Summons:
    tz = ZoneInfo(settings.court_timezone)
    base = settings.public_url.rstrip("/")
    role = translations("zh_CN").gettext(ROLES[issued.participant.role])
    code = issued.inquiry_code
    return FROM_HEARINGS[issued.kind](
        Court(issued.court_name), issued.case_number, utcnow().astimezone(tz).date(),
        recipient=Party(issued.participant.name, role), hearing_title=issued.case_title,
        hearing_at=issued.hearing.scheduled_at.astimezone(tz),
        place=issued.site_name or ONLINE, join_url=f"{base}/join/{issued.secret}",
        inquiry_url=inquiry_url(settings, code) if code else None,
        inquiry_code=format_code(code) if code else None, kiosk_code=issued.kiosk_code)


def _safe(value: str) -> str:
    return "".join(ch for ch in value if ch.isascii() and (ch.isalnum() or ch in "-_"))[:64]
