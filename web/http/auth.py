"""Who is calling: a staff session cookie (with CSRF on writes) or a participant's join token."""

from __future__ import annotations

import secrets

from aiohttp import web

from hearings.domain.actors import Actor, require_staff
from hearings.domain.errors import Unauthenticated
from hearings.services.access import LoggedIn
from web.http.errors import ApiError
from web.keys import SERVICES, SETTINGS

__all__ = [
    "SESSION_COOKIE", "actor_for", "clear_session_cookie", "set_session_cookie", "staff_for",
]

SESSION_COOKIE = "yunting_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE = ("GET", "HEAD", "OPTIONS")


async def actor_for(request: web.Request, hearing_id: str | None = None, *,
                    allow_closed: bool = False, changing_password: bool = False) -> Actor:
    """The staff user behind the cookie, or the participant behind a Bearer join token.

    A join token only ever speaks for its own hearing: `hearing_id` is checked
    against it (and a mismatch is refused and audited by the access service).
    `allow_closed` accepts a token after its hearing closed (documents, the transcript).
    A session whose password is a one-time one opens only the paths that say
    `changing_password` (change it, log out); every other path answers 403
    `password_change_required`.
    """
    services = request.app[SERVICES]
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        admission = await services.access.admit_token(authorization[7:].strip(), hearing_id,
                                                      allow_closed=allow_closed)
        return admission.actor
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise Unauthenticated("log in first, or present a join token")
    session, user = await services.access.session(secret,
                                                  changing_password=changing_password)
    if request.method not in _SAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not secrets.compare_digest(sent, session.csrf_token):
            raise ApiError(403, "csrf_failed", f"missing or wrong {CSRF_HEADER} header")
    return Actor.staff(user)


async def staff_for(request: web.Request) -> Actor:
    actor = await actor_for(request)
    require_staff(actor)
    return actor


def set_session_cookie(
    request: web.Request, response: web.StreamResponse, logged: LoggedIn
) -> None:
    settings = request.app[SETTINGS]
    response.set_cookie(
        SESSION_COOKIE, logged.secret, httponly=True, samesite="Strict",
        secure=settings.secure_cookies, max_age=int(settings.session_hours * 3600), path="/",
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")
