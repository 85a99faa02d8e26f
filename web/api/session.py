"""Staff log in and out; the session cookie is HttpOnly, SameSite=Strict, Secure over https."""

from __future__ import annotations

from aiohttp import web

from hearings.errors import Unauthenticated
from web.auth import SESSION_COOKIE, actor_for, clear_session_cookie, set_session_cookie
from web.keys import SERVICES, SETTINGS
from web.payloads import read_body
from web.representations import user_json
from web.routing import ApiRoutes

routes = ApiRoutes()

LOGIN = {"type": "object", "required": ["username", "password"],
         "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}


@routes.route("POST", "/api/session", summary="Log in", tag="session", auth="none", body=LOGIN,
              result="Session")
async def login(request: web.Request) -> web.Response:
    body = await read_body(request, request.app[SETTINGS].max_request_bytes)
    logged = await request.app[SERVICES].access.login(body.text("username"), body.text("password"))
    response = web.json_response(
        {"user": user_json(logged.user), "csrf_token": logged.session.csrf_token})
    set_session_cookie(request, response, logged)
    return response


@routes.route("GET", "/api/session", summary="Who is logged in", tag="session",
              result="Session")
async def whoami(request: web.Request) -> web.Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise Unauthenticated("not logged in")
    session, user = await request.app[SERVICES].access.session(secret)
    return web.json_response({"user": user_json(user), "csrf_token": session.csrf_token})


@routes.route("DELETE", "/api/session", summary="Log out", tag="session", ok=204)
async def logout(request: web.Request) -> web.Response:
    await actor_for(request)  # a cookie-authenticated write: CSRF token required
    await request.app[SERVICES].access.logout(request.cookies[SESSION_COOKIE])
    response = web.Response(status=204)
    clear_session_cookie(response)
    return response
