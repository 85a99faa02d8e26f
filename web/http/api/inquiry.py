"""One Case, One Code (一案一码) over HTTP: staff see a case's inquiry code and switch it,
set a party's last 4 digits; anyone asks with a code and digits (no login).

Misses are counted per code in their own window (5 in 15 minutes), in Redis when
YUNTING_REDIS_URL is set so that every process counts the same (hearings/services/inquiries.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import Field

from hearings.domain.actors import Actor
from hearings.domain.cases import Case
from hearings.domain.inquiry import CaseInquiry, Progress, Stage, format_code, last4
from hearings.services.inquiries import INQUIRY_LIMIT, INQUIRY_WINDOW_SECONDS, Inquiries
from web.http.auth import staff_for
from web.http.payloads import Payload, read_payload
from web.http.routing import ApiRoutes
from web.http.throttle import FailureWindow, LoginFailures, RedisFailureWindow
from web.i18n import N_, negotiate, translations
from web.keys import SERVICES, SETTINGS
from web.settings import Settings

__all__ = ["INQUIRIES", "STAGES", "PartyDigits", "case_inquiry_json", "inquiry_ctx",
           "inquiry_url", "invite_digits", "progress_json", "routes", "set_invited_digits"]

routes = ApiRoutes()
INQUIRIES = web.AppKey("inquiries", Inquiries)

STAGES = {
    Stage.FILED: N_("Case filed"),
    Stage.SCHEDULED: N_("Hearing scheduled"),
    Stage.HEARD: N_("Hearing held"),
    Stage.MEDIATED: N_("Mediated"),
    Stage.CONCLUDED: N_("Case concluded"),
}



class InquirySwitch(Payload):
    enabled: bool | None = Field(None, description="the clerk's choice; a juvenile case is "
                                 "off until it is set to true")
    juvenile: bool | None = None


class PartyDigits(Payload):
    """The last 4 digits a party answers an inquiry with; an invitation
    (POST /api/hearings/{id}/participants) may carry them too."""

    id_number_last4: str | None = Field(None, examples=["123X"], description=(
        "last 4 characters of the ID number; \"\" forgets"))
    phone_last4: str | None = Field(None, examples=["5678"])


class InquiryQuery(Payload):
    """Checked by the inquiry itself (hearings/services/inquiries.py): a wrong code and wrong
    digits are refused alike."""

    checked_by_domain = ("code", "digits")
    code: Any = Field(None, json_schema_extra={"type": "string",
                                               "examples": ["7KQ2-M9XD-4HFT"]})
    digits: Any = Field(None, json_schema_extra={
        "type": "string", "examples": ["5678"],
        "description": "last 4 digits of a party's ID number or phone"})


def inquiry_url(settings: Settings, code: str) -> str:
    """The address a summons prints (as a QR) for a case's inquiry code."""
    return f"{settings.public_url.rstrip('/')}/inquiry?code={format_code(code)}"


def _refusals(settings: Settings) -> LoginFailures:
    if settings.redis_url:
        return RedisFailureWindow(settings.redis_url, INQUIRY_LIMIT, INQUIRY_WINDOW_SECONDS,
                                  prefix="yt:inquiry-unused:", tally_prefix="yt:inquiry:")
    return FailureWindow(INQUIRY_LIMIT, INQUIRY_WINDOW_SECONDS)


async def inquiry_ctx(app: web.Application) -> AsyncIterator[None]:
    """After the database: the service, and the window its misses are counted in."""
    refusals = _refusals(app[SETTINGS])
    app[INQUIRIES] = app[SERVICES].inquiries(refusals)
    yield
    await refusals.close()


def _inquiry_json(settings: Settings, case: Case, inquiry: CaseInquiry) -> dict[str, Any]:
    return {"case_id": case.id, "code": format_code(inquiry.code),
            "url": inquiry_url(settings, inquiry.code), "enabled": inquiry.enabled,
            "juvenile": case.juvenile, "open": inquiry.is_open(case)}


async def case_inquiry_json(request: web.Request, actor: Actor, case_id: str
                            ) -> dict[str, Any]:
    """The `inquiry` field of a case as staff see it."""
    case, inquiry = await request.app[INQUIRIES].of_case(actor, case_id)
    return _inquiry_json(request.app[SETTINGS], case, inquiry)


def invite_digits(body: PartyDigits) -> dict[str, str]:
    """The digits an invitation carries, checked before anyone is invited."""
    digits = {"id_number_last4": body.id_number_last4, "phone_last4": body.phone_last4}
    for name, value in digits.items():
        if value:
            last4(value, name)
    return {name: value for name, value in digits.items() if value is not None}


async def set_invited_digits(request: web.Request, actor: Actor, hearing_id: str,
                             participant_id: str, digits: dict[str, str]) -> None:
    if digits:
        await request.app[INQUIRIES].set_digits_at(actor, hearing_id, participant_id,
                                                   **digits)


def progress_json(request: web.Request, progress: Progress) -> dict[str, Any]:
    """All a query discloses: the stage and the next date (in the court's time zone)."""
    gettext = translations(negotiate(request)).gettext
    tz = ZoneInfo(request.app[SETTINGS].court_timezone)
    next_date = progress.next_date.astimezone(tz).isoformat() if progress.next_date else None
    return {"stage": progress.stage.value, "stage_label": gettext(STAGES[progress.stage]),
            "next_date": next_date}


@routes.route("GET", "/api/cases/{case_id}/inquiry", summary="A case's public inquiry code "
              "(一案一码) and whether it answers", tag="inquiry", result="CaseInquiry")
async def get_inquiry(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    case, inquiry = await request.app[INQUIRIES].of_case(actor, request.match_info["case_id"])
    return web.json_response(_inquiry_json(request.app[SETTINGS], case, inquiry))


@routes.route("PUT", "/api/cases/{case_id}/inquiry", summary="Turn a case's inquiry on or "
              "off, or mark the case juvenile (clerks of its court)", tag="inquiry",
              body=InquirySwitch, result="CaseInquiry")
async def switch_inquiry(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, InquirySwitch)
    case, inquiry = await request.app[INQUIRIES].configure(
        actor, request.match_info["case_id"], enabled=body.enabled, juvenile=body.juvenile)
    return web.json_response(_inquiry_json(request.app[SETTINGS], case, inquiry))


@routes.route("PUT", "/api/cases/{case_id}/inquiry/parties/{participant_id}",
              summary="Set the last 4 digits a party answers an inquiry with (stored as a "
              "digest)", tag="inquiry", body=PartyDigits, result="InquiryDigits")
async def set_digits(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, PartyDigits)
    participant_id = request.match_info["participant_id"]
    kinds = await request.app[INQUIRIES].set_digits(
        actor, request.match_info["case_id"], participant_id,
        id_number_last4=body.id_number_last4, phone_last4=body.phone_last4)
    return web.json_response({"participant_id": participant_id,
                              "kinds": [k.value for k in kinds]})


@routes.route("POST", "/api/inquiry", summary="Ask a case's stage and next date with its "
              "inquiry code and a party's last 4 digits (no login)", tag="inquiry",
              auth="none", body=InquiryQuery, result="InquiryProgress")
async def ask(request: web.Request) -> web.Response:
    body = await read_payload(request, InquiryQuery)
    progress = await request.app[INQUIRIES].ask(body.code, body.digits)
    return web.json_response(progress_json(request, progress))
