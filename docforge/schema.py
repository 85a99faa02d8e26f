"""JSON ⇄ view models through pydantic: ``from_json`` per kind with exact errors, and a JSON
Schema per kind.

The view models stay plain frozen dataclasses, which pydantic validates as they are: one cached
``TypeAdapter`` per kind gives the core schema and the JSON Schema. A document takes what JSON
can say: a string only for a string, an ISO string for a date or a datetime, a list for a
tuple, a string or a number for a decimal amount, no unknown field.

The data arrives parsed (the CLI, the forge), so it is validated as Python, in lax mode. Strict
mode would refuse a dict for a view model, a string for a decimal or a date, a list for a tuple
(it wants the Python objects themselves); strict JSON would mean dumping the data again, and
JSON text cannot carry the lone surrogates old data may hold. On JSON's values lax mode accepts
what strict JSON does, but for dates and datetimes: it reads a number or a numeric string
("1700000000") as a Unix time, takes a datetime at midnight for a date and a bare date for a
datetime. So the kind's validator is built from its core schema with every date and datetime
behind ``_iso_only`` (a string of the ISO shape, then parsed by pydantic). ``extra="forbid"``
goes with each call: a ``TypeAdapter`` takes no config for a dataclass (the class would own it),
and the view models stay free of pydantic.

A ``TemplateDataError`` keeps the wording the CLI and the web forms have always shown, one error
per message: the first pydantic lists, except that an object's unknown fields come before
anything inside it, as they always did.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import ErrorDetails, PydanticCustomError, SchemaValidator, core_schema

from .errors import TemplateDataError
from .viewmodels import KINDS, Document

_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_UNKNOWN = frozenset({"unexpected_keyword_argument", "extra_forbidden"})
_MISSING = frozenset({"missing", "missing_argument", "missing_keyword_only_argument"})
_LIST = frozenset({"tuple_type", "list_type", "iterable_type"})
_OBJECT = frozenset({"dataclass_type", "dataclass_exact_type", "dict_type"})
# The shape a string must have before pydantic parses it: a date alone (not a datetime at
# midnight), a datetime with its time (not a bare date), never a number.
_ISO = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}\Z"),
    "datetime": re.compile(r"\d{4}-\d{2}-\d{2}[Tt_ ]"),
}


def document_class(kind: str) -> type[Document]:
    try:
        return KINDS[kind]
    except KeyError:
        raise TemplateDataError(f"unknown document kind {kind!r}; one of {sorted(KINDS)}") from None


@functools.cache
def _adapter(kind: str) -> TypeAdapter[Document]:
    return TypeAdapter(document_class(kind))


def _iso_only(type_: str) -> Callable[[Any], Any]:
    shape = _ISO[type_]

    def check(value: Any) -> Any:
        if not (isinstance(value, str) and shape.match(value)):
            raise PydanticCustomError(f"{type_}_not_iso", f"Input should be an ISO {type_}")
        return value

    return check


def _iso_dates(schema: Any) -> Any:
    """A copy of ``schema`` (a core schema, or a part of one) with every date and datetime
    behind ``_iso_only``."""
    if isinstance(schema, list):
        return [_iso_dates(part) for part in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _iso_dates(part) for key, part in schema.items()}
    if out.get("type") in _ISO:
        return core_schema.no_info_before_validator_function(_iso_only(out["type"]), out)
    return out


@functools.cache
def _validator(kind: str) -> SchemaValidator:
    return SchemaValidator(_iso_dates(_adapter(kind).core_schema))


def from_json(kind: str, data: Any) -> Document:
    validator = _validator(kind)
    try:
        document: Document = validator.validate_python(data, extra="forbid")
    except ValidationError as exc:
        raise TemplateDataError(_first_error(kind, exc.errors(include_url=False))) from None
    return document


# -- errors -------------------------------------------------------------------------------
def _path(loc: tuple[int | str, ...]) -> str:
    """``('parties', 0, 'name')`` → ``parties[0].name``."""
    path = ""
    for step in loc:
        if isinstance(step, int):
            path += f"[{step}]"
        else:
            path += f".{step}" if path else step
    return path


def _first_error(kind: str, errors: list[ErrorDetails]) -> str:
    """The error the loader has always reported: the first in field order, depth first, an
    object's unknown fields before anything inside it. Pydantic lists an object's unknown fields
    after its fields' errors, so the shallowest object on the way to its first error that has
    unknown fields is named instead of that error."""
    unknown: dict[tuple[int | str, ...], list[str]] = {}
    for error in errors:
        if error["type"] in _UNKNOWN:
            unknown.setdefault(error["loc"][:-1], []).append(str(error["loc"][-1]))
    first = errors[0]
    for depth in range(len(first["loc"])):
        names = unknown.get(first["loc"][:depth])
        if names:
            return f"{_path(first['loc'][:depth])}: unknown field(s) {sorted(names)}"
    return _message(kind, first)


def _message(kind: str, error: ErrorDetails) -> str:
    loc, code, value = error["loc"], error["type"], error["input"]
    path = _path(loc)
    if code in _MISSING:
        return f"{path}: missing required field"
    if code == "value_error":  # a view model's own __post_init__
        cause = error.get("ctx", {}).get("error", error["msg"])
        return f"{path or document_class(kind).__name__}: {cause}"
    if value is None and loc:
        return f"{path}: must not be null"
    if code == "literal_error":
        return f"{path}: must be one of {_choices(kind, loc)} (got {value!r})"
    if code in _LIST:
        return f"{path}: expected a list (got {type(value).__name__})"
    if code in _OBJECT:
        return f"{path}: expected an object (got {type(value).__name__})"
    if code == "string_type":
        return f"{path}: expected a string (got {value!r})"
    if code.startswith("decimal_") or code == "finite_number":
        return f"{path}: expected a decimal amount (got {value!r})"
    if code.startswith("datetime_"):
        return f"{path}: expected an ISO datetime (got {value!r})"
    if code.startswith("date_"):
        return f"{path}: expected an ISO date (got {value!r})"
    return f"{path}: {error['msg']}"


def _choices(kind: str, loc: tuple[int | str, ...]) -> list[Any]:
    """The values a ``Literal`` field allows, read from the kind's schema along ``loc``."""
    root = _schema(kind)

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while True:
            if "$ref" in node:
                node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
            elif "anyOf" in node:
                node = next(n for n in node["anyOf"] if n.get("type") != "null")
            else:
                return node

    node = root
    for step in loc:
        node = resolve(node)
        node = node["items"] if isinstance(step, int) else node["properties"][step]
    node = resolve(node)
    return list(node["enum"]) if "enum" in node else [node["const"]]


# -- JSON Schema --------------------------------------------------------------------------
class _ViewModelSchema(GenerateJsonSchema):
    """Every object is closed (``additionalProperties: false``, as ``from_json`` refuses
    unknown fields), and a field's generated title ("Case Number") is left out: its name says
    it."""

    def dataclass_schema(self, schema: core_schema.DataclassSchema) -> JsonSchemaValue:
        generated = super().dataclass_schema(schema)
        generated["additionalProperties"] = False
        return generated

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


@functools.cache
def _schema(kind: str) -> dict[str, Any]:
    generated = _adapter(kind).json_schema(schema_generator=_ViewModelSchema)
    cls = document_class(kind)
    return {"$schema": _DIALECT, **generated, "title": f"{cls.title} ({kind})"}


def json_schema(kind: str) -> dict[str, Any]:
    return copy.deepcopy(_schema(kind))
