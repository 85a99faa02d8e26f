"""Routes that describe themselves: each API route carries what the OpenAPI document says of it.

What a route can answer besides success follows from what it takes, so that no route
has to list it (and none can forget it):

- every route: 400 (a bad parameter);
- a credential — a session, a join token, or a public body (a password, a join code):
  401, 403, 404, 409 as the domain's errors map (web/http/errors.py);
- a JSON body: 413 (too large, too many items) and 415 (not JSON);
- a write (not GET/HEAD/OPTIONS): 403, a cross-site request refused (web/http/security.py);
- `throttled`: 429 with Retry-After. By default every route that takes a credential
  without a session is throttled — join tokens per client address
  (`hearings.services.access.Access.admit_token`, also for a Bearer token sent to a staff route)
  and the login per username and address;
- `answers`: what else a route itself answers (503 from a readiness check, say).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from aiohttp import web

from web.http.payloads import DECLARED, Payload

__all__ = ["AUTHS", "ApiRoutes", "Operation", "error_statuses"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
AUTHS = ("none", "staff", "staff_or_token")
_SAFE = ("GET", "HEAD", "OPTIONS")


def error_statuses(method: str, auth: str, body: bool, throttled: bool) -> tuple[int, ...]:
    statuses = {400}
    if auth != "none" or body:
        statuses |= {401, 403, 404, 409}
    if body:
        statuses |= {413, 415}
    if method.upper() not in _SAFE:
        statuses.add(403)
    if throttled:
        statuses.add(429)
    return tuple(sorted(statuses))


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    auth: str  # none | staff | staff_or_token
    body: type[Payload] | None = None  # the one model of its request body
    ok: int = 200
    result: str | None = None  # name of a schema in web.http.openapi.SCHEMAS
    errors: tuple[int, ...] = field(default=(400, 401, 403, 404, 409))
    # Query parameters: OpenAPI parameter objects without "in" ("query" is added).
    query: tuple[dict[str, Any], ...] = ()
    # A media type for a file (not JSON) result, e.g. "application/zip".
    produces: str | None = None
    # An earlier path of the same operation, still served; OpenAPI marks it deprecated.
    deprecated: bool = False

    def __post_init__(self) -> None:
        if self.auth not in AUTHS:
            raise ValueError(f"'auth' must be in {list(AUTHS)} (got {self.auth!r})")


class ApiRoutes:
    def __init__(self) -> None:
        self.table = web.RouteTableDef()
        self.operations: list[Operation] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tag: str,
        auth: str = "staff",
        body: type[Payload] | None = None,
        ok: int = 200,
        result: str | None = None,
        query: tuple[dict[str, Any], ...] = (),
        produces: str | None = None,
        throttled: bool | None = None,
        answers: tuple[int, ...] = (),
        formerly: str | None = None,
    ) -> Callable[[Handler], Handler]:
        """`body`: the model of the request body, which the handler reads with
        `web.http.payloads.read_payload` (reading another is refused).
        `formerly`: the path this operation had before a rename (docs/protocol.md lists
        them): the same handler answers there too, documented as deprecated."""
        if throttled is None:  # a credential without a session: a token, a password, a code
            throttled = auth != "none" or body is not None
        errors = tuple(sorted({*error_statuses(method, auth, body is not None, throttled),
                               *answers}))

        def register(handler: Handler) -> Handler:
            @wraps(handler)
            async def declared(request: web.Request) -> web.StreamResponse:
                request[DECLARED] = body
                return await handler(request)

            for where, deprecated in ((path, False), (formerly, True)):
                if where is None:
                    continue
                self.table.route(method, where)(declared)
                self.operations.append(
                    Operation(method, where, summary, tag, auth, body, ok, result, errors,
                              query=query, produces=produces, deprecated=deprecated))
            return handler

        return register
