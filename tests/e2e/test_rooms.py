"""The consultation room and audio-only mode in real Chromium.

The defence lawyer (remote) and the defendant (detention centre) step into a private
consultation: they see each other, the judge's console says they are in consultation and
receives none of their media; leaving brings them back into the hearing. Then the
defendant's connection turns Bad — the browser's own WebRTC stats report heavy loss
(an init script inflates `packetsLost` in `getStats`; the page's stats → heartbeat →
server classification → suggestion path is the real one) — the page suggests audio
only, and accepting it stops the camera on the wire: the defendant's video sender sends
no more bytes and the judge's received frames stop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_trial import _participant_id, self_test, stage, until, video_from

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Every RTCPeerConnection is kept in window.__pcs; with window.__lossy set, getStats
# reports three packets lost for every one received (as a lossy network would).
WATCH_RTC = """(() => {
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  window.__pcs = [];
  window.__lossy = false;
  class Watched extends Native {
    constructor(...args) { super(...args); window.__pcs.push(this); }
    async getStats(...args) {
      const report = await super.getStats(...args);
      if (!window.__lossy) return report;
      const out = new Map();
      report.forEach((s, key) => {
        out.set(key, s.type === "inbound-rtp" ? { ...s, packetsLost: 3 * (s.packetsReceived || 0) } : s);
      });
      return out;
    }
  }
  window.RTCPeerConnection = Watched;
})();"""

# Bytes of video my connections that also receive (the one to the server's forwarder) have
# sent so far.
MESH_VIDEO_SENT = """async () => {
  let bytes = 0;
  for (const pc of window.__pcs.filter((p) => p.connectionState !== "closed")) {
    const report = await pc.getStats();
    const stats = [...report.values()];
    if (!stats.some((s) => s.type === "inbound-rtp")) continue;  // the recorder's peer
    for (const s of stats) if (s.type === "outbound-rtp" && s.kind === "video") bytes += s.bytesSent || 0;
  }
  return bytes;
}"""

# Video frames received from one participant (the connection feeding their tile).
FRAMES_FROM = """async (pid) => {
  const video = document.querySelector(`[data-testid=video-remote][data-participant-id='${pid}'] video`);
  if (!video || !video.srcObject) return null;
  const ids = video.srcObject.getVideoTracks().map((t) => t.id);
  const pc = window.__pcs.find((p) => p.connectionState !== "closed" &&
    p.getReceivers().some((r) => r.track && ids.includes(r.track.id)));
  if (!pc) return null;
  let frames = 0;  // of that tile's track only: one connection carries everyone's video
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video" && ids.includes(s.trackIdentifier)) frames += s.framesReceived || 0;
  });
  return frames;
}"""

# Bytes received over every open connection (the judge's recorder peer only sends).
RECEIVED = """async () => {
  let bytes = 0;
  for (const pc of window.__pcs.filter((p) => p.connectionState !== "closed")) {
    (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp") bytes += s.bytesReceived || 0; });
  }
  return bytes;
}"""


def grows(page: Any, script: str, arg: Any = None, wait_ms: int = 1000) -> bool:
    before = page.evaluate(script, arg)
    page.wait_for_timeout(wait_ms)
    after = page.evaluate(script, arg)
    return bool(before is not None and after is not None and after > before)


def remote_ids(page: Any) -> set[str]:
    return set(page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=video-remote]')]"
        ".map((t) => t.dataset.participantId)"))


def test_consultation_then_audio_only(server: Server, page_for: Callable[..., Any],
                                      staff_page: Callable[..., Any],
                                      screenshot: Callable[[Any, str], Any]) -> None:
    hearing_id = server.links["judge"]["hearing_id"]
    judge = staff_page("judge", f"/hearings/{hearing_id}/console", init_script=WATCH_RTC)
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
    judge_id = str(judge.get_by_test_id("console-page").get_attribute("data-me"))
    video_from(judge, set(ids.values()))

    # The lawyer asks the defendant for a private consultation; the defendant accepts.
    controls = lawyer.get_by_test_id("consultation-controls")
    controls.wait_for()
    assert lawyer.get_by_test_id("consultation-target").input_value() == ids["defendant"]
    lawyer.get_by_test_id("consultation-request").click()
    incoming = defendant.get_by_test_id("consultation-incoming")
    incoming.wait_for()
    assert server.links["defence_lawyer"]["name"] in defendant.get_by_test_id(
        "consultation-from").text_content()
    defendant.get_by_test_id("consultation-accept").click()
    for page in (lawyer, defendant):
        page.get_by_test_id("consultation-banner").wait_for()
    assert defendant.get_by_test_id("consultation-members").text_content().startswith(
        server.links["defence_lawyer"]["name"])

    # They see each other, and nobody else; the judge sees that, and gets nothing.
    video_from(lawyer, {ids["defendant"]})
    video_from(defendant, {ids["defence_lawyer"]})
    until(lambda: remote_ids(lawyer) == {ids["defendant"]}
          and remote_ids(defendant) == {ids["defence_lawyer"]}, 10, "only each other")
    for pid in ids.values():
        row = judge.locator(f"[data-testid=participant-row][data-participant-id='{pid}']")
        until(lambda r=row: r.get_attribute("data-state") == "in_consultation", 10,
              "the console shows the consultation")
        assert "私下会见" in row.get_by_test_id("participant-consultation").text_content()
    until(lambda: not remote_ids(judge), 10, "the judge's tiles of them are gone")
    assert not grows(judge, RECEIVED), "the judge still receives media"
    screenshot(judge, "rooms-judge-consultation")
    screenshot(defendant, "rooms-defendant-consultation")

    # Back to the hearing: everyone sees everyone again.
    defendant.get_by_test_id("consultation-leave").click()
    for page in (lawyer, defendant):
        until(lambda p=page: not p.get_by_test_id("consultation-banner").is_visible(), 10,
              "the banner goes")
    until(lambda: judge.locator("[data-testid=participant-row][data-state=in_consultation]")
          .count() == 0, 10, "back in the hearing on the console")
    video_from(judge, set(ids.values()))
    video_from(defendant, {judge_id, ids["defence_lawyer"]})

    # The defendant's network turns bad: the judge sees Bad, the page suggests audio only.
    assert grows(defendant, MESH_VIDEO_SENT)
    assert grows(judge, FRAMES_FROM, ids["defendant"])
    defendant.evaluate("() => { window.__lossy = true; }")
    suggestion = defendant.get_by_test_id("audio-only-suggestion")
    suggestion.wait_for(timeout=20_000)
    assert defendant.get_by_test_id("quality-indicator").get_attribute("data-level") == "bad"
    until(lambda: judge.locator(f"[data-testid=participant-row][data-participant-id="
                                f"'{ids['defendant']}'] [data-testid=participant-quality]"
                                ).get_attribute("data-level") == "bad", 10, "Bad on the console")
    screenshot(defendant, "rooms-defendant-audio-suggestion")
    defendant.get_by_test_id("audio-only-accept").click()
    assert defendant.get_by_test_id("audio-only").get_attribute("aria-pressed") == "true"
    assert not suggestion.is_visible()
    defendant.wait_for_timeout(500)  # what was in flight arrives
    assert not grows(defendant, MESH_VIDEO_SENT), "the camera is still being sent"
    assert not grows(judge, FRAMES_FROM, ids["defendant"]), "the judge still gets frames"
    assert grows(judge, FRAMES_FROM, ids["defence_lawyer"])  # the others' video goes on

    # Video on again: frames flow again.
    defendant.get_by_test_id("audio-only").click()
    assert defendant.get_by_test_id("audio-only").get_attribute("aria-pressed") == "false"
    until(lambda: grows(judge, FRAMES_FROM, ids["defendant"], 700), 10, "video is back")
    for page in (judge, lawyer, defendant):
        assert not [e for e in page.errors if "favicon" not in e], page.errors
