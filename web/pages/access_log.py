"""The access log page (`/clerk/access-log`): who read which recording or document of the
court, when, from where and why, for its clerks and administrators (issue 17.5).

A shell like every page: the rows and the CSV come from the API
(web/http/api/access_log.py), where the policy decides (`access_log.read`); an administrator
without a court chooses the court.
"""

from __future__ import annotations

from aiohttp import web

from hearings.domain.actors import Actor
from hearings.domain.courts import Court
from hearings.domain.staff import StaffRole
from web.keys import SERVICES
from web.pages.hearings import _refused, _staff, _to_login, render

__all__ = ["ACCESS_LOG_PAGES"]

ACCESS_LOG_PAGES = web.RouteTableDef()
READERS = (StaffRole.CLERK, StaffRole.ADMIN)


@ACCESS_LOG_PAGES.get("/clerk/access-log")
async def access_log_page(request: web.Request) -> web.StreamResponse:
    user = await _staff(request)
    if user is None:
        raise _to_login(request)
    if user.role not in READERS:
        return _refused(request, 403, "forbidden")
    courts: list[Court] = await request.app[SERVICES].scheduling.courts(Actor.staff(user))
    return render(request, "access_log.html", user=user,
                  courts=[{"id": c.id, "label": f"{c.code} {c.name}"} for c in courts],
                  court_id=user.court_id or (courts[0].id if courts else ""))
