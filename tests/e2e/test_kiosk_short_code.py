"""The short kiosk code in real Chromium (issue 18.1): the clerk enrolls the clinic's kiosk,
the kiosk opens its setup link once (the credential goes into an HttpOnly cookie and out of
the address bar), and the villager types the 8 digits of the summons to join."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Server

pytestmark = [pytest.mark.browser]


def test_a_villager_joins_at_the_enrolled_kiosk_with_eight_digits(
        server: Server, new_context: Callable[..., Any]) -> None:
    from web.app.demo import DEMO_STAFF

    hearing_id = server.links["witness"]["hearing_id"]
    clerk = new_context().request
    session = clerk.post("/api/session", data={"username": "clerk",
                                               "password": DEMO_STAFF["clerk"][2]})
    assert session.ok, session.text()
    csrf = {"X-CSRF-Token": session.json()["csrf_token"]}
    hearing = clerk.get(f"/api/hearings/{hearing_id}").json()
    witness = next(p for p in hearing["participants"]
                   if p["name"] == server.links["witness"]["name"])
    link = clerk.post(f"/api/hearings/{hearing_id}/participants/{witness['id']}/join-links",
                      headers=csrf)
    assert link.ok, link.text()
    code = link.json()["kiosk_code"]
    enrolled = clerk.post(f"/api/sites/{witness['site_id']}/kiosks", headers=csrf,
                          data={"label": "大盛镇一号机"})
    assert enrolled.ok, enrolled.text()
    setup = enrolled.json()["setup_url"].removeprefix(server.url)

    kiosk = new_context().new_page()
    kiosk.goto(setup)
    assert kiosk.url.endswith("/kiosk")  # the credential left the address bar
    cookie = next(c for c in kiosk.context.cookies() if c["name"] == "yunting_kiosk")
    assert cookie["httpOnly"]
    assert kiosk.evaluate("document.cookie").find("yunting_kiosk") < 0
    kiosk.get_by_test_id("kiosk-code").fill(code)
    kiosk.get_by_test_id("kiosk-join").click()
    page = kiosk.get_by_test_id("participant-page")
    page.wait_for()
    assert page.get_attribute("data-kiosk") == "1"

    stranger = new_context().new_page()  # the same digits in a browser that is no kiosk
    stranger.goto("/kiosk")
    stranger.get_by_test_id("kiosk-code").fill(code)
    stranger.get_by_test_id("kiosk-join").click()
    assert stranger.get_by_test_id("kiosk-error").get_attribute("data-reason") \
        == "unknown_token"
