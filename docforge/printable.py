"""Text as docforge prints it or writes it into a signature: the one rule for values that
came from people (names, facts, utterances), old or imported data included.

``printable`` drops bidi controls (U+202A–202E, U+2066–2069, U+200E/200F, U+061C), so a value
cannot reorder the text around it, and other control characters; lone surrogates (which no
PDF or font can hold) become U+FFFD. ``isolated`` also wraps a value holding right-to-left
letters or Arabic digits in FSI … PDI (Unicode's <bdi>), so its direction stays inside it:
a Hebrew obligee cannot pull the amount after it into its own run.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["isolated", "printable"]

_DROPPED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                      "\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_RIGHT_TO_LEFT = frozenset(("R", "AL", "AN"))
FSI, PDI = "\u2068", "\u2069"


def printable(text: str) -> str:
    return _SURROGATE.sub("\ufffd", _DROPPED.sub("", text))


def isolated(text: str) -> str:
    """``printable(text)``, isolated from its neighbours if it holds right-to-left text."""
    text = printable(text)
    if any(unicodedata.bidirectional(c) in _RIGHT_TO_LEFT for c in text):
        return f"{FSI}{text}{PDI}"
    return text
