"""Security headers on every response: a strict CSP, no framing, no referrer leaks; and a
cross-site check on every write.

Join links carry their secret in the path, so no page may leak it through Referer.

CSRF: staff writes carry the session's X-CSRF-Token (web/http/auth.py) and the session cookie
is SameSite=Strict. The writes that need no session — the kiosk's code form (POST /kiosk)
and the login (POST /api/session) — are guarded here, for every write: a browser says
where a request comes from in `Sec-Fetch-Site` (Fetch Metadata; Chromium, Firefox,
Safari ≥ 16.4), and a `cross-site` or foreign `same-site` write is refused (403
`csrf_failed`). Without that header the `Origin` decides, unless it is `null`: under our
`Referrer-Policy: no-referrer` a browser sends `Origin: null` with our own form posts, so
a null origin cannot be told from a foreign one there. Clients that send neither (curl,
the CLI, server-to-server) are not browsers and carry no ambient credentials to abuse.

Every request also names its caller (`hearings.services.access.CALLER`): the client's address and
the shared store where refused join codes are counted, so that each path that takes a
code — pages, API, Bearer tokens, the socket.io connect inside the engine.io request —
is throttled by the same rule in `Access.admit_token`. Behind a reverse proxy the address
is the client's as the configured proxies tell it (`web.http.forwarded`): the handler gets a
request whose `remote` and `scheme` are the client's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from hearings.services.access import CALLER, Caller
from web.http.forwarded import forwarded_request
from web.keys import LOGIN_FAILURES, SETTINGS

__all__ = ["CSP", "cross_site", "security_headers"]

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",  # camera previews and remote WebRTC streams
    "connect-src 'self' ws: wss:",
    "font-src 'self'",
    "frame-src 'self' blob:",  # documents print from a blob: frame (PDFs forbid framing)
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def cross_site(request: web.Request) -> bool:
    """A browser's write that another site started."""
    if request.method in _SAFE:
        return False
    origin = request.headers.get("Origin")
    site = request.headers.get("Sec-Fetch-Site")
    if site in ("same-origin", "none"):  # our own page, or typed by the user
        return False
    if site is None and (origin is None or origin == "null"):
        return False
    settings = request.config_dict.get(SETTINGS)
    allowed = {o.rstrip("/") for o in settings.origins} if settings is not None else set()
    allowed.add(f"{request.scheme}://{request.host}")
    return (origin or "null").rstrip("/") not in allowed


def _caller(request: web.Request) -> Caller | None:
    refusals = request.config_dict.get(LOGIN_FAILURES)
    return Caller(request.remote or "unknown", refusals) if refusals is not None else None


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    settings = request.config_dict.get(SETTINGS)
    if settings is not None:
        request = forwarded_request(request, settings.trusted_proxies)
    if cross_site(request):
        response: web.StreamResponse = web.json_response({"error": {
            "code": "csrf_failed",
            "message": "cross-site request refused: this site's pages only write to it"}},
            status=403)
    else:
        caller = CALLER.set(_caller(request))
        try:
            response = await handler(request)
        finally:
            CALLER.reset(caller)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(self), microphone=(self), display-capture=()")
    return response
