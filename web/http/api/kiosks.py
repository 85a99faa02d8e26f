"""Clinic kiosks (hearings/services/kiosks.py): the court enrolls a kiosk to a site — a device
credential shown once, as the setup link the kiosk opens (/kiosk/enroll?code=…, which
stores it in an HttpOnly cookie) — lists a site's kiosks and revokes one."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web
from pydantic import Field

from hearings.services.kiosks import Kiosk, Kiosks
from web.http.auth import staff_for
from web.http.payloads import Payload, read_payload
from web.http.routing import ApiRoutes
from web.keys import SERVICES, SETTINGS

routes = ApiRoutes()


class KioskEnrollment(Payload):
    # The length is the domain's to check, in its own words (hearings/services/kiosks.py).
    label: str = Field(examples=["村委会一号机"],
                       json_schema_extra={"minLength": 1, "maxLength": 100})


def kiosks_service(app: web.Application) -> Kiosks:
    return app[SERVICES].kiosks


def kiosk_json(kiosk: Kiosk) -> dict[str, Any]:
    return {"id": kiosk.id, "site_id": kiosk.site_id, "label": kiosk.label,
            "created_at": kiosk.created_at.isoformat(),
            "revoked_at": kiosk.revoked_at.isoformat() if kiosk.revoked_at else None}


@routes.route("POST", "/api/sites/{site_id}/kiosks",
              summary="Enroll a kiosk to a site: its device credential is answered once, "
              "as the setup link to open on the kiosk; for the clerks of the site's court",
              tag="scheduling", body=KioskEnrollment, ok=201, result="EnrolledKiosk")
async def enroll(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, KioskEnrollment)
    secret, kiosk = await kiosks_service(request.app).enroll(
        actor, request.match_info["site_id"], body.label)
    base = request.app[SETTINGS].public_url.rstrip("/")
    return web.json_response(kiosk_json(kiosk) | {
        "secret": secret, "setup_url": f"{base}/kiosk/enroll?code={quote(secret)}"},
        status=201)


@routes.route("GET", "/api/sites/{site_id}/kiosks", summary="The kiosks enrolled to a site",
              tag="scheduling", result="Kiosk[]")
async def list_kiosks(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    kiosks = await kiosks_service(request.app).of_site(actor, request.match_info["site_id"])
    return web.json_response([kiosk_json(k) for k in kiosks])


@routes.route("POST", "/api/kiosks/{kiosk_id}/revoke",
              summary="Revoke a kiosk: its credential opens nothing any more",
              tag="scheduling", result="Kiosk")
async def revoke(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    kiosk = await kiosks_service(request.app).revoke(actor, request.match_info["kiosk_id"])
    return web.json_response(kiosk_json(kiosk))
