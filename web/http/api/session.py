"""Staff log in and out; the session cookie is HttpOnly, SameSite=Strict, Secure over https.

A disabled account's login is refused; a one-time password (an administrator's reset)
logs in to a session that opens only the change-password form (web/http/api/accounts.py)."""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web
from pydantic import Field

from hearings.domain.errors import Unauthenticated
from hearings.domain.staff import StaffUser
from web.http.auth import SESSION_COOKIE, actor_for, clear_session_cookie, set_session_cookie
from web.http.errors import ApiError
from web.http.payloads import Payload, read_payload
from web.http.representations import user_json
from web.http.routing import ApiRoutes
from web.keys import LOGIN_FAILURES, SERVICES

routes = ApiRoutes()

def session_user_json(user: StaffUser) -> dict[str, Any]:
    """The logged-in user, and whether their password must be changed before anything else."""
    return user_json(user) | {"must_change_password": user.must_change_password}


# A refusal names a field, never its value (web.http.payloads), and the model's repr
# leaves the password out: neither an answer nor a log line can carry it.
class Login(Payload):
    username: str
    password: str = Field(repr=False)


@routes.route("POST", "/api/session", summary="Log in", tag="session", auth="none", body=Login,
              result="Session")
async def login(request: web.Request) -> web.Response:
    body = await read_payload(request, Login)
    username = body.username
    keys = (f"user:{username.casefold()}", f"addr:{request.remote}")
    failures = request.app[LOGIN_FAILURES]
    wait = await failures.retry_after(*keys)
    if wait > 0:  # refused before the password is even checked
        raise ApiError(429, "too_many_attempts",
                       f"too many failed logins; try again in {math.ceil(wait)} s",
                       retry_after=wait)
    try:
        logged = await request.app[SERVICES].access.login(username, body.password)
    except Unauthenticated:
        await failures.failed(*keys)
        raise
    await failures.succeeded(keys[0])
    response = web.json_response(
        {"user": session_user_json(logged.user), "csrf_token": logged.session.csrf_token})
    set_session_cookie(request, response, logged)
    return response


@routes.route("GET", "/api/session", summary="Who is logged in", tag="session",
              result="Session")
async def whoami(request: web.Request) -> web.Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise Unauthenticated("not logged in")
    session, user = await request.app[SERVICES].access.session(secret, changing_password=True)
    return web.json_response({"user": session_user_json(user),
                              "csrf_token": session.csrf_token})


@routes.route("DELETE", "/api/session", summary="Log out", tag="session", ok=204)
async def logout(request: web.Request) -> web.Response:
    secret = request.cookies.get(SESSION_COOKIE)
    # Only a session logs out (a join token has no session: it was a 500 here).
    if not secret or request.headers.get("Authorization"):
        raise Unauthenticated("no staff session to log out of")
    # a cookie-authenticated write: CSRF token required (also before a one-time password
    # was changed: logging out is always allowed)
    await actor_for(request, changing_password=True)
    await request.app[SERVICES].access.logout(secret)
    response = web.Response(status=204)
    clear_session_cookie(response)
    return response
