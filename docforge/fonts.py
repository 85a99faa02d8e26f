"""The CJK font of signature stamps: the face WeasyPrint prints documents with (Noto Serif CJK
SC, found through fontconfig), cut down per stamp to the characters it draws.

pyHanko embeds the font it is given and subsets it with fontTools, which costs about a second
for a whole CJK face; HarfBuzz cuts it to a stamp's few dozen glyphs in ~20 ms first. Debian's
Noto CJK is a ``.ttc`` collection: fontconfig names the file and the face index in it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

from .errors import SigningError

__all__ = ["STAMP_FAMILY", "drawable", "stamp_font"]

STAMP_FAMILY = "Noto Serif CJK SC"
MISSING = "□"  # the mark Chinese print uses for a character it cannot show


@functools.cache
def _face() -> Any:
    import uharfbuzz as hb

    path, index, family = _fontconfig_match(f"{STAMP_FAMILY}:style=Regular")
    if family != STAMP_FAMILY:  # fontconfig falls back to any font rather than fail
        raise SigningError(f"no {STAMP_FAMILY} font for signature stamps "
                           f"(fontconfig offers {family!r}): install fonts-noto-cjk")
    return hb.Face(hb.Blob.from_file_path(path), index)


@functools.cache
def _characters() -> frozenset[int]:
    return frozenset(_face().unicodes)


def drawable(text: str) -> str:
    """``text`` with each character the stamp font lacks (CJK Extension B and later, most
    scripts beyond CJK and Latin) shown as □: pyHanko cannot embed a missing glyph."""
    have = _characters()
    return "".join(c if c == "\n" or ord(c) in have else MISSING for c in text)


def stamp_font(text: str) -> bytes:
    """An OpenType (CFF) font holding the glyphs of ``text``, and nothing else."""
    import uharfbuzz as hb

    subset = hb.SubsetInput()
    subset.unicode_set.update(ord(c) for c in text)
    return bytes(hb.subset(_face(), subset).blob.data)


def _fontconfig_match(pattern: str) -> tuple[str, int, str]:
    fc = ctypes.CDLL(ctypes.util.find_library("fontconfig") or "libfontconfig.so.1")
    p, c_str, c_int = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    fc.FcInitLoadConfigAndFonts.restype = p
    fc.FcNameParse.restype, fc.FcNameParse.argtypes = p, [c_str]
    fc.FcConfigSubstitute.argtypes = [p, p, c_int]
    fc.FcDefaultSubstitute.argtypes = [p]
    fc.FcFontMatch.restype, fc.FcFontMatch.argtypes = p, [p, p, ctypes.POINTER(c_int)]
    fc.FcPatternGetString.argtypes = [p, c_str, c_int, ctypes.POINTER(c_str)]
    fc.FcPatternGetInteger.argtypes = [p, c_str, c_int, ctypes.POINTER(c_int)]
    fc.FcPatternDestroy.argtypes = fc.FcConfigDestroy.argtypes = [p]
    config = fc.FcInitLoadConfigAndFonts()
    query = fc.FcNameParse(pattern.encode())
    fc.FcConfigSubstitute(config, query, 0)  # FcMatchPattern
    fc.FcDefaultSubstitute(query)
    match = fc.FcFontMatch(config, query, ctypes.byref(c_int()))
    try:
        if not match:
            raise SigningError(f"fontconfig found no font for {pattern!r}")
        path, family, index = c_str(), c_str(), c_int()
        fc.FcPatternGetString(match, b"file", 0, ctypes.byref(path))
        fc.FcPatternGetString(match, b"family", 0, ctypes.byref(family))
        fc.FcPatternGetInteger(match, b"index", 0, ctypes.byref(index))
        return (path.value or b"").decode(), index.value, (family.value or b"").decode()
    finally:
        if match:
            fc.FcPatternDestroy(match)
        fc.FcPatternDestroy(query)
        fc.FcConfigDestroy(config)
