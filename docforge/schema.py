"""JSON ⇄ view models: ``from_json`` per kind with exact errors, and a JSON Schema per kind."""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar, get_args, get_origin

from .errors import TemplateDataError
from .viewmodels import KINDS, Document

T = TypeVar("T")


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _optional(tp: Any) -> tuple[bool, Any]:
    if get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(get_args(tp)) == 2:
            return True, args[0]
    return False, tp


def _convert(value: Any, tp: Any, path: str) -> Any:
    optional, tp = _optional(tp)
    if value is None:
        if optional:
            return None
        raise TemplateDataError(f"{path}: must not be null")
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _build(tp, value, path)
    if get_origin(tp) is tuple:
        if not isinstance(value, list):
            raise TemplateDataError(f"{path}: expected a list (got {type(value).__name__})")
        item = get_args(tp)[0]
        return tuple(_convert(v, item, f"{path}[{i}]") for i, v in enumerate(value))
    if get_origin(tp) is Literal:
        if value not in get_args(tp):
            raise TemplateDataError(f"{path}: must be one of {list(get_args(tp))} (got {value!r})")
        return value
    return _scalar(value, tp, path)


def _scalar(value: Any, tp: Any, path: str) -> Any:
    try:
        if tp is str:
            if not isinstance(value, str):
                raise TypeError
            return value
        if tp is Decimal:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise TypeError
            return Decimal(str(value))
        if tp is dt.datetime:
            return dt.datetime.fromisoformat(value)
        if tp is dt.date:
            return dt.date.fromisoformat(value)
    except (TypeError, ValueError, InvalidOperation):
        expected = {str: "a string", Decimal: "a decimal amount"}.get(tp, f"an ISO {tp.__name__}")
        raise TemplateDataError(f"{path}: expected {expected} (got {value!r})") from None
    raise TemplateDataError(f"{path}: unsupported type {tp!r}")


def _build(cls: type[T], data: Any, path: str) -> T:
    if not isinstance(data, dict):
        raise TemplateDataError(f"{path}: expected an object (got {type(data).__name__})")
    hints = _hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise TemplateDataError(f"{path}: unknown field(s) {unknown}")
    kwargs: dict[str, Any] = {}
    for name, f in known.items():
        sub = f"{path}.{name}" if path else name
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise TemplateDataError(f"{sub}: missing required field")
            continue
        kwargs[name] = _convert(data[name], hints[name], sub)
    try:
        return cls(**kwargs)
    except ValueError as exc:
        raise TemplateDataError(f"{path or cls.__name__}: {exc}") from None


def document_class(kind: str) -> type[Document]:
    try:
        return KINDS[kind]
    except KeyError:
        raise TemplateDataError(f"unknown document kind {kind!r}; one of {sorted(KINDS)}") from None


def from_json(kind: str, data: Any) -> Document:
    return _build(document_class(kind), data, "")


def _schema_of(tp: Any) -> dict[str, Any]:
    optional, tp = _optional(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        out = _object_schema(tp)
    elif get_origin(tp) is tuple:
        out = {"type": "array", "items": _schema_of(get_args(tp)[0])}
    elif get_origin(tp) is Literal:
        out = {"enum": list(get_args(tp))}
    elif tp is Decimal:
        out = {"type": ["string", "number"], "pattern": r"^-?\d+(\.\d+)?$"}
    elif tp is dt.date:
        out = {"type": "string", "format": "date"}
    elif tp is dt.datetime:
        out = {"type": "string", "format": "date-time"}
    else:
        out = {"type": "string"}
    return {"anyOf": [out, {"type": "null"}]} if optional else out


def _object_schema(cls: type) -> dict[str, Any]:
    hints = _hints(cls)
    fields = dataclasses.fields(cls)
    required = [
        f.name
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {f.name: _schema_of(hints[f.name]) for f in fields},
        "required": required,
    }


def json_schema(kind: str) -> dict[str, Any]:
    cls = document_class(kind)
    schema = _object_schema(cls)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"{cls.title} ({kind})"
    return schema
