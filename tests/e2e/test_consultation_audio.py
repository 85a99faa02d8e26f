"""Consultation audio in real Chromium (issue 13.8): the judge mutes and locks the
defendant's microphone in the hearing; in the lawyer–client consultation the defendant's
microphone is on again (their own to mute) and the lawyer receives their sound; back in the
hearing the judge's locked mute applies again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_rooms import WATCH_RTC, grows
from tests.e2e.test_trial import _participant_id, self_test, stage, until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Audio energy received from one participant (the connection feeding their tile).
AUDIO_FROM = """async (pid) => {
  const video = document.querySelector(`[data-testid=video-remote][data-participant-id='${pid}'] video`);
  if (!video || !video.srcObject) return null;
  const ids = video.srcObject.getAudioTracks().map((t) => t.id);
  const pc = window.__pcs.find((p) => p.connectionState !== "closed" &&
    p.getReceivers().some((r) => r.track && ids.includes(r.track.id)));
  if (!pc) return null;
  let energy = 0;
  (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "audio") energy += s.totalAudioEnergy || 0; });
  return energy;
}"""


def test_judges_mute_stays_out_of_the_consultation(
        server: Server, page_for: Callable[..., Any], staff_page: Callable[..., Any],
        screenshot: Callable[[Any, str], Any]) -> None:
    hearing_id = server.links["judge"]["hearing_id"]
    judge = staff_page("judge", f"/hearings/{hearing_id}/console")
    judge.get_by_test_id("connection-state").and_(
        judge.locator("[data-state=connected]")).wait_for()
    lawyer = page_for("defence_lawyer", init_script=WATCH_RTC)
    defendant = page_for("defendant", init_script=WATCH_RTC)
    self_test(lawyer)
    self_test(defendant)
    judge.get_by_test_id("control-open-doors").click()
    ids = {key: _participant_id(judge, server.links[key]["name"])
           for key in ("defendant", "defence_lawyer")}
    for pid in ids.values():
        judge.locator(f"[data-testid=lobby-entry][data-participant-id='{pid}'] "
                      "[data-testid=lobby-admit]").click()
    judge.get_by_test_id("control-start").click()
    until(lambda: stage(lawyer) == "hearing" and stage(defendant) == "hearing", 15,
          "both inside")

    # The judge mutes and locks the defendant.
    judge.locator(f"[data-testid=participant-row][data-participant-id='{ids['defendant']}'] "
                  "[data-testid=participant-mute-lock]").click()
    mute = defendant.get_by_test_id("self-mute")
    until(lambda: mute.is_disabled(), 10, "the defendant's microphone locked")
    assert defendant.get_by_test_id("mute-state").is_visible()

    # The consultation: the defendant's microphone is theirs again, the lawyer hears them.
    lawyer.get_by_test_id("consultation-controls").wait_for()
    lawyer.get_by_test_id("consultation-request").click()
    defendant.get_by_test_id("consultation-incoming").wait_for()
    defendant.get_by_test_id("consultation-accept").click()
    for page in (lawyer, defendant):
        page.get_by_test_id("consultation-banner").wait_for()
    until(lambda: mute.is_enabled(), 10, "the defendant's microphone usable in consultation")
    assert not defendant.get_by_test_id("mute-state").is_visible()
    assert mute.get_attribute("aria-pressed") == "false"
    until(lambda: grows(lawyer, AUDIO_FROM, ids["defendant"], 2000), 30,
          "the lawyer hears the defendant")
    screenshot(defendant, "consultation-unmuted")

    # Back in the hearing the judge's lock is on again.
    defendant.get_by_test_id("consultation-leave").click()
    until(lambda: not defendant.get_by_test_id("consultation-banner").is_visible(), 10,
          "back in the hearing")
    until(lambda: mute.is_disabled(), 10, "locked again in the hearing")
    assert defendant.get_by_test_id("mute-state").is_visible()
