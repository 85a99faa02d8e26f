"""Jinja2 → HTML for every document kind (autoescaped, strict about missing data)."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from importlib import resources

import jinja2

from .errors import RenderError
from .labels import LABELS, LANGS, format_amount, format_date
from .pki import DEV_MARK
from .printable import isolated
from .viewmodels import Document, signing_order


def _finalize(value: object) -> object:
    # Every {{ value }} of every template passes here before escaping: one place where
    # hostile text (bidi overrides, right-to-left runs, controls, lone surrogates) is made
    # printable (see docforge.printable).
    if isinstance(value, str) and not isinstance(value, jinja2.utils.markupsafe.Markup):
        return isolated(value)
    return value


@functools.cache
def environment() -> jinja2.Environment:
    # Built lazily (nothing opens at import time) and once: template compilation is cached.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("docforge", "templates"),
        autoescape=True,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def _css() -> str:
    return (resources.files("docforge") / "templates" / "docforge.css").read_text("utf-8")


def render_html(document: Document, lang: str = "zh", *, development: bool = True) -> str:
    if lang not in LANGS:
        raise RenderError(f"'lang' must be in {list(LANGS)} (got {lang!r})")

    def fdate(day: dt.date) -> str:
        return format_date(day, lang)

    def money(amount: Decimal) -> str:
        return format_amount(amount)

    try:
        template = environment().get_template(f"{document.kind}.html")
        return template.render(
            doc=document,
            L=LABELS[lang],
            lang=lang,
            css=jinja2.utils.markupsafe.Markup(_css()),
            fdate=fdate,
            money=money,
            sig_fields=signing_order(document),
            dev_notice=DEV_MARK if development else "",
        )
    except jinja2.TemplateError as exc:
        raise RenderError(f"{document.kind}: {exc}") from exc
