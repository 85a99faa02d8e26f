"""Staff pages in real Chromium (issue 13.4 and 13.8): the staff bar's links by role and its
logout, and a closed hearing's console — reopened from /hearings it is a read-only summary
(the transcript, the recording's state and links, who attended), with no control
enabled and no camera asked for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_trial import until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Counts getUserMedia calls in every frame, so a test can say no camera was asked for.
COUNT_GUM = """(() => {
  window.__gum = 0;
  const md = navigator.mediaDevices;
  if (md && md.getUserMedia) {
    const real = md.getUserMedia.bind(md);
    md.getUserMedia = (c) => { window.__gum += 1; return real(c); };
  }
})();"""


def session_cookie(page: Any) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "yunting_session")


def test_staff_bar_links_by_role_and_logout(staff_page: Callable[..., Any], browser: Any,
                                            server: Server,
                                            screenshot: Callable[[Any, str], Any]) -> None:
    clerk = staff_page("clerk", "/hearings")
    nav = clerk.get_by_test_id("staff-nav")
    for link, path in (("nav-schedule", "/clerk"), ("nav-recordings", "/clerk/recordings"),
                       ("nav-stats", "/clerk/stats"), ("nav-hearings", "/hearings")):
        assert nav.get_by_test_id(link).get_attribute("href") == path
    assert nav.get_by_test_id("nav-duty").count() == 0  # a clerk has no duty queue
    assert nav.get_by_test_id("nav-accounts").count() == 0  # nor staff accounts
    assert nav.get_by_test_id("nav-password").get_attribute("href") == "/account/password"
    screenshot(clerk, "staff-home-clerk")
    nav.get_by_test_id("nav-recordings").click()
    clerk.wait_for_url("**/clerk/recordings")
    assert clerk.get_by_test_id("logout").is_visible()  # logout on the clerk's pages too

    judge = staff_page("judge", "/hearings")
    judge_nav = judge.get_by_test_id("staff-nav")
    assert judge_nav.get_by_test_id("nav-duty").get_attribute("href") == "/duty"
    assert judge_nav.get_by_test_id("nav-schedule").count() == 0
    judge_nav.get_by_test_id("nav-duty").click()
    judge.wait_for_url("**/duty")
    assert judge.get_by_test_id("logout").is_visible()

    secret = session_cookie(clerk)
    clerk.get_by_test_id("logout").click()
    clerk.wait_for_url("**/login")
    assert clerk.get_by_test_id("login-form").is_visible()
    assert not [c for c in clerk.context.cookies() if c["name"] == "yunting_session"]
    clerk.goto("/hearings")  # the browser is logged out ...
    assert "/login?next=" in clerk.url, clerk.url
    # ... and so is the old cookie on the server, sent by anyone.
    other = browser.new_context(base_url=server.url)
    try:
        answer = other.request.get("/api/session",
                                   headers={"Cookie": f"yunting_session={secret}"})
        assert answer.status == 401, answer.text()
    finally:
        other.close()
    assert judge.evaluate("fetch('/api/session').then((r) => r.status)") == 200  # not the judge


def test_closed_console_is_a_read_only_summary(staff_page: Callable[..., Any], server: Server,
                                               screenshot: Callable[[Any, str], Any]) -> None:
    hearing_id = server.links["judge"]["hearing_id"]
    judge = staff_page("judge", f"/hearings/{hearing_id}/console", init_script=COUNT_GUM)
    judge.get_by_test_id("connection-state").and_(
        judge.locator("[data-state=connected]")).wait_for()
    assert judge.get_by_test_id("logout").is_visible()  # the live console has the bar too
    csrf = judge.evaluate("fetch('/api/session').then((r) => r.json()).then((s) => s.csrf_token)")
    for action in ("open_doors", "start", "close"):
        response = judge.request.post(f"/api/hearings/{hearing_id}/transitions",
                                      data={"action": action}, headers={"X-CSRF-Token": csrf})
        assert response.ok, response.text()

    # Reopened from the staff home.
    judge.goto("/hearings")
    judge.locator(f"[data-testid=hearing-row][data-hearing-id='{hearing_id}'] "
                  "[data-testid=hearing-open]").click()
    summary = judge.get_by_test_id("console-closed")
    summary.wait_for()
    assert judge.get_by_test_id("console-page").count() == 0
    assert judge.get_by_test_id("hearing-state").get_attribute("data-state") == "closed"
    assert "闭庭" in judge.get_by_test_id("hearing-state").text_content() or \
        "结束" in judge.get_by_test_id("hearing-state").text_content()
    # No live control, no camera, no video.
    for control in ("control-start", "control-close", "recording-pause", "self-mute"):
        assert judge.get_by_test_id(control).count() == 0
    enabled = judge.evaluate("""[...document.querySelectorAll('button, input, select, textarea')]
        .filter((b) => !b.disabled && b.offsetParent !== null).map((b) => b.dataset.testid)""")
    assert set(enabled) <= {"logout", "summary-package-reason", "summary-package"}, enabled
    assert judge.locator("video").count() == 0
    judge.wait_for_timeout(500)
    assert judge.evaluate("window.__gum") == 0
    # The transcript, the recording, who attended.
    record = judge.get_by_test_id("summary-record")
    assert record.get_attribute("data-state") in ("drafting", "signing", "signed")
    assert judge.get_by_test_id("summary-record-link").get_attribute("href") == \
        f"/clerk/hearings/{hearing_id}/transcript"
    recording = judge.get_by_test_id("summary-recording-state")
    assert recording.get_attribute("data-state") in ("processing", "available", "incomplete",
                                                     "failed")
    assert recording.text_content().strip()
    rows = judge.get_by_test_id("attendance-row")
    assert rows.count() == sum(1 for link in server.links.values()
                               if link["hearing_id"] == hearing_id)
    attended = {row.get_attribute("data-attended") for row in rows.all()}
    judge_row = judge.locator("[data-testid=attendance-row][data-attended=in_hearing]")
    assert judge_row.count() >= 1 and server.links["judge"]["name"] in judge_row.first.text_content()
    assert "absent" in attended  # the defendant never joined
    until(lambda: judge.evaluate("document.documentElement.scrollWidth") <= 1280, 2, "no overflow")
    screenshot(judge, "console-closed")
    assert not [e for e in judge.errors if "pageerror" in e], judge.errors
