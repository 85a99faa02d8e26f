"""Reading JSON request bodies with limits and exact messages for every refusal."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web

from web.errors import ApiError

__all__ = ["Body", "read_body"]

T = TypeVar("T")


class Body:
    """A parsed JSON object whose fields are read with checks."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def _get(self, name: str, kind: type[T], required: bool) -> T | None:
        if name not in self._data or self._data[name] is None:
            if required:
                raise ApiError(400, "invalid_input", f"{name!r} is required")
            return None
        value = self._data[name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ApiError(400, "invalid_input",
                           f"{name!r} must be of type {kind.__name__} (got {type(value).__name__})")
        return value

    def text(self, name: str) -> str:
        value = self._get(name, str, True)
        assert value is not None
        return value

    def raw(self, name: str) -> Any:
        """The field as sent (or None), for the domain to check: term lists, capture records."""
        return self._data.get(name)

    def opt_text(self, name: str) -> str | None:
        return self._get(name, str, False)

    def opt_int(self, name: str) -> int | None:
        return self._get(name, int, False)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._get(name, bool, False)
        return default if value is None else value

    def time(self, name: str) -> datetime:
        raw = self.text(name)
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise ApiError(400, "invalid_input",
                           f"{name!r} must be an ISO 8601 time (got {raw!r})") from None
        if value.tzinfo is None:
            raise ApiError(400, "invalid_input",
                           f"{name!r} must carry a time zone, e.g. 2026-11-23T09:00:00+08:00")
        return value


async def read_body(request: web.Request, max_bytes: int) -> Body:
    if request.content_length is not None and request.content_length > max_bytes:
        raise ApiError(413, "body_too_large", f"request body exceeds {max_bytes} bytes")
    raw = await request.content.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise ApiError(413, "body_too_large", f"request body exceeds {max_bytes} bytes")
    try:
        data = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    return Body(data)
