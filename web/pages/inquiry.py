"""The public progress inquiry page (一案一码), `/inquiry`: a code (from the summons' QR or
typed) and a party's last 4 digits → the case's stage and next date. No login, no script:
a plain form, so that the oldest phone in the village can use it.

The page asks the same service as `POST /api/inquiry` (hearings/services/inquiries.py); every miss
reads the same, and a locked code answers 429 with Retry-After.
"""

from __future__ import annotations

from aiohttp import web

from hearings.domain.inquiry import InquiryRefused, format_code, normalize_code
from hearings.services.access import TooManyAttempts
from web.http.api.inquiry import INQUIRIES, progress_json
from web.pages.hearings import render, throttled_page

__all__ = ["INQUIRY_PAGES"]

INQUIRY_PAGES = web.RouteTableDef()


def _prefill(code: object) -> str:
    """A code from the QR's link, shown as printed; anything else as typed (shortened)."""
    normal = normalize_code(code)
    return format_code(normal) if normal else str(code or "")[:20]


@INQUIRY_PAGES.get("/inquiry")
async def inquiry_page(request: web.Request) -> web.StreamResponse:
    return render(request, "inquiry.html", code=_prefill(request.query.get("code", "")),
                  result=None, refused=None)


@INQUIRY_PAGES.post("/inquiry")
async def inquiry_answer(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    code, digits = form.get("code", ""), form.get("digits", "")
    try:
        progress = await request.app[INQUIRIES].ask(code, digits)
    except InquiryRefused:
        return render(request, "inquiry.html", status=404, code=_prefill(code),
                      result=None, refused="not_found")
    except TooManyAttempts as locked:
        minutes = max(1, round(locked.retry_after / 60))
        return throttled_page(render(request, "inquiry.html", status=429,
                                     code=_prefill(code), result=None, refused="locked",
                                     minutes=minutes), locked)
    return render(request, "inquiry.html", code=_prefill(code),
                  result=progress_json(request, progress), refused=None)
