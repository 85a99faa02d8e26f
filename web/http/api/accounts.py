"""Staff accounts: an administrator manages their court's (hearings/services/accounts.py decides
who may), and every user changes their own password."""

from __future__ import annotations

import math
from typing import Annotated, Any

from aiohttp import web
from pydantic import Field

from hearings.domain.errors import Unauthenticated
from hearings.domain.password_policy import MAX_LENGTH, MIN_LENGTH
from hearings.domain.staff import StaffRole, StaffUser
from hearings.services.accounts import IssuedPassword, NewAccount, WrongPassword
from web.http.auth import SESSION_COOKIE, actor_for, staff_for
from web.http.errors import ApiError
from web.http.payloads import OneOf, Payload, read_payload
from web.http.representations import user_json
from web.http.routing import ApiRoutes
from web.keys import LOGIN_FAILURES, SERVICES

__all__ = ["account_json", "routes"]

routes = ApiRoutes()


class NewStaffAccount(Payload):
    username: str = Field(examples=["li.clerk"])
    display_name: str = Field(examples=["李书记员"])
    role: Annotated[StaffRole, OneOf(StaffRole)]
    court_id: str | None = Field(None, description=(
        "required unless the role is admin; an administrator without a court alone creates "
        "accounts without one"))
    on_duty: bool = False


# The policy's limits are documented, and checked by the domain with its own words
# (hearings/domain/password_policy.py); the model's repr leaves both passwords out.
class PasswordChange(Payload):
    current_password: str = Field(repr=False)
    new_password: str = Field(repr=False, json_schema_extra={"minLength": MIN_LENGTH,
                                                             "maxLength": MAX_LENGTH})


COURT_QUERY = {"name": "court_id", "schema": {"type": "string"},
           "description": "only this court's accounts"}


def account_json(user: StaffUser) -> dict[str, Any]:
    return user_json(user) | {"active": user.active,
                              "must_change_password": user.must_change_password}


def _issued(issued: IssuedPassword, status: int) -> web.Response:
    return web.json_response({"user": account_json(issued.user),
                              "one_time_password": issued.password}, status=status)


@routes.route("GET", "/api/staff", summary="List the staff accounts an administrator manages",
              tag="accounts", result="StaffAccount[]", query=(COURT_QUERY,))
async def list_accounts(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    court_id = request.query.get("court_id") or None
    users = await request.app[SERVICES].accounts.users(actor, court_id)
    return web.json_response([account_json(u) for u in users])


@routes.route("POST", "/api/staff", summary="Create a staff account (answers its one-time "
              "password, shown once)", tag="accounts", body=NewStaffAccount, ok=201,
              result="IssuedPassword")
async def create_account(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, NewStaffAccount)
    issued = await request.app[SERVICES].accounts.create(actor, NewAccount(
        body.username, body.display_name, body.role, body.court_id, body.on_duty))
    return _issued(issued, 201)


@routes.route("POST", "/api/staff/{user_id}/password-reset",
              summary="Reset an account's password: a new one-time password; its sessions "
              "end", tag="accounts", result="IssuedPassword")
async def reset_password(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    issued = await request.app[SERVICES].accounts.reset_password(
        actor, request.match_info["user_id"])
    return _issued(issued, 200)


@routes.route("POST", "/api/staff/{user_id}/disable", summary="Disable an account: no more "
              "logins; its sessions and open connections end now", tag="accounts",
              result="StaffAccount")
async def disable_account(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    user = await request.app[SERVICES].accounts.disable(actor, request.match_info["user_id"])
    return web.json_response(account_json(user))


@routes.route("POST", "/api/staff/{user_id}/enable", summary="Re-enable a disabled account",
              tag="accounts", result="StaffAccount")
async def enable_account(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    user = await request.app[SERVICES].accounts.enable(actor, request.match_info["user_id"])
    return web.json_response(account_json(user))


@routes.route("POST", "/api/session/password", summary="Change one's own password (also "
              "with a one-time password); the account's other sessions end", tag="session",
              body=PasswordChange, result="StaffAccount", throttled=True)
async def change_password(request: web.Request) -> web.Response:
    actor = await actor_for(request, changing_password=True)
    if actor.kind != "staff":
        raise Unauthenticated("log in to change your password")
    body = await read_payload(request, PasswordChange)
    failures = request.app[LOGIN_FAILURES]
    key = f"password:{actor.id}"  # guessing the current password from a stolen session
    wait = await failures.retry_after(key)
    if wait > 0:
        raise ApiError(429, "too_many_attempts",
                       f"too many wrong passwords; try again in {math.ceil(wait)} s",
                       retry_after=wait)
    try:
        user = await request.app[SERVICES].accounts.change_password(
            actor, body.current_password, body.new_password,
            session=request.cookies.get(SESSION_COOKIE))
    except WrongPassword:
        await failures.failed(key)
        raise
    await failures.succeeded(key)
    return web.json_response(account_json(user))
