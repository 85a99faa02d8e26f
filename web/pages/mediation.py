"""Pages of the mediation → judicial confirmation flow, the duty judge and the clerk.

Each page is a thin server-rendered shell: who may open it is checked here,
everything live (agreement, signatures, queue, ruling) comes from the JSON API
and the socket.io namespaces through the page's ES module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web

from hearings.domain.actors import Actor
from hearings.domain.errors import HearingsError, PermissionDenied, TokenRefused, Unauthenticated
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.participants import Participant, Role
from hearings.domain.staff import StaffRole, StaffUser
from hearings.services.access import TooManyAttempts
from web.http.auth import SESSION_COOKIE
from web.i18n import negotiate, translations
from web.keys import ICE_SERVERS, SERVICES, SETTINGS
from web.labels import REFUSALS, ROLES
from web.pages.hearings import render, throttled_page

__all__ = ["MEDIATION_PAGES"]

MEDIATION_PAGES = web.RouteTableDef()

CLERKS = (StaffRole.CLERK, StaffRole.ADMIN)
JUDGES = (StaffRole.JUDGE, StaffRole.ADMIN)
MEDIATORS = (StaffRole.MEDIATOR, StaffRole.JUDGE, StaffRole.ADMIN)


class _Refused(Exception):
    """A page that cannot be shown: carries the HTML response to send instead."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


Page = Callable[[web.Request, StaffUser], Awaitable[web.Response]]


def staff_page(path: str, roles: tuple[StaffRole, ...]) -> Callable[[Page], Page]:
    """A GET page for logged-in staff of `roles`: no session → the login page, else 403."""

    def register(handler: Page) -> Page:
        async def page(request: web.Request) -> web.StreamResponse:
            secret = request.cookies.get(SESSION_COOKIE)
            try:
                if not secret:
                    raise Unauthenticated("log in first")
                _, user = await request.app[SERVICES].access.session(secret)
            except Unauthenticated:
                raise web.HTTPFound(f"/login?next={quote(request.rel_url.path_qs)}") from None
            if user.role not in roles:
                return _refused(request, 403, "forbidden", "This page is not for your role.")
            try:
                return await handler(request, user)
            except _Refused as refused:
                return refused.response

        MEDIATION_PAGES.get(path)(page)
        return handler

    return register


def _refused(request: web.Request, status: int, code: str, reason: str) -> web.Response:
    gettext = translations(negotiate(request)).gettext
    return render(request, "refused.html", status=status, code=code, reason=gettext(reason))


async def _mediation(request: web.Request, hearing_id: str, user: StaffUser) -> Hearing:
    """The mediation, if the policy lets `user` read it (another court's is refused)."""
    try:
        hearing: Hearing | None = await request.app[SERVICES].scheduling.hearing(
            Actor.staff(user), hearing_id, "mediation.read")
    except PermissionDenied:
        raise _Refused(_refused(request, 403, "forbidden",
                                "This page is not for your role.")) from None
    except HearingsError:
        hearing = None
    if hearing is None or hearing.kind is not HearingKind.MEDIATION:
        raise _Refused(_refused(request, 404, "not_found", "There is no such mediation."))
    return hearing


def _ice_servers(request: web.Request, user: str) -> list[dict[str, Any]]:
    """The browser's RTCIceServer list (the same servers the server's peer uses), with TURN
    credentials of its own for `user`."""
    return request.app[ICE_SERVERS].for_user(user)


def _strings(request: web.Request, messages: dict[str, str]) -> dict[str, str]:
    """Messages the page's module shows, translated for this request (a JSON data block)."""
    gettext = translations(negotiate(request)).gettext
    return {key: gettext(text) for key, text in messages.items()}


def _seat_of(hearing: Hearing, user: StaffUser) -> Participant | None:
    return next((p for p in hearing.participants if p.staff_user_id == user.id), None)


# Messages shown by the modules (marked here so extraction finds them in one place).
ROOM_MESSAGES = {
    "state.open": "Mediation open", "state.agreement_drafted": "Agreement drafted",
    "state.signing": "Signing", "state.signed": "Signed by everyone",
    "state.confirmation_requested": "Judicial confirmation applied for",
    "state.confirmed": "Confirmed by the court", "state.rejected": "Confirmation rejected",
    "state.withdrawn": "Application withdrawn",
    "signed": "Signed", "waiting": "Waiting", "your_turn": "Your turn to sign",
    "not_your_turn": "Please wait: the others are signing in order.",
    "pad_empty": "Please sign on the pad first.",
    "sent": "Signature recorded", "refused": "You refused to sign; the mediator has been told.",
    "reason_needed": "Please give a reason.",
    "ruling_delivered": "The court's ruling has arrived",
    "confirm": "Ruling: the agreement is confirmed", "reject": "Ruling: confirmation rejected",
    "error": "Something went wrong", "connected": "Connected", "disconnected": "Reconnecting…",
    "timing.applied": "Applied", "timing.taken": "Taken by a judge",
    "timing.judge_joined": "Judge joined", "timing.decided": "Decided",
    "timing.delivered": "Delivered",
    "obligor": "Obligor", "obligee": "Obligee", "obligation": "Obligation",
    "amount_yuan": "Amount (yuan)", "deadline": "Deadline", "remove": "Remove",
    "saved": "Agreement saved", "no_camera": "No camera: the snapshot could not be taken.",
    "print_sent": "Sent to the printer", "already_taken": "Already taken by {by}",
    "taken": "Taken", "take": "Take", "new_application": "New application",
    "withdrawn": "Withdrawn", "empty_queue": "No applications waiting.",
    "decided": "Decision recorded; the ruling is on its way to the mediation room.",
    "valid": "valid", "invalid": "NOT valid", "no_results": "Nothing found.",
    "invited": "Invited", "scheduled": "Hearing scheduled", "admit": "Admit",
    "another_judge": "another judge", "you": "you",
    "app.queued": "Waiting for a duty judge", "app.taken": "Under review",
    "app.decided": "Decided", "app.withdrawn": "Withdrawn",
    "sealed": "Sealed", "not_sealed": "Not sealed yet", "play": "Play",
    "incomplete": "Sealed, incomplete — missing: {gaps}",
    "composite_failed": "no composite (processing failed)",
    "package": "Evidence package", "verify": "Verify", "files_checked": "Files checked",
    "timestamp": "Timestamp",
    "field.court_seal": "Court seal", "field.party": "Party {n}", "field.mediator": "Mediator",
    "field.judge": "Judge", "field.clerk": "Clerk", "field.timestamp": "Document timestamp",
    "help_requested": "{name} asks for help", "help_sent": "The clerk has been asked to help you.",
    "devices_refused": "Access to the camera or microphone was refused in my browser.",
}


@staff_page("/mediations/{hearing_id}/console", MEDIATORS)
async def console(request: web.Request, user: StaffUser) -> web.Response:
    hearing = await _mediation(request, request.match_info["hearing_id"], user)
    seat = _seat_of(hearing, user)
    return render(request, "mediation_console.html", hearing=hearing, user=user,
                  seat_id=seat.id if seat else "", strings=_strings(request, ROOM_MESSAGES),
                  ice_servers=_ice_servers(request, seat.id if seat else f"staff:{user.id}"))


@MEDIATION_PAGES.get("/mediations/join/{secret}")
async def party_view(request: web.Request) -> web.Response:
    """A party's view of the mediation, reached from their join link; kiosk sites get big type."""
    gettext = translations(negotiate(request)).gettext
    secret = request.match_info["secret"]
    services = request.app[SERVICES]
    try:
        admission = await services.access.admit_token(secret)
    except TokenRefused as refused:
        return render(request, "refused.html", status=403, code=refused.code,
                      reason=gettext(REFUSALS[refused.code]))
    except TooManyAttempts as throttled:
        return throttled_page(render(request, "refused.html", status=429, code=throttled.code,
                                     reason=gettext(REFUSALS[throttled.code])), throttled)
    hearing, participant = admission.hearing, admission.participant
    if hearing.kind is not HearingKind.MEDIATION:
        raise web.HTTPFound(f"/join/{secret}")
    if participant.role is Role.MEDIATOR:
        raise web.HTTPFound(f"/mediations/{hearing.id}/console")
    setting = await services.particulars.setting(Actor.participant(
        participant.id, participant.name, hearing.id, participant.role), hearing.id)
    site = setting.site_of(participant.id)
    site_name = site.name if site else ""
    kiosk = request.query.get("kiosk") == "1" or (site is not None
                                                  and site.device_profile == "kiosk")
    return render(request, "mediation_party.html", hearing=hearing, participant=participant,
                  role_label=gettext(ROLES[participant.role]), secret=secret,
                  site_name=site_name or gettext("Remote"), kiosk=kiosk,
                  strings=_strings(request, ROOM_MESSAGES),
                  ice_servers=_ice_servers(request, participant.id))


@staff_page("/duty", JUDGES)
async def duty_queue(request: web.Request, user: StaffUser) -> web.Response:
    return render(request, "duty_queue.html", user=user, strings=_strings(request, ROOM_MESSAGES))


@staff_page("/duty/applications/{application_id}", JUDGES)
async def duty_review(request: web.Request, user: StaffUser) -> web.Response:
    return render(request, "duty_review.html", user=user,
                  application_id=request.match_info["application_id"],
                  strings=_strings(request, ROOM_MESSAGES),
                  ice_servers=_ice_servers(request, f"staff:{user.id}"))


@staff_page("/clerk", CLERKS)
async def clerk_schedule(request: web.Request, user: StaffUser) -> web.Response:
    judges: list[StaffUser] = []
    if user.court_id:  # the presiding judge is chosen by name, not typed as an id
        judges = await request.app[SERVICES].particulars.judges(Actor.staff(user),
                                                                user.court_id)
    # The day list opens on the court's calendar day, which the API's `date` means too;
    # the browser's own day differs wherever its clock is not the court's time zone.
    court_today = datetime.now(ZoneInfo(request.app[SETTINGS].court_timezone)).date()
    return render(request, "clerk_schedule.html", user=user, roles=_role_options(request),
                  judges=[(j.id, j.display_name) for j in judges],
                  court_today=court_today.isoformat(),
                  strings=_strings(request, ROOM_MESSAGES), **_clerk_nav("schedule"))


@staff_page("/clerk/recordings", CLERKS)
async def clerk_recordings(request: web.Request, user: StaffUser) -> web.Response:
    return render(request, "clerk_recordings.html", user=user,
                  strings=_strings(request, ROOM_MESSAGES), **_clerk_nav("recordings"))


@staff_page("/clerk/stats", CLERKS)
async def clerk_stats(request: web.Request, user: StaffUser) -> web.Response:
    return render(request, "clerk_stats.html", user=user,
                  strings=_strings(request, ROOM_MESSAGES), **_clerk_nav("stats"))


@MEDIATION_PAGES.get("/clerk/hearings/{hearing_id}/record")
async def clerk_record_moved(request: web.Request) -> web.StreamResponse:
    """The transcript page's path before the rename (docs/transcript.md, "Names")."""
    hearing_id = quote(request.match_info["hearing_id"], safe="")
    raise web.HTTPMovedPermanently(f"/clerk/hearings/{hearing_id}/transcript")


@staff_page("/clerk/hearings/{hearing_id}/transcript", (StaffRole.CLERK, StaffRole.JUDGE,
                                                         StaffRole.ADMIN))
async def clerk_transcript(request: web.Request, user: StaffUser) -> web.Response:
    """The transcript (笔录), kept live by the clerk; the judge reads, corrects, signs."""
    try:  # the policy decides: trial staff of the hearing's court
        view = await request.app[SERVICES].transcripts.view(Actor.staff(user),
                                                        request.match_info["hearing_id"])
    except PermissionDenied:
        return _refused(request, 403, "forbidden", "This page is not for your role.")
    except HearingsError:
        return _refused(request, 404, "not_found", "There is no such hearing.")
    hearing, case = view.hearing, view.case
    return render(request, "clerk_transcript.html", user=user, hearing=hearing,
                  case_number=case.number, **_clerk_nav("record"))


def _clerk_nav(active: str) -> dict[str, Any]:
    return {"active": active}


def _role_options(request: web.Request) -> list[tuple[str, str]]:
    gettext = translations(negotiate(request)).gettext
    return [(role.value, gettext(label)) for role, label in ROLES.items()]
