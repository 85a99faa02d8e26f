"""Routes that describe themselves: each API route carries what the OpenAPI document says of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["ApiRoutes", "Operation"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    auth: str  # none | staff | staff_or_token
    body: dict[str, Any] | None = None
    ok: int = 200
    result: str | None = None  # name of a schema in web.openapi.SCHEMAS
    errors: tuple[int, ...] = field(default=(400, 401, 403, 404, 409))
    # Query parameters: OpenAPI parameter objects without "in" ("query" is added).
    query: tuple[dict[str, Any], ...] = ()
    # A media type for a file (not JSON) result, e.g. "application/zip".
    produces: str | None = None


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
        body: dict[str, Any] | None = None,
        ok: int = 200,
        result: str | None = None,
        query: tuple[dict[str, Any], ...] = (),
        produces: str | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.table.route(method, path)(handler)
            self.operations.append(
                Operation(method, path, summary, tag, auth, body, ok, result,
                          query=query, produces=produces))
            return handler

        return register
