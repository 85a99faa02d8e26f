"""Server-rendered pages (jinja2, autoescaped), translated per request.

The pages are shells: who may open one is decided here, everything live comes over
socket.io through the page's ES module (web/static/js/). No page carries an inline
script; values the module needs travel in data-* attributes or a JSON data block.
"""

from __future__ import annotations

import asyncio
import math
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from hearings.domain.actors import Actor
from hearings.domain.errors import (
    HearingsError,
    InvalidInput,
    PermissionDenied,
    TokenRefused,
    Unauthenticated,
)
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.participants import Role
from hearings.domain.staff import StaffRole, StaffUser
from hearings.domain.states import RecordingState, TranscriptState
from hearings.services.access import Admission, TooManyAttempts
from hearings.services.kiosks import is_kiosk_code
from hearings.services.particulars import Setting
from web.http.api.kiosks import kiosks_service
from web.http.auth import SESSION_COOKIE
from web.i18n import LOCALES, N_, catalog, negotiate, translations
from web.keys import ARCHIVE, ICE_SERVERS, SERVICES, SETTINGS
from web.labels import REFUSALS, ROLES, STATES

__all__ = ["PAGES", "STATIC_DIR", "TEMPLATES", "make_environment", "render"]

PAGES = web.RouteTableDef()
TEMPLATES = web.AppKey("templates", jinja2.Environment)
STATIC_DIR = Path(__file__).parent.parent / "static"
CONSOLE_ROLES = (StaffRole.JUDGE, StaffRole.CLERK, StaffRole.ADMIN)
HOSTS = (Role.JUDGE, Role.MEDIATOR)


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    return env


def render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    locale = negotiate(request)
    env = request.app[TEMPLATES]
    t = translations(locale)
    other = "en" if locale == "zh_CN" else "zh-CN"
    settings = request.app.get(SETTINGS)
    # Every page's RTCPeerConnections (rtc.js) gather relayed candidates only when the
    # deployment is relay-only, as the server's media peer does (YUNTING_ICE_RELAY_ONLY).
    ice_policy = "relay" if settings is not None and settings.ice_relay_only else "all"
    html = env.get_template(name).render(
        lang="zh-CN" if locale == "zh_CN" else "en", _=t.gettext, gettext=t.gettext,
        ngettext=t.ngettext, switch_lang=other, ice_policy=ice_policy, **context)
    response = web.Response(text=html, content_type="text/html", status=status)
    if "lang" in request.query and request.query["lang"].replace("-", "_") in LOCALES:
        response.set_cookie("yunting_lang", request.query["lang"], samesite="Strict", path="/",
                            max_age=365 * 86400)
    return response


PAGE_REFUSALS = {
    "forbidden": N_("This page is not for your role."),
    "not_found": N_("There is no such hearing."),
}


def _refused(request: web.Request, status: int, code: str, kiosk: bool = False
             ) -> web.Response:
    gettext = translations(negotiate(request)).gettext
    reason = REFUSALS.get(code) or PAGE_REFUSALS.get(code) or REFUSALS["unknown_token"]
    if kiosk:
        return render(request, "kiosk.html", status=status, refusal=code, reason=gettext(reason))
    return render(request, "refused.html", status=status, code=code, reason=gettext(reason))


def throttled_page(response: web.Response, throttled: TooManyAttempts) -> web.Response:
    response.headers["Retry-After"] = str(max(1, math.ceil(throttled.retry_after)))
    return response


async def _staff(request: web.Request) -> StaffUser | None:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    try:
        _, user = await request.app[SERVICES].access.session(secret)
    except Unauthenticated:
        return None
    return user


def _to_login(request: web.Request) -> web.HTTPFound:
    return web.HTTPFound(f"/login?next={quote(request.rel_url.path_qs)}")


@PAGES.get("/")
async def index(request: web.Request) -> web.Response:
    return render(request, "index.html")


@PAGES.get("/i18n/{locale}.json")
async def messages(request: web.Request) -> web.Response:
    """The JS message catalog, generated from the same .po the templates use."""
    locale = request.match_info["locale"].replace("-", "_")
    if locale not in LOCALES:
        raise web.HTTPNotFound()
    return web.json_response(catalog(locale), headers={"Cache-Control": "max-age=300"})


@PAGES.get("/login")
async def login(request: web.Request) -> web.Response:
    return render(request, "login.html", next=_safe_next(request.query.get("next", "")))


def _safe_next(target: str) -> str:
    """Only a path on this site: never an open redirect.

    Parsed and rebuilt from its path and query. Refused, as a browser could read another
    origin into them: control characters and whitespace (a browser drops a tab or a
    newline, so `/<TAB>/evil` is `//evil`), backslashes (read as `/`), a scheme or a host,
    and a path that starts with `//` — checked before and after percent-decoding.
    """
    home, decoded = "/hearings", unquote(target)
    if any(c == "\\" or c.isspace() or unicodedata.category(c)[0] in "CZ"
           for c in target + decoded):
        return home
    if not all(t.startswith("/") and not t.startswith("//") for t in (target, decoded)):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or unquote(parts.path)[:2] == "//":
        return home
    return urlunsplit(("", "", parts.path, parts.query, ""))


@PAGES.get("/hearings")
async def staff_home(request: web.Request) -> web.StreamResponse:
    user = await _staff(request)
    if user is None:
        raise _to_login(request)
    tz = ZoneInfo(request.app[SETTINGS].court_timezone)
    try:
        day = date.fromisoformat(request.query.get("date", ""))
    except ValueError:
        day = datetime.now(tz).date()
    hearings = await request.app[SERVICES].scheduling.hearings_of_day(Actor.staff(user), day)
    gettext = translations(negotiate(request)).gettext
    rows = [{"id": h.id, "title": h.title, "state": gettext(STATES[h.state]),
             "time": h.scheduled_at.astimezone(tz).strftime("%H:%M"),
             "href": (f"/mediations/{h.id}/console" if h.kind is HearingKind.MEDIATION
                      else f"/hearings/{h.id}/console")} for h in hearings]
    return render(request, "hearings.html", user=user, day=day.isoformat(), rows=rows)


@PAGES.get("/hearings/{hearing_id}/console")
async def console(request: web.Request) -> web.StreamResponse:
    user = await _staff(request)
    if user is None:
        raise _to_login(request)
    if user.role not in CONSOLE_ROLES and user.role is not StaffRole.MEDIATOR:
        return _refused(request, 403, "forbidden")
    try:  # the policy decides (another court's hearing is refused)
        hearing = await request.app[SERVICES].scheduling.hearing(
            Actor.staff(user), request.match_info["hearing_id"])
    except PermissionDenied:
        return _refused(request, 403, "forbidden")
    except HearingsError:
        return _refused(request, 404, "not_found")
    # a mediator hosts only what they preside (an e+ clinic consultation booked with them)
    if user.role is StaffRole.MEDIATOR and hearing.presiding_user_id != user.id:
        return _refused(request, 403, "forbidden")
    seat = next((p for p in hearing.participants if p.staff_user_id == user.id), None)
    if hearing.is_over:  # nothing live is left: a read-only summary, no camera, no controls
        return await _closed_console(request, hearing, Actor.staff(user), user=user,
                                     me_name=seat.name if seat else user.display_name)
    return await _console(request, hearing, Actor.staff(user),
                          seat.id if seat else f"staff:{user.id}", token="",
                          me_name=seat.name if seat else user.display_name, user=user)


async def _console(request: web.Request, hearing: Hearing, actor: Actor, me: str, token: str,
                   me_name: str, user: StaffUser | None = None) -> web.Response:
    setting = await request.app[SERVICES].particulars.setting(actor, hearing.id)
    return render(request, "console.html", hearing=hearing, me=me, token=token, me_name=me_name,
                  case_number=setting.case.number, roster=_roster(request, setting), user=user,
                  ice_servers=request.app[ICE_SERVERS].for_user(me))


RECORDING_LABELS = {
    RecordingState.STANDBY: N_("Recording on standby"), RecordingState.RECORDING: N_("Recording"),
    RecordingState.PAUSED: N_("Recording paused"),
    RecordingState.PROCESSING: N_("Recording being archived"),
    RecordingState.AVAILABLE: N_("Recording archived"),
    RecordingState.INCOMPLETE: N_("Recording archived with gaps"),
    RecordingState.FAILED: N_("RECORDING FAILED"),
}
RECORD_LABELS = {
    TranscriptState.DRAFTING: N_("Being written"), TranscriptState.SIGNING: N_("Being signed"),
    TranscriptState.SIGNED: N_("Signed and sealed"),
}
# Audit actions that put a participant inside the hearing (the lobby's admit, a witness
# called in) and that show they connected at all.
_ADMITTED = frozenset({"participant.admit", "witness.called"})
_CONNECTED = frozenset({"participant.connect", *_ADMITTED})
_LIVE_RECORDING = (RecordingState.RECORDING, RecordingState.PAUSED, RecordingState.PROCESSING)


async def _closed_console(request: web.Request, hearing: Hearing, actor: Actor, *,
                          user: StaffUser | None, me_name: str) -> web.Response:
    """A closed (or cancelled) hearing's console: the transcript, the recording's state
    and links, and who attended — read from the database, the archive and the audit log."""
    services = request.app[SERVICES]
    gettext = translations(negotiate(request)).gettext
    tz = ZoneInfo(request.app[SETTINGS].court_timezone)

    def when(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    try:
        transcript = (await services.transcripts.view(actor, hearing.id)).transcript
    except HearingsError:
        transcript = None
    record_state = transcript.state if transcript else TranscriptState.DRAFTING
    slots = [{"signer": s.signer, "role": s.role, "signed": bool(s.signed_at)}
             for s in (transcript.slots
                       if transcript and transcript.state is not TranscriptState.DRAFTING else [])]
    archive = request.app[ARCHIVE]
    files = await asyncio.to_thread(archive.files, hearing.id)
    duration = await asyncio.to_thread(archive.duration, hearing.id, files)
    entries = await services.particulars.trail(actor, hearing.id, "hearing.read")
    first: dict[str, datetime] = {}
    inside: dict[str, datetime] = {}
    for entry in entries:
        pid = entry.payload.get("participant_id")
        if not isinstance(pid, str):
            continue
        if entry.action in _CONNECTED:
            first.setdefault(pid, entry.at)
        if entry.action in _ADMITTED:
            inside.setdefault(pid, entry.at)
    setting = await services.particulars.setting(actor, hearing.id)
    roster = _roster(request, setting)
    people = [{"id": p.id, "name": p.name, "role": roster[p.id]["role_label"],
               "site": roster[p.id]["site"],
               "attended": "in_hearing" if p.id in inside else
               "lobby" if p.id in first else "absent",
               "joined_at": when(inside.get(p.id) or first.get(p.id))}
              for p in hearing.participants]
    return render(
        request, "console_closed.html", hearing=hearing, user=user, me_name=me_name,
        case_number=setting.case.number,
        state_label=gettext(STATES[hearing.state]),
        started=when(hearing.started_at), closed=when(hearing.closed_at),
        record_state=record_state.value, record_label=gettext(RECORD_LABELS[record_state]),
        record_pdf=bool(transcript and transcript.document_id), slots=slots,
        recording_state=hearing.recording_state.value,
        recording_label=gettext(RECORDING_LABELS[hearing.recording_state]),
        recording_files=len([f for f in files if f.kind in ("segment", "composite")]),
        recording_sealed=any(f.kind == "manifest" for f in files),
        duration=f"{int(duration) // 60}:{int(duration) % 60:02d}" if duration else "",
        may_package=hearing.recording_state not in _LIVE_RECORDING and bool(files),
        archive_link=bool(user and user.role in (StaffRole.CLERK, StaffRole.ADMIN)),
        people=people)


@PAGES.get("/join/{secret}")
async def join(request: web.Request) -> web.StreamResponse:
    return await _join(request, request.match_info["secret"], kiosk=request.query.get("kiosk")
                       == "1")


@PAGES.get("/kiosk")
async def kiosk(request: web.Request) -> web.Response:
    return render(request, "kiosk.html", refusal="", reason="")


@PAGES.post("/kiosk")
async def kiosk_join(request: web.Request) -> web.StreamResponse:
    """The code typed at a clinic kiosk: the page is rendered here, so the secret never
    lands in the shared PC's address bar or history."""
    form = await request.post()
    code = str(form.get("code", ""))[:80]
    if is_kiosk_code(code):  # the short code of a summons: only on an enrolled kiosk
        try:
            redeemed = await kiosks_service(request.app).redeem(
                request.cookies.get(KIOSK_COOKIE), code)
        except TokenRefused:  # which check failed is not told: one answer for all
            return _refused(request, 403, "unknown_token", True)
        except TooManyAttempts as throttled:
            return throttled_page(_refused(request, 429, throttled.code, True), throttled)
        code = redeemed.secret
    return await _join(request, code, kiosk=True)


KIOSK_COOKIE = "yunting_kiosk"


@PAGES.get("/kiosk/enroll")
async def kiosk_enroll(request: web.Request) -> web.StreamResponse:
    """The kiosk's setup step: the enrollment link (shown once to the clerk) stores the
    device credential in an HttpOnly cookie, then the start page takes over. The link's
    secret leaves the address bar at once (a redirect)."""
    secret = request.query.get("code", "")[:100]
    if await kiosks_service(request.app).kiosk(secret) is None:
        return _refused(request, 403, "unknown_token", True)
    response = web.HTTPSeeOther("/kiosk")
    response.set_cookie(KIOSK_COOKIE, secret, httponly=True, samesite="Strict", path="/",
                        secure=request.app[SETTINGS].secure_cookies,
                        max_age=10 * 365 * 24 * 3600)
    response.headers["Cache-Control"] = "no-store"
    raise response


async def _join(request: web.Request, secret: str, *, kiosk: bool) -> web.StreamResponse:
    access = request.app[SERVICES].access
    try:
        admission = await access.admit_token(secret, allow_closed=True)
        if admission.hearing.is_over and not await _signs_transcript(request, admission):
            admission = await access.admit_token(secret)  # refused (and audited): closed
    except TokenRefused as refused:
        return _refused(request, 403, refused.code, kiosk)
    except TooManyAttempts as throttled:  # a page, in the kiosk's words, not JSON
        return throttled_page(_refused(request, 429, throttled.code, kiosk), throttled)
    except InvalidInput:
        return _refused(request, 403 if not kiosk else 400, "unknown_token", kiosk)
    hearing, participant = admission.hearing, admission.participant
    if hearing.kind is HearingKind.MEDIATION:  # the mediation room has pages of its own
        suffix = "?kiosk=1" if kiosk else ""
        raise web.HTTPSeeOther(f"/mediations/join/{quote(secret)}{suffix}")
    if participant.role in HOSTS and hearing.kind is not HearingKind.MEDIATION:
        if hearing.is_over:
            return await _closed_console(request, hearing, Actor.participant(
                participant.id, participant.name, hearing.id, participant.role), user=None,
                me_name=participant.name)
        return await _console(request, hearing, Actor.participant(
            participant.id, participant.name, hearing.id, participant.role), participant.id,
            token=secret, me_name=participant.name)
    return await _participant(request, admission, secret, kiosk)


async def _signs_transcript(request: web.Request, admission: Admission) -> bool:
    """After the close a join link (or kiosk code) opens only the transcript, and only
    for someone on its signing order (docs/transcript.md)."""
    p = admission.participant
    actor = Actor.participant(p.id, p.name, admission.hearing.id, p.role)
    try:
        view = await request.app[SERVICES].transcripts.view(actor, admission.hearing.id)
    except HearingsError:
        return False
    transcript = view.transcript
    return transcript is not None and any(s.participant_id == p.id for s in transcript.slots)


async def _participant(request: web.Request, admission: Admission, secret: str, kiosk: bool
                       ) -> web.Response:
    gettext = translations(negotiate(request)).gettext
    hearing, participant = admission.hearing, admission.participant
    tz = ZoneInfo(request.app[SETTINGS].court_timezone)
    setting = await request.app[SERVICES].particulars.setting(Actor.participant(
        participant.id, participant.name, hearing.id, participant.role), hearing.id)
    site = setting.site_of(participant.id)
    site_name = site.name if site else ""
    kiosk = kiosk or (site is not None and site.device_profile == "kiosk")
    return render(
        request, "participant.html", hearing=hearing, participant=participant, secret=secret,
        kiosk=kiosk, site_name=site_name or gettext("Remote"),
        role_label=gettext(ROLES[participant.role]),
        state_label=gettext(STATES[hearing.state]),
        case_number=setting.case.number,
        scheduled=hearing.scheduled_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        scheduled_iso=hearing.scheduled_at.isoformat(), closed=hearing.is_over,
        interrogation=hearing.kind is HearingKind.REMOTE_INTERROGATION,
        ice_servers=request.app[ICE_SERVERS].for_user(participant.id))


def _roster(request: web.Request, setting: Setting) -> dict[str, dict[str, str]]:
    """Role and site of each participant, for the console's list (the socket has no sites)."""
    gettext = translations(negotiate(request)).gettext
    return {p.id: {"role": p.role.value, "role_label": gettext(ROLES[p.role]),
                   "site": site.name if (site := setting.site_of(p.id)) else gettext("Remote")}
            for p in setting.hearing.participants}
