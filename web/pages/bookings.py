"""Pages of the e+ clinic services (issue 18): the court's kiosk management
(`/clerk/kiosks`), booking at a clinic's kiosk (`/kiosk/book`) and the judge's or mediator's
day of bookings (`/bookings`).

Shells like every page: the lists and the actions go through the JSON API
(web/http/api/kiosks.py, web/http/api/bookings.py), where the access policy decides.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from hearings.domain.actors import Actor
from hearings.domain.courts import Site
from hearings.domain.errors import PermissionDenied
from hearings.domain.staff import StaffRole
from web.http.api.bookings import KIOSK_COOKIE, bookings_service
from web.keys import SERVICES, SETTINGS
from web.pages.hearings import _refused, _staff, _to_login, render

__all__ = ["BOOKING_PAGES"]

BOOKING_PAGES = web.RouteTableDef()
KIOSK_KEEPERS = (StaffRole.CLERK, StaffRole.ADMIN)


@BOOKING_PAGES.get("/clerk/kiosks")
async def kiosks_page(request: web.Request) -> web.StreamResponse:
    """The court's clinic kiosks by site: enroll (the setup link shown once), revoke."""
    user = await _staff(request)
    if user is None:
        raise _to_login(request)
    if user.role not in KIOSK_KEEPERS:
        return _refused(request, 403, "forbidden")
    actor = Actor.staff(user)
    scheduling = request.app[SERVICES].scheduling
    sites: list[Site] = []
    for court in await scheduling.courts(actor):
        sites += await scheduling.sites(actor, court.id)
    return render(request, "kiosks_admin.html", user=user,
                  sites=[{"id": s.id, "name": s.name, "kind": s.kind.value} for s in sites])


@BOOKING_PAGES.get("/bookings")
async def bookings_page(request: web.Request) -> web.StreamResponse:
    """A judge's or mediator's day of clinic bookings and their slots (a clerk sees the
    court's), with the form that publishes a slot."""
    user = await _staff(request)
    if user is None:
        raise _to_login(request)
    if user.court_id is None:
        return _refused(request, 403, "forbidden")
    tz = ZoneInfo(request.app[SETTINGS].court_timezone)
    now = datetime.now(tz)
    return render(request, "bookings.html", user=user, today=now.date().isoformat(),
                  tz_offset=now.strftime("%z")[:3] + ":" + now.strftime("%z")[3:],
                  publishes=user.role in (StaffRole.JUDGE, StaffRole.MEDIATOR))


@BOOKING_PAGES.get("/kiosk/book")
async def kiosk_book_page(request: web.Request) -> web.StreamResponse:
    """Booking a service at the clinic's kiosk: only on an enrolled kiosk (its cookie)."""
    tz = ZoneInfo(request.app[SETTINGS].court_timezone)
    today = datetime.now(tz).date()
    try:
        _, site, _slots = await bookings_service(request.app).free_at_kiosk(
            request.cookies.get(KIOSK_COOKIE), today)
    except PermissionDenied:
        return _refused(request, 403, "forbidden", True)
    return render(request, "kiosk_book.html", site_name=site.name, today=today.isoformat())
