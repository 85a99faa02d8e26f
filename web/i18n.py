"""Translations with Babel/gettext: zh-CN first, English second.

Messages are written in English in the source and translated in
web/locale/<locale>/LC_MESSAGES/messages.po; the .po files are read at start-up
(compiled in memory), so there is no build step to forget. The browser modules get
the same catalog as JSON (`catalog()`, served at /i18n/<locale>.json). `make messages`
extracts every msgid (templates, Python, JS) with pybabel and lists those the catalog
lacks (`python -m web.i18n missing <pot>`); they are appended by hand, never re-sorted.
"""

from __future__ import annotations

import gettext
import sys
from functools import cache
from io import BytesIO
from pathlib import Path

from aiohttp import web
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = ["DEFAULT_LOCALE", "LOCALES", "N_", "catalog", "negotiate", "translations"]

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LANG_COOKIE = "yunting_lang"
_LOCALE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@cache
def translations(locale: str) -> gettext.NullTranslations:
    po = _LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()  # English is the source language
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


@cache
def catalog(locale: str) -> dict[str, str]:
    """msgid → translation of every translated message (English: empty, msgids are English)."""
    po = _LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return {}
    with po.open("rb") as handle:
        messages = read_po(handle, locale=locale)
    return {m.id: m.string for m in messages
            if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string}


def missing(pot_path: str, locale: str = DEFAULT_LOCALE) -> list[str]:
    """msgids extracted into `pot_path` that `locale`'s catalog does not translate."""
    with open(pot_path, "rb") as handle:
        extracted = read_po(handle)
    have = catalog(locale)
    return [m.id for m in extracted if isinstance(m.id, str) and m.id and m.id not in have]


def negotiate(request: web.Request) -> str:
    """?lang= overrides, then the language cookie, then Accept-Language, then zh-CN."""
    for candidate in (request.query.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate:
            normalised = candidate.replace("-", "_")
            if normalised in LOCALES:
                return normalised
            if normalised.split("_")[0] == "zh":
                return "zh_CN"
    header = request.headers.get("Accept-Language", "")
    preferred = [part.split(";")[0].strip().replace("-", "_") for part in header.split(",")]
    negotiated = Locale.negotiate([p for p in preferred if p], LOCALES, sep="_")
    if negotiated is None:
        return DEFAULT_LOCALE
    # Babel answers with the full identifier (zh-CN → zh_Hans_CN): map it back to ours.
    return "zh_CN" if negotiated.language == "zh" else "en"


if __name__ == "__main__":  # `python -m web.i18n missing build/messages.pot`
    if len(sys.argv) != 3 or sys.argv[1] != "missing":
        sys.exit("usage: python -m web.i18n missing PATH.pot")
    lacking = missing(sys.argv[2])
    for msgid in lacking:
        print(f"msgid {msgid!r} has no zh_CN translation")
    sys.exit(1 if lacking else 0)
