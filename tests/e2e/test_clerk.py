"""The clerk's pages against the real APIs, in real Chromium.

The clerk schedules a hearing (a new case, its number allotted) for ten minutes ago and
invites a party from /clerk; the party's join link opens and their waiting room says the
hearing is delayed. Then a real recording: the judge and the defendant hold the demo
trial for a few seconds and the judge closes it; the archive seals it (composite,
manifest, timestamp). The clerk finds it at /clerk/recordings by case number, plays it
and seeks, checks its verification report and downloads the evidence package, which
verifies offline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import Server
from tests.e2e.pages import HearingRoom, JudgeConsole, until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REASON = "二审调卷，核对庭审录像"


def test_schedule_invite_and_recordings_archive(server: Server, page_for: Callable[..., Any],
                                                staff_page: Callable[..., Any],
                                                new_context: Callable[..., Any],
                                                screenshot: Callable[[Any, str], Any],
                                                tmp_path: Path) -> None:
    links = server.links
    hearing_id = links["judge"]["hearing_id"]

    # A real recording: the judge and the defendant, a few seconds in session, closed.
    console = JudgeConsole.open(staff_page, hearing_id)
    defendant = HearingRoom.join(page_for, "defendant")
    defendant.self_test()
    console.open_doors()
    console.admit(console.participant_id(links["defendant"]["name"]))
    console.start()
    defendant.wait_for_stage("hearing", 15, "defendant inside")
    console.wait_for_recording(15)

    # Meanwhile the clerk schedules another hearing and invites a party.
    clerk = staff_page("clerk", "/clerk")
    clerk.get_by_test_id("schedule-case-type").select_option("civil")
    clerk.get_by_test_id("schedule-procedure").fill("民初")
    clerk.get_by_test_id("schedule-case-title").fill("王某诉李某民间借贷纠纷")
    clerk.get_by_test_id("schedule-kind").select_option("trial")
    clerk.get_by_test_id("schedule-title").fill("王某诉李某民间借贷纠纷远程开庭")
    ten_minutes_ago = clerk.evaluate("""() => {
      const d = new Date(Date.now() - 10 * 60000), p = (n) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    }""")
    clerk.get_by_test_id("schedule-at").fill(ten_minutes_ago)
    clerk.get_by_test_id("schedule-presiding").select_option(label="审判员李明")
    clerk.get_by_test_id("schedule-submit").click()
    result = clerk.get_by_test_id("schedule-result")
    result.wait_for()
    assert "民初" in result.text_content(), result.text_content()
    new_hearing = result.get_attribute("data-hearing-id")
    scheduled = clerk.context.request.get(f"/api/hearings/{new_hearing}").json()
    assert scheduled["presiding_user_id"] and scheduled["state"] == "scheduled"
    clerk.get_by_test_id("invite-section").wait_for()
    clerk.get_by_test_id("invite-name").fill("王某")
    clerk.get_by_test_id("invite-role").select_option("plaintiff")
    site = clerk.get_by_test_id("invite-site")
    until(lambda: site.locator("option").count() > 1, 10, "the court's sites listed")
    site.select_option(label="大盛镇青龙村法官e站")
    clerk.get_by_test_id("invite-submit").click()
    row = clerk.get_by_test_id("invite-row")
    row.wait_for()
    link = str(row.get_by_test_id("invite-link").get_attribute("href"))
    assert link.startswith(f"{server.url}/join/")
    # The day list opens on the court's calendar day (Asia/Shanghai), not the headless
    # browser's (UTC: another day from 16:00 to 24:00 UTC); then the hearing's court day.
    court_today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert clerk.get_by_test_id("day-date").input_value() == court_today
    court_day = (datetime.fromisoformat(scheduled["scheduled_at"])
                 .astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat())
    clerk.get_by_test_id("day-date").fill(court_day)
    clerk.get_by_test_id("day-load").click()
    until(lambda: clerk.locator(f"[data-testid=day-hearing][data-hearing-id='{new_hearing}']")
          .count() == 1, 10, "the new hearing in the day's list")
    screenshot(clerk, "clerk-schedule")
    assert not clerk.errors, clerk.errors
    # The CSP holds in the browser: an injected inline script does not run.
    assert clerk.evaluate("""() => { const s = document.createElement("script");
      s.textContent = "window.__inline = 1"; document.body.append(s); s.remove();
      return window.__inline === undefined; }""")
    clerk.errors.clear()  # Chromium reports the refused script as a console error

    # The invited party's link works; ten minutes late, their waiting room says delayed.
    party = new_context().new_page()
    party.goto(link)
    assert party.get_by_test_id("site-name").text_content() == "大盛镇青龙村法官e站"
    party.get_by_test_id("selftest-verdict").and_(
        party.locator("[data-verdict=good]")).wait_for(timeout=30_000)
    party.get_by_test_id("selftest-continue").click()
    status = party.get_by_test_id("waiting-status")
    until(lambda: status.get_attribute("data-status") == "delayed", 10, "delayed")
    assert "推迟" in status.text_content()
    party.close()

    # Close the trial: the recording is sealed.
    console.page.wait_for_timeout(2500)
    console.close()
    api = clerk.context.request

    def available() -> bool:
        response = api.get(f"/api/hearings/{hearing_id}")
        return bool(response.ok and response.json()["recording_state"] == "available")

    until(available, 40, "the recording sealed")

    # The archive: search by case number, play and seek, verify, download the package.
    clerk.goto("/clerk/recordings")
    clerk.get_by_test_id("recordings-case-number").fill(str(links["judge"].get("case_number")
                                                            or _case_number(api, hearing_id)))
    clerk.get_by_test_id("recordings-reason").fill(REASON)
    clerk.get_by_test_id("recordings-submit").click()
    row = clerk.locator(f"[data-testid=recording-row][data-recording-id='{hearing_id}']")
    row.wait_for()
    assert row.get_attribute("data-sealed") == "1"
    assert row.get_by_test_id("recording-duration").text_content() != "—"
    assert "张某" in row.text_content()

    row.get_by_test_id("recording-play").click()
    video = clerk.get_by_test_id("recording-video")
    until(lambda: video.evaluate("(v) => v.readyState >= 2 && v.duration > 2"), 15,
          "the recording plays")
    target = video.evaluate("(v) => v.duration / 2")
    video.evaluate("""(v, t) => new Promise((resolve) => {
      v.addEventListener("seeked", resolve, { once: true }); v.currentTime = t; })""", target)
    assert abs(video.evaluate("(v) => v.currentTime") - target) < 1.0
    until(lambda: video.evaluate("(v) => !v.paused && v.currentTime > 0"), 10, "plays on")

    row.get_by_test_id("recording-verify").click()
    report = clerk.get_by_test_id("recording-verification")
    until(lambda: report.get_attribute("data-ok") is not None, 15, "a verification report")
    assert report.get_attribute("data-ok") == "1", report.text_content()
    assert "有效" in report.text_content() or "✔" in report.text_content()

    with clerk.expect_download(timeout=30_000) as download:
        row.get_by_test_id("recording-package").click()
    package = tmp_path / "evidence.zip"
    download.value.save_as(package)
    # Verified as the defence would: given only the court's root certificate.
    checked = subprocess.run(
        [sys.executable, "-m", "web.app.cli", "verify", str(package), "--json",
         "--trust", str(server.data_dir / "pki" / "root.pem")],
        env={**os.environ, "YUNTING_DATA_DIR": str(tmp_path / "no-yunting-here")},
        capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(checked.stdout)
    assert checked.returncode == 0 and report["ok"], checked.stdout + checked.stderr
    assert report["hearing_id"] == hearing_id and report["signature"] == "valid"
    screenshot(clerk, "clerk-recordings")
    for page in (console.page, defendant.page, clerk):
        assert not [e for e in page.errors if "favicon" not in e], page.errors


def _case_number(api: Any, hearing_id: str) -> str:
    case_id = api.get(f"/api/hearings/{hearing_id}").json()["case_id"]
    return str(api.get(f"/api/cases/{case_id}").json()["number"])
