"""An e+ clinic booking end to end in real Chromium (issue 18.4, with the kiosk page of 18.1).

The clerk enrolls the clinic's kiosk on the court's kiosk page (the setup link shown once);
the judge publishes a slot starting now on their bookings page; at the kiosk a villager
books legal advice and receives the 8-digit code; the judge sees the booking; at the time
the villager types the code at the kiosk, the judge opens the consultation, admits and
starts: both see each other, the recording runs, and after the close it is sealed and
verifies like any hearing's. Finally the clerk revokes the kiosk on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_trial import _participant_id, self_test, stage, until, video_from

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLINIC = "大盛镇青龙村法官e站"
VILLAGER = "村民王秀英"


def test_a_villager_books_legal_advice_at_the_kiosk_and_both_join_at_the_time(
        server: Server, new_context: Callable[..., Any], staff_page: Callable[..., Any],
        screenshot: Callable[[Any, str], Any]) -> None:
    # The clerk enrolls the clinic's kiosk on the court's kiosk page.
    clerk = staff_page("clerk", "/clerk/kiosks")
    site = clerk.locator("[data-testid=kiosk-site]", has_text=CLINIC)
    site.get_by_test_id("kiosk-label").fill("青龙村一号机")
    site.get_by_test_id("kiosk-enroll").click()
    setup_url = site.get_by_test_id("kiosk-setup-url").text_content() or ""
    assert "/kiosk/enroll?code=" in setup_url
    until(lambda: site.get_by_test_id("kiosk-row").count() == 1, 10, "kiosk listed")
    screenshot(clerk, "clinic-kiosks")

    kiosk = new_context().new_page()
    kiosk.goto(setup_url.removeprefix(server.url))
    assert kiosk.url.endswith("/kiosk")

    # The judge publishes a slot starting in a minute (court time) on the bookings page.
    judge = staff_page("judge", "/bookings")
    soon = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(minutes=1)
    judge.get_by_test_id("slot-starts-at").fill(soon.strftime("%Y-%m-%dT%H:%M"))
    judge.get_by_test_id("slot-minutes").fill("30")
    judge.get_by_test_id("slot-publish").click()
    until(lambda: judge.locator("[data-testid=booking-row][data-booked='0']").count() == 1, 10,
          "the free slot listed: " + (judge.get_by_test_id("bookings-message").text_content()
                                      or ""))

    # At the kiosk: book legal advice, receive the code.
    kiosk.get_by_test_id("kiosk-to-booking").click()
    kiosk.get_by_test_id("kiosk-book-legal-advice").check()
    kiosk.get_by_test_id("kiosk-book-slot").first.wait_for()
    kiosk.get_by_test_id("kiosk-book-name").fill(VILLAGER)
    kiosk.get_by_test_id("kiosk-book-submit").click()
    code_node = kiosk.get_by_test_id("kiosk-booked-code")
    code_node.wait_for()
    code = (code_node.text_content() or "").strip()
    assert len(code) == 8 and code.isdigit(), code
    screenshot(kiosk, "clinic-booked-code")

    # The judge sees the booking.
    judge.reload()
    row = judge.locator("[data-testid=booking-row][data-booked='1']")
    row.wait_for()
    assert VILLAGER in (row.get_by_test_id("booking-name").text_content() or "")
    assert "法律咨询" in (row.get_by_test_id("booking-service").text_content() or "")
    hearing_id = row.get_attribute("data-hearing-id")
    screenshot(judge, "clinic-bookings-judge")

    # At the time: the villager types the code at the kiosk, the judge opens the consultation.
    kiosk.get_by_test_id("kiosk-booked-done").click()
    kiosk.get_by_test_id("kiosk-code").fill(code)
    kiosk.get_by_test_id("kiosk-join").click()
    kiosk.get_by_test_id("participant-page").wait_for()
    assert kiosk.get_by_test_id("participant-page").get_attribute("data-kiosk") == "1"
    self_test(kiosk)

    row.get_by_test_id("booking-open").click()
    judge.wait_for_url(f"**/hearings/{hearing_id}/console")
    judge.get_by_test_id("connection-state").and_(
        judge.locator("[data-state=connected]")).wait_for()
    judge.get_by_test_id("control-open-doors").click()
    villager = _participant_id(judge, VILLAGER)
    judge.locator(f"[data-testid=lobby-entry][data-participant-id='{villager}'] "
                  "[data-testid=lobby-admit]").click()
    judge.get_by_test_id("control-start").click()
    until(lambda: stage(kiosk) == "hearing", 15, "the villager inside")
    judge_id = judge.get_by_test_id("console-page").get_attribute("data-me")
    video_from(judge, {villager})
    video_from(kiosk, {judge_id})
    for page in (judge, kiosk):
        until(lambda p=page: p.get_by_test_id("recording-indicator").get_attribute("data-state")
              == "recording", 10, "recording indicator on")
    screenshot(kiosk, "clinic-consultation-kiosk")
    kiosk.wait_for_timeout(2500)  # a few seconds of media in the recording

    judge.get_by_test_id("control-close").click()
    judge.get_by_test_id("close-confirm").click()
    until(lambda: stage(kiosk) == "ended", 15, "the kiosk sees the end")

    # Recorded like any hearing: sealed, and it verifies.
    api = judge.context.request
    until(lambda: api.get(f"/api/hearings/{hearing_id}").json()["recording_state"]
          in ("available", "failed"), 90, "the recording sealed")
    assert api.get(f"/api/hearings/{hearing_id}").json()["recording_state"] == "available"
    report = api.get(f"/api/recordings/{hearing_id}/verification")
    assert report.ok and report.json()["ok"], report.text()

    # The clerk revokes the kiosk on the page.
    clerk.once("dialog", lambda dialog: dialog.accept())
    clerk.reload()
    site = clerk.locator("[data-testid=kiosk-site]", has_text=CLINIC)
    site.get_by_test_id("kiosk-revoke").click()
    until(lambda: site.get_by_test_id("kiosk-status").get_attribute("data-revoked") == "1",
          10, "kiosk revoked")
    for page in (clerk, judge, kiosk):
        errors = [e for e in getattr(page, "errors", []) if "favicon" not in e]
        assert not errors, errors
