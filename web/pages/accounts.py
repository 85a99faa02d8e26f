"""Account pages: a user changes their own password (`/account/password`), and an
administrator manages their court's staff accounts (`/admin/staff`).

Both are shells like every page (web/pages/hearings.py): the data and the writes go through the
API (web/http/api/accounts.py), where the policy decides. A session opened with a one-time
password opens only the change form: `password_change_gate` sends every other page there
(the API answers 403 `password_change_required`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from hearings.domain.actors import Actor
from hearings.domain.courts import Court
from hearings.domain.errors import Unauthenticated
from hearings.domain.password_policy import MIN_LENGTH
from hearings.domain.staff import StaffRole, StaffUser
from hearings.services.access import PasswordChangeRequired
from web.http.auth import SESSION_COOKIE
from web.i18n import N_, negotiate, translations
from web.keys import SERVICES
from web.pages.hearings import _refused, _safe_next, _to_login, render

__all__ = ["ACCOUNT_PAGES", "password_change_gate"]

ACCOUNT_PAGES = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PASSWORD_PAGE = "/account/password"

ROLE_NAMES = {
    StaffRole.ADMIN: N_("Administrator"),
    StaffRole.CLERK: N_("Clerk"),
    StaffRole.JUDGE: N_("Judge"),
    StaffRole.MEDIATOR: N_("Mediator"),
}
async def _user(request: web.Request, *, changing_password: bool = False
                ) -> StaffUser | None:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    try:
        _, user = await request.app[SERVICES].access.session(
            secret, changing_password=changing_password)
    except Unauthenticated:
        return None
    return user


@ACCOUNT_PAGES.get(PASSWORD_PAGE)
async def password_page(request: web.Request) -> web.StreamResponse:
    user = await _user(request, changing_password=True)
    if user is None:
        raise _to_login(request)
    return render(request, "account_password.html", user=user,
                  forced=user.must_change_password, min_length=MIN_LENGTH,
                  next=_safe_next(request.query.get("next", "")))


@ACCOUNT_PAGES.get("/admin/staff")
async def staff_page(request: web.Request) -> web.StreamResponse:
    user = await _user(request)
    if user is None:
        raise _to_login(request)
    if user.role is not StaffRole.ADMIN:
        return _refused(request, 403, "forbidden")
    gettext = translations(negotiate(request)).gettext
    courts: list[Court] = await request.app[SERVICES].scheduling.courts(Actor.staff(user))
    return render(
        request, "admin_staff.html", user=user, all_courts=user.court_id is None,
        courts=[{"id": c.id, "label": f"{c.code} {c.name}"} for c in courts],
        roles=[{"value": r.value, "label": gettext(n)} for r, n in ROLE_NAMES.items()])


@web.middleware
async def password_change_gate(request: web.Request, handler: Handler
                               ) -> web.StreamResponse:
    """A page asked for with a one-time password goes to the change form first."""
    try:
        return await handler(request)
    except PasswordChangeRequired:
        if request.path.startswith("/api/") or request.method != "GET":
            raise
        raise web.HTTPFound(
            f"{PASSWORD_PAGE}?next={quote(request.rel_url.path_qs)}") from None
