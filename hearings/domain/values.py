"""Checks shared by the value objects: enum members, and the one rule for text.

Every text a person types — names, titles, reasons, the transcript, agreement terms,
chat — passes `text` (one line) or `long_text` (several lines), whether it came over
REST, socket.io or the CLI, so what reaches the database, the audit log and the
documents is the same everywhere:

- valid Unicode: no lone surrogate (a JSON "\\udfff" escape decodes to one), so it
  always encodes as UTF-8;
- no control character (C0, DEL, C1, U+2028/U+2029); `long_text` allows line feed and
  tab, and takes CR LF as a line feed;
- no bidirectional embedding, override or isolate (U+202A–U+202E, U+2066–U+2069):
  refused rather than stripped, because U+202E in a party's name reverses the text after
  it in print, and silently changing a legal name is worse than asking again;
- bounded in characters and in UTF-8 bytes (by default 3 bytes a character: a field full
  of CJK fits, one of 4-byte characters gets three quarters of it);
- one-line text is stripped and put in NFC, so a name typed on two devices (a composed
  or a decomposed "é") is one string in searches, hashes and certificates; Unicode
  defines the two as the same text. Long text is kept exactly as typed: it is the words
  on record, and the clerk's page compares versions with it.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import TypeVar

from hearings.domain.errors import InvalidInput

__all__ = ["BIDI_CONTROLS", "long_text", "member", "text"]

E = TypeVar("E", bound=StrEnum)

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BIDI = r"\u202a-\u202e\u2066-\u2069"
_REFUSED_IN_LINE = re.compile(rf"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
# The same but line feed (U+000A) and tab (U+0009).
_REFUSED_IN_TEXT = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")


def member(enum: type[E], value: object, name: str) -> E:
    if isinstance(value, str) and value in enum._value2member_map_:
        return enum(value)
    allowed = [m.value for m in enum]
    raise InvalidInput(f"{name!r} must be in {allowed} (got {value!r})")


def text(value: object, name: str, *, max_length: int = 200, max_bytes: int | None = None
         ) -> str:
    """One line of text (a name, a title, a reason): stripped, NFC, checked."""
    value = _string(value, name, required=True)
    line = unicodedata.normalize("NFC", value.strip())
    _check(line, name, _REFUSED_IN_LINE, max_length, max_bytes)
    return line


def long_text(value: object, name: str, *, max_length: int, max_bytes: int | None = None,
              required: bool = True) -> str:
    """Several lines (the transcript, agreement terms, chat): as typed, but CR LF → LF."""
    value = _string(value, name, required=required).replace("\r\n", "\n")
    _check(value, name, _REFUSED_IN_TEXT, max_length, max_bytes)
    return value


def _string(value: object, name: str, *, required: bool) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        kind = "a non-empty string" if required else "a string"
        raise InvalidInput(f"{name!r} must be {kind} (got {_show(value)})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(f"{name!r} must be valid Unicode: lone surrogate "
                           f"U+{ord(value[exc.start]):04X} at character {exc.start}") from None
    return value


def _check(value: str, name: str, refused: re.Pattern[str], max_length: int,
           max_bytes: int | None) -> None:
    if len(value) > max_length:
        raise InvalidInput(f"{name!r} must be at most {max_length} characters (got {len(value)})")
    size, limit = len(value.encode("utf-8")), max_bytes or 3 * max_length
    if size > limit:
        raise InvalidInput(f"{name!r} must be at most {limit} bytes in UTF-8 (got {size})")
    found = refused.search(value)
    if found is None:
        return
    char, at = found.group(), found.start()
    if char in BIDI_CONTROLS:
        raise InvalidInput(f"{name!r} must not contain the bidirectional control "
                           f"U+{ord(char):04X} (at character {at}): it reorders how the text "
                           "around it is shown")
    if char in "\n\t":
        raise InvalidInput(f"{name!r} must be one line: no line break or tab "
                           f"(U+{ord(char):04X} at character {at})")
    raise InvalidInput(f"{name!r} must not contain the control character U+{ord(char):04X} "
                       f"(at character {at})")


def _show(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
