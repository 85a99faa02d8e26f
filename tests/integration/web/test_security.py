"""The browser-facing security of the pages (issue 6, "Security headers"): a CSP without
inline scripts, no framing, no plugins; pages that would work under that CSP (no inline
script, handler or style); the session cookie's flags; CSRF on every form and write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from tests.wiring import wire
from web.app.application import create_app
from web.settings import Secret, Settings

Client = TestClient[Any, Any]
EVIL = "https://evil.example"


async def _site(database: Database, tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]],
                **settings: Any) -> tuple[Client, Trial]:
    app: web.Application = create_app(Settings(
        data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()), media_enabled=False, **settings),
        database=database)
    return await aiohttp_client(app), await make_trial(wire(database))


@pytest.fixture
async def site(database: Database, tmp_path: Path,
               aiohttp_client: Callable[..., Awaitable[Client]]) -> tuple[Client, Trial]:
    return await _site(database, tmp_path, aiohttp_client)


class _Inline(HTMLParser):
    """What a strict CSP would block: inline scripts, handlers, styles, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[str] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>: inline handler")
            if name == "style":
                self.problems.append(f"<{tag} style=...>: inline style")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "script":
            self._in_script = named
            src = named.get("src")
            if src is not None:
                self.scripts.append(src)
                if not src.startswith("/static/"):
                    self.problems.append(f"script from elsewhere: {src}")
            elif named.get("type") != "application/json":
                self.problems.append("inline <script> (not a JSON data block)")
        if tag in ("object", "embed", "applet"):
            self.problems.append(f"<{tag}>")
        if tag == "link" and named.get("rel") == "stylesheet" and not (
                named.get("href") or "").startswith("/static/"):
            self.problems.append(f"stylesheet from elsewhere: {named.get('href')}")


def _check_headers(response: Any) -> None:
    csp = {rule.split(" ", 1)[0]: rule for rule in
           (r.strip() for r in response.headers["Content-Security-Policy"].split(";"))}
    assert csp["script-src"] == "script-src 'self'"
    assert csp["object-src"] == "object-src 'none'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["base-uri"] == "base-uri 'self'" and csp["form-action"] == "form-action 'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


async def _clean_page(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status == 200, (path, response.status)
    _check_headers(response)
    parser = _Inline()
    parser.feed(await response.text())
    assert not parser.problems, (path, parser.problems)


async def test_every_page_works_under_the_strict_csp(site: tuple[Client, Trial]) -> None:
    client, trial = site
    for path in ("/", "/login", "/kiosk", f"/join/{trial.links['defendant']}",
                 f"/join/{trial.links['judge']}"):
        await _clean_page(client, path)
    login = await client.post("/api/session", json={"username": trial.clerk.username,
                                                    "password": "clerk-password-1"})
    assert login.status == 200
    for path in ("/hearings", f"/hearings/{trial.hearing.id}/console", "/clerk",
                 "/clerk/recordings", "/clerk/stats"):
        await _clean_page(client, path)
    # Not only pages: JSON and static files carry the headers too.
    _check_headers(await client.get("/api/session"))
    _check_headers(await client.get("/static/js/lib/ui.js"))


@pytest.mark.parametrize(("public_url", "secure"), [
    ("https://court.example", True), ("http://127.0.0.1:8080", False)])
async def test_session_cookie_flags(database: Database, tmp_path: Path,
                                    aiohttp_client: Callable[..., Awaitable[Client]],
                                    public_url: str, secure: bool) -> None:
    client, trial = await _site(database, tmp_path, aiohttp_client, public_url=public_url)
    response = await client.post("/api/session", json={"username": trial.clerk.username,
                                                       "password": "clerk-password-1"})
    assert response.status == 200
    cookie = response.cookies["yunting_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert bool(cookie["secure"]) is secure  # HTTPS deployments: never sent in clear


async def test_forms_and_writes_refuse_cross_site_requests(site: tuple[Client, Trial]) -> None:
    client, trial = site
    own = str(client.make_url("")).rstrip("/")
    code = trial.links["witness"]

    # The kiosk's code form: another site cannot post a code into a clinic's browser.
    refused = await client.post("/kiosk", data={"code": code}, headers={"Origin": EVIL})
    assert refused.status == 403
    assert (await refused.json())["error"]["code"] == "csrf_failed"
    _check_headers(refused)
    # A foreign page with no-referrer sends `Origin: null`; Fetch Metadata tells it apart.
    foreign = {"Origin": "null", "Sec-Fetch-Site": "cross-site"}
    assert (await client.post("/kiosk", data={"code": code}, headers=foreign)).status == 403
    sibling = {"Origin": "https://evil.court.example", "Sec-Fetch-Site": "same-site"}
    assert (await client.post("/kiosk", data={"code": code}, headers=sibling)).status == 403
    # Our own kiosk page (no-referrer: Chromium sends `Origin: null` with the form).
    for headers in ({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, {"Origin": own}):
        mine = await client.post("/kiosk", data={"code": code}, headers=headers)
        assert mine.status == 200 and 'data-testid="participant-page"' in await mine.text()

    # The login (login CSRF: being logged in as someone else).
    body = {"username": trial.clerk.username, "password": "clerk-password-1"}
    refused = await client.post("/api/session", json=body, headers={"Origin": EVIL})
    assert refused.status == 403 and "yunting_session" not in refused.cookies
    logged = await client.post("/api/session", json=body, headers={"Origin": own})
    assert logged.status == 200
    csrf = (await logged.json())["csrf_token"]

    # Staff writes: the CSRF token is required, and another site is refused even with it.
    path = f"/api/hearings/{trial.hearing.id}/transitions"
    no_token = await client.post(path, json={"action": "open_doors"})
    assert no_token.status == 403 and (await no_token.json())["error"]["code"] == "csrf_failed"
    cross = await client.post(path, json={"action": "open_doors"},
                              headers={"X-CSRF-Token": csrf, "Origin": EVIL})
    assert cross.status == 403
    ok = await client.post(path, json={"action": "open_doors"},
                           headers={"X-CSRF-Token": csrf, "Origin": own})
    assert ok.status == 200, await ok.text()


@pytest.mark.parametrize(("query", "goes_to"), [
    ("next=%2F%09%2Fevil.example", "/hearings"),  # the report: the tab is dropped
    ("next=%2F%5Cevil.example", "/hearings"),
    ("next=%2F%2Fevil.example", "/hearings"),
    ("next=%252F%252Fevil.example", "/hearings"),
    ("next=https%3Aevil.example", "/hearings"),
    ("next=%2Fhearings%3Fdate%3D2026-12-02", "/hearings?date=2026-12-02"),
])
async def test_the_login_page_sends_the_browser_only_to_this_site(
        site: tuple[Client, Trial], query: str, goes_to: str) -> None:
    client, _ = site
    page = await client.get(f"/login?{query}")
    assert page.status == 200
    assert f'data-next="{goes_to}"' in await page.text()
