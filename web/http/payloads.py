"""Request bodies: one pydantic model per body validates it, answers the exact 400, and is
the body's schema in the OpenAPI document (web/http/openapi.py).

A route names its model (`ApiRoutes.route(body=Model)`) and its handler reads it with
`read_payload(request, Model)`; reading a model the route does not declare is a programming
error, so the document cannot drift from what is checked. Before any model sees it, the body
is held to the limits every body shares (`read_json`): size, depth, items per list or
object, and strings that can be stored.

Refusals keep one wording, whoever raises them: "'field' is required", "'field' must be of
type str (got int)", and the domain's own ("'kind' must be in [...] (got 'x')"). A JSON null
is the same as a field left out.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Collection
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from itertools import chain, compress
from typing import Annotated, Any, ClassVar, TypeVar

from aiohttp import web
from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from hearings.domain.errors import InvalidInput
from hearings.domain.values import member
from web.http.errors import ApiError
from web.keys import SETTINGS

__all__ = ["MAX_DEPTH", "OneOf", "Payload", "Time", "read_json", "read_payload"]

P = TypeVar("P", bound="Payload")

# No request of the API nests deeper than a few levels (a term list, a capture record's
# strokes of points): 32 leaves room.
MAX_DEPTH = 32
_CONTAINERS = frozenset({list, dict})
_IS_LIST, _IS_DICT = partial(operator.is_, list), partial(operator.is_, dict)
_IS_STR = partial(operator.is_, str)
# Where the route's declared model waits for its handler (set by web.http.routing).
DECLARED = web.RequestKey("yunting.payload_model", object)
_TYPE_NAMES = {"string_type": "str", "int_type": "int", "bool_type": "bool",
               "float_type": "float", "list_type": "list", "dict_type": "dict"}


class Payload(BaseModel):
    """A request body. Strict: a string is not a number, 1 is not true; unknown fields are
    ignored (a newer client may send more); a field's value is for the domain to check
    further where its rule lives there (texts, term lists, capture records)."""

    model_config = ConfigDict(strict=True, frozen=True, extra="ignore",
                              json_schema_extra=lambda schema, model: _tidy(schema, model))
    # Fields the body must carry but whose refusal, missing or wrong, is the domain's own
    # (a term list, a capture record): typed Any here, marked required in the document.
    checked_by_domain: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


def _tidy(schema: dict[str, Any], model: Any) -> None:
    """Properties without pydantic's titles, and without a null default: a null is a field
    left out, not a value. The fields the domain checks are required all the same."""
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
        if "default" in prop and prop["default"] is None:
            del prop["default"]
    required = [*schema.get("required", []), *getattr(model, "checked_by_domain", ())]
    if required:
        schema["required"] = list(dict.fromkeys(required))


def _refused(message: str) -> PydanticCustomError:
    return PydanticCustomError("refused", "{message}", {"message": message})


def _time(value: object, info: ValidationInfo) -> datetime:
    name = info.field_name
    if not isinstance(value, str):
        raise _refused(f"{name!r} must be of type str (got {type(value).__name__})")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _refused(f"{name!r} must be an ISO 8601 time (got {value!r})") from None
    if parsed.tzinfo is None:
        raise _refused(f"{name!r} must carry a time zone, e.g. 2026-11-23T09:00:00+08:00")
    try:  # one every zone can show: year 10000 in UTC overflows wherever it is stored
        year = parsed.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not 1 < year < 9999:
        raise _refused(f"{name!r} is out of range (got {value!r})")
    return parsed


class _TimeRule:
    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(_time)


# An ISO 8601 time with its zone, within years 2-9998 wherever it is shown.
Time = Annotated[datetime, _TimeRule(),
                 WithJsonSchema({"type": "string", "format": "date-time",
                                 "example": "2026-12-10T09:30:00+08:00"})]


class OneOf:
    """A value from a fixed set: an enum's members, or plain strings (actions). The refusal
    is the domain's (`hearings.domain.values.member`)."""

    def __init__(self, choices: type[StrEnum] | Collection[str]) -> None:
        self.enum = choices if isinstance(choices, type) else None
        self.values = [m.value for m in choices] if isinstance(choices, type) else sorted(choices)

    def _check(self, value: object, info: ValidationInfo) -> Any:
        name = str(info.field_name)
        if self.enum is not None:
            try:
                return member(self.enum, value, name)
            except InvalidInput as exc:
                raise _refused(exc.message) from None
        if isinstance(value, str) and value in self.values:
            return value
        raise _refused(f"{name!r} must be in {self.values} (got {value!r})")

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(self._check)

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {"enum": list(self.values)}


async def read_payload(request: web.Request, model: type[P]) -> P:
    """The body as `model`, within the limits of `read_json`; a refusal is a 400 naming
    the first field at fault."""
    declared = request.get(DECLARED)
    if declared is not model:
        raise RuntimeError(f"{request.method} {request.path} reads {model.__name__} but its "
                           f"route declares {getattr(declared, '__name__', declared)}")
    data = await read_json(request, request.app[SETTINGS].max_request_bytes)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(400, "invalid_input", _wording(exc)) from None


def _wording(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    name = str(error["loc"][0]) if error["loc"] else "body"
    kind = error["type"]
    if kind == "missing":
        return f"{name!r} is required"
    if kind in _TYPE_NAMES:
        return (f"{name!r} must be of type {_TYPE_NAMES[kind]} "
                f"(got {type(error['input']).__name__})")
    if kind == "refused":
        return str(error["ctx"]["message"])
    return f"{name!r}: {error['msg']}"


async def read_json(request: web.Request, max_bytes: int) -> dict[str, Any]:
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
    return data


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
