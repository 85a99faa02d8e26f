"""Translations with Babel/gettext: zh-CN first, English second.

Messages are written in English in the source and translated in
web/locale/<locale>/LC_MESSAGES/messages.po; the .po files are read at start-up
(compiled in memory), so there is no build step to forget. `make i18n` extracts
new messages with pybabel and updates the catalogs.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from aiohttp import web
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = ["DEFAULT_LOCALE", "LOCALES", "N_", "negotiate", "translations"]

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
    return str(negotiated) if negotiated else DEFAULT_LOCALE
