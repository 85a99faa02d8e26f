"""Checks shared by the value objects: enum members and non-empty text."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from hearings.errors import InvalidInput

__all__ = ["member", "text"]

E = TypeVar("E", bound=StrEnum)


def member(enum: type[E], value: object, name: str) -> E:
    if isinstance(value, str) and value in enum._value2member_map_:
        return enum(value)
    allowed = [m.value for m in enum]
    raise InvalidInput(f"{name!r} must be in {allowed} (got {value!r})")


def text(value: object, name: str, *, max_length: int = 200) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name!r} must be a non-empty string (got {value!r})")
    if len(value) > max_length:
        raise InvalidInput(f"{name!r} must be at most {max_length} characters (got {len(value)})")
    return value.strip()
