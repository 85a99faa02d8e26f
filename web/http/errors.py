"""Every error leaves as JSON with a stable code: {"error": {"code": ..., "message": ...}}.

Domain errors are mapped to HTTP statuses here and nowhere else.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable

from aiohttp import web

from hearings.domain.errors import (
    Conflict,
    HearingsError,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TokenRefused,
    TooLarge,
    Unauthenticated,
)
from hearings.services.access import TooManyAttempts

__all__ = ["ApiError", "error_middleware", "json_error"]

log = logging.getLogger(__name__)

STATUS: list[tuple[type[HearingsError], int]] = [
    (InvalidInput, 400),
    (Unauthenticated, 401),
    (PermissionDenied, 403),
    (TokenRefused, 403),
    (NotFound, 404),
    (TooLarge, 413),
    (IllegalTransition, 409),
    (Conflict, 409),
    (TooManyAttempts, 429),
]


class ApiError(Exception):
    """An error raised by the web layer itself (bad JSON, CSRF, body too large).

    `retry_after` (seconds) goes out as the Retry-After header of a 429 or 503.
    """

    def __init__(self, status: int, code: str, message: str, *,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.retry_after = retry_after


def json_error(status: int, code: str, message: str, *, retry_after: float | None = None
               ) -> web.Response:
    response = web.json_response({"error": {"code": code, "message": message}}, status=status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


def _status_of(exc: HearingsError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except HearingsError as exc:
        return json_error(_status_of(exc), exc.code, exc.message,
                          retry_after=exc.retry_after if isinstance(exc, TooManyAttempts) else None)
    except ApiError as exc:
        return json_error(exc.status, exc.code, exc.message, retry_after=exc.retry_after)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        return json_error(exc.status, code, exc.text or exc.reason)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(500, "internal_error", "internal error; it has been logged")
