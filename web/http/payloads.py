"""Reading JSON request bodies with limits and exact messages for every refusal."""

from __future__ import annotations

import json
import operator
from datetime import UTC, datetime
from functools import partial
from itertools import chain, compress
from typing import Any, TypeVar

from aiohttp import web

from web.http.errors import ApiError
from web.keys import SETTINGS

__all__ = ["MAX_DEPTH", "Body", "read_body"]

T = TypeVar("T")

# No request of the API nests deeper than a few levels (a term list, a capture record's
# strokes of points): 32 leaves room.
MAX_DEPTH = 32
_CONTAINERS = frozenset({list, dict})
_IS_LIST, _IS_DICT = partial(operator.is_, list), partial(operator.is_, dict)
_IS_STR = partial(operator.is_, str)


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
        try:  # one every zone can show: year 10000 in UTC overflows wherever it is stored
            year = value.astimezone(UTC).year
        except OverflowError:
            year = 0
        if not 1 < year < 9999:
            raise ApiError(400, "invalid_input", f"{name!r} is out of range (got {raw!r})")
        return value


async def read_body(request: web.Request, max_bytes: int) -> Body:
    """The body as a JSON object within the limits: `max_bytes`, `MAX_DEPTH` levels,
    `max_json_items` (settings) per list or object, and strings that can be stored: no
    lone surrogate (RFC 7493 I-JSON; no UTF-8 encoder takes one) and no U+0000
    (PostgreSQL's text cannot hold it)."""
    raw = await _read(request, max_bytes)
    try:
        data = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"request body is not valid JSON: {exc}") from None
    except RecursionError:
        # json's decoder guards its own recursion (about a thousand levels) and gives up
        # at once on a body nested 2,000 deep; a bracket-counting pre-scan in Python
        # cost 0.3-0.5 s for a hostile megabyte here. The exact limit is _check_shape's.
        raise _too_deep() from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    # Only a \u escape can put a lone surrogate or U+0000 into a string.
    strings: list[str] | None = [] if b"\\u" in raw else None
    _check_shape(data, request.app[SETTINGS].max_json_items, strings)
    if strings:
        _check_strings("".join(strings))
    return Body(data)


async def _read(request: web.Request, max_bytes: int) -> bytes:
    if request.content_length is not None and request.content_length > max_bytes:
        raise ApiError(413, "body_too_large", f"request body exceeds {max_bytes} bytes")
    # StreamReader.read(n) returns what has arrived, up to n: read until the end.
    chunks, size = [], 0
    while size <= max_bytes:
        chunk = await request.content.read(max_bytes + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > max_bytes:
        raise ApiError(413, "body_too_large", f"request body exceeds {max_bytes} bytes")
    return b"".join(chunks)


def _check_shape(data: dict[str, Any], max_items: int, strings: list[str] | None) -> None:
    """Depth and items of every list and object, a level at a time, without recursion
    and without a Python step per value: map, compress and chain run in C, so a
    megabyte of small lists costs about what json.loads did. Every key and string
    value goes into `strings` if it is given."""
    level: list[Any] = [data]
    for depth in range(1, MAX_DEPTH + 2):
        if not level:
            return
        if depth > MAX_DEPTH:
            raise _too_deep()
        longest = max(map(len, level))
        if longest > max_items:
            raise ApiError(413, "too_many_items", f"a list or object in the request body has "
                                                  f"more than {max_items} items (got {longest})")
        kinds = list(map(type, level))
        lists = compress(level, map(_IS_LIST, kinds))
        dicts = list(compress(level, map(_IS_DICT, kinds)))
        values = list(chain(chain.from_iterable(lists),
                            chain.from_iterable(map(dict.values, dicts))))
        kinds = list(map(type, values))
        if strings is not None:
            strings.extend(chain.from_iterable(dicts))
            strings.extend(compress(values, map(_IS_STR, kinds)))
        level = list(compress(values, map(_CONTAINERS.__contains__, kinds)))


def _too_deep() -> ApiError:
    return ApiError(400, "invalid_json",
                    f"request body is nested deeper than {MAX_DEPTH} levels")


def _check_strings(joined: str) -> None:
    if "\x00" in joined:  # PostgreSQL's text cannot hold it, and no field takes it
        raise ApiError(400, "invalid_input", "a string in the request body holds the control "
                                             "character U+0000, which no field takes")
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(exc.object[exc.start])
        raise ApiError(400, "invalid_json", f"request body is not I-JSON (RFC 7493): a string "
                                            f"holds a lone surrogate (U+{code:04X})") from None
