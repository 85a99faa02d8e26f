"""Server-rendered pages (jinja2, autoescaped), translated per request."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from hearings.errors import TokenRefused
from web.i18n import negotiate, translations
from web.keys import SERVICES, SETTINGS
from web.labels import REFUSALS, ROLES, STATES

__all__ = ["PAGES", "TEMPLATES", "render"]

PAGES = web.RouteTableDef()
TEMPLATES = web.AppKey("templates", jinja2.Environment)
STATIC_DIR = Path(__file__).parent / "static"


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    return env


def render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    locale = negotiate(request)
    env = request.app[TEMPLATES]
    t = translations(locale)
    html = env.get_template(name).render(
        lang="zh-CN" if locale == "zh_CN" else "en", _=t.gettext, gettext=t.gettext,
        ngettext=t.ngettext, **context)
    return web.Response(text=html, content_type="text/html", status=status)


@PAGES.get("/")
async def index(request: web.Request) -> web.Response:
    return render(request, "index.html")


@PAGES.get("/join/{secret}")
async def join(request: web.Request) -> web.Response:
    gettext = translations(negotiate(request)).gettext
    try:
        admission = await request.app[SERVICES].access.admit_token(request.match_info["secret"])
    except TokenRefused as refused:
        return render(request, "refused.html", status=403, code=refused.code,
                      reason=gettext(REFUSALS[refused.code]))
    hearing = admission.hearing
    tz = ZoneInfo(request.app[SETTINGS].court_timezone)
    return render(
        request, "join.html", hearing=hearing, participant=admission.participant,
        role_label=gettext(ROLES[admission.participant.role]),
        state_label=gettext(STATES[hearing.state]),
        scheduled=hearing.scheduled_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"))
