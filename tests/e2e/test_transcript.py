"""The transcript (笔录) in real Chromium: during a remote trial the clerk types the
record at /clerk/hearings/{id}/transcript (autosave, versions) while the judge's record page
follows it; the judge closes; the transcript is frozen and signed in order — the detention-centre
defendant and the clinic villager on their pads (mouse strokes), then the clerk and the
judge by key; the sealed PDF validates in poppler's pdfsig and `yunting verify`; the clerk
finds the trial's recording at /clerk/recordings and it plays."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Server
from tests.e2e.pages import ClerkTranscript, HearingRoom, JudgeConsole, until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LINES = ["审：现在开庭。核对当事人身份。", "被告人：我叫张某，身份已核对无误。",
         "审：传证人村民刘大山到庭。", "证人：我看见他晚上翻墙进了仓库。"]
REASON = "庭审结束后核对庭审录像"


def _sign_on_pad(page: Any, seed: int, panel: Any = None) -> None:
    """Write on the pad with the mouse: two strokes, every move a point; then confirm.
    `panel`: the signing panel (a locator) when the page has more than one pad.

    The signer's window is brought to the front, as it is on the kiosk or the signer's own
    screen: Chromium does not start the camera snapshot's video in a window behind others.
    """
    page.bring_to_front()
    where = panel or page
    pad = where.get_by_test_id("signature-pad")
    points = where.get_by_test_id("signature-points")
    # Two strokes; a renderer starved by a loaded machine coalesces moves into fewer points
    # (30 of 58 once), so a third or fourth stroke then. Each stroke is aimed at where the
    # pad is now (a pen would follow the pad too).
    for stroke in range(4):
        if stroke >= 2 and int(points.inner_text()) >= 40:
            break
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50, box
        x0, y0 = box["x"] + 30, box["y"] + box["height"] / 2
        x = x0 + stroke % 2 * 120  # the extra strokes go over the first two
        page.mouse.move(x, y0 - 20)
        page.mouse.down()
        for i in range(1, 30):
            page.mouse.move(x + i * 3, y0 - 20 + ((i * (7 + seed)) % 40))
        page.mouse.up()
    assert int(points.inner_text()) >= 40
    where.get_by_test_id("signature-submit").click()


def _turn(page: Any) -> str:
    return HearingRoom(page).turn


def _signed(page: Any, field: str) -> bool:
    step = page.locator(f"[data-testid=record-signing-step][data-field='{field}']")
    return bool(step.count() and step.first.get_attribute("data-signed") == "1")


def test_record_typed_live_signed_on_pads_and_recording_plays(
        server: Server, page_for: Callable[..., Any], staff_page: Callable[..., Any],
        screenshot: Callable[[Any, str], Any], tmp_path: Path) -> None:
    links = server.links
    hid = links["judge"]["hearing_id"]
    console = JudgeConsole.open(staff_page, hid)
    judge = console.page
    defendant_room = HearingRoom.join(page_for, "defendant")
    witness_room = HearingRoom.join(page_for, "witness", kiosk=True)
    defendant, witness = defendant_room.page, witness_room.page
    defendant_room.self_test()
    witness_room.self_test()
    console.open_doors()
    ids = {key: console.participant_id(links[key]["name"]) for key in ("defendant", "witness")}
    console.admit(ids["defendant"])
    console.start()
    console.call_in(ids["witness"])
    until(lambda: defendant_room.stage == "hearing" and witness_room.stage == "hearing", 20,
          "both inside")
    console.wait_for_recording(15)
    assert judge.get_by_test_id("console-record").get_attribute("href") == \
        f"/clerk/hearings/{hid}/transcript"

    # The clerk types the transcript live; it saves itself, version by version.
    record = ClerkTranscript.open(staff_page, hid)
    clerk = record.page
    record.begin()
    record.write(*LINES[:2])
    record.wait_saved()
    # The judge's record page follows what the clerk writes.
    judge_record = judge.context.new_page()
    judge_record.errors = []
    judge_record.on("pageerror", lambda e: judge_record.errors.append(f"pageerror: {e}"))
    judge_record.goto(f"/clerk/hearings/{hid}/transcript")
    judges_record = ClerkTranscript(judge_record)
    record.write(*LINES[2:])
    until(lambda: LINES[3] in judges_record.text, 15, "the judge sees the clerk's lines")
    assert record.version >= 2
    api = clerk.context.request
    stale = api.put(f"/api/hearings/{hid}/transcript", data={"body": "审：旧稿", "version": 0},
                    headers={"X-CSRF-Token": _csrf(api)})
    assert stale.status == 409 and stale.json()["error"]["code"] == "conflict"
    screenshot(clerk, "record-clerk-typing")

    # The judge saves a correction while the clerk is still typing: the clerk's save is
    # refused as stale, the judge's text is shown, the clerk's own text is kept aside.
    clerk.keyboard.type("书记员：（稍后补记）", delay=5)
    current = api.get(f"/api/hearings/{hid}/transcript").json()
    judge_api = judge.context.request
    fixed = judge_api.put(f"/api/hearings/{hid}/transcript", headers={"X-CSRF-Token": _csrf(
        judge_api)}, data={"body": current["body"] + "审：补充一句。\n", "version":
                           current["version"]})
    assert fixed.ok, fixed.text()
    until(lambda: record.save_state == "conflict", 10, "the clerk's stale save refused")
    assert clerk.get_by_test_id("record-mine").is_visible()
    assert "稍后补记" in clerk.get_by_test_id("record-mine-text").input_value()
    until(lambda: "补充一句" in record.text, 10, "the judge's correction shown to the clerk")
    screenshot(clerk, "record-clerk-conflict")

    # The judge closes: the transcript is frozen and the signing order opens.
    console.close()
    until(lambda: defendant_room.stage == "ended" and witness_room.stage == "ended", 15,
          "ended")
    until(lambda: _turn(defendant) == "mine", 30, "the defendant's turn to sign")
    until(lambda: _turn(witness) == "waiting", 10, "the villager waits for the defendant")
    text = defendant.get_by_test_id("record-signing").inner_text()
    assert "张某" in text and "村民刘大山" in text and "书记员王芳" in text and "审判员李明" in text
    until(lambda: record.state == "signing", 10, "the clerk's page shows signing")
    assert not record.editable
    defendant.get_by_test_id("sign-document").wait_for()
    screenshot(defendant, "record-defendant-pad")
    _sign_on_pad(defendant, 0)
    until(lambda: _turn(defendant) == "none", 20,
          f"the defendant has signed ({defendant.get_by_test_id('sign-message').inner_text()!r})")

    # The villager at the clinic kiosk signs next; the kiosk waits for that.
    until(lambda: _turn(witness) == "mine", 15, "the villager's turn")
    screenshot(witness, "record-villager-kiosk-pad")
    _sign_on_pad(witness, 3)
    until(lambda: _signed(witness, "party2"), 20,
          f"the villager has signed ({witness.get_by_test_id('sign-message').inner_text()!r}, "
          f"{witness.errors})")

    # The clerk, then the judge, sign by the court's key.
    record.sign()
    judges_record.sign()
    until(lambda: judges_record.state == "signed", 20, "sealed")
    for page in (defendant, witness, clerk):
        until(lambda p=page: p.get_by_test_id("record-document").get_attribute("data-loaded")
              == "1", 20, f"the sealed record shown on {page.url}")
    screenshot(witness, "record-villager-signed")
    # The clinic prints the sealed transcript on the spot: the kiosk's big button prints the
    # PDF itself, and the print is recorded as a way the document reached the villager.
    big = witness.get_by_test_id("record-document-print")
    assert "huge" in (big.get_attribute("class") or "")
    big.click()
    until(lambda: "print" in (witness.get_by_test_id("record-document")
                              .get_attribute("data-receipts") or "").split(), 20,
          "the kiosk's print recorded")
    witness.wait_for_function("""() => {
      const f = document.querySelector("iframe.print-frame");
      return f && f.contentDocument && f.contentDocument.contentType === "application/pdf"; }""")
    witness.wait_for_function("() => (window.__printed || []).includes('application/pdf')")
    # The kiosk keeps the sealed transcript on screen, with a way back to its start screen.
    until(lambda: witness.get_by_test_id("kiosk-home").is_visible(), 20, "the kiosk's way back")
    assert "两分钟" in witness.get_by_test_id("kiosk-restart").inner_text()
    witness.get_by_test_id("kiosk-home").click()
    witness.get_by_test_id("kiosk-code").wait_for()
    # Reopened after the close, the defendant's link shows the sealed transcript only.
    again = page_for("defendant")
    until(lambda: again.get_by_test_id("record-panel").get_attribute("data-state") == "signed"
          and again.get_by_test_id("record-document").get_attribute("data-loaded") == "1", 20,
          "the reopened link shows the sealed record")
    assert HearingRoom(again).stage == "ended"
    screenshot(clerk, "record-clerk-signed")

    # The sealed PDF validates: poppler and `yunting verify`.
    response = api.get(f"/api/hearings/{hid}/transcript/pdf")
    assert response.ok
    pdf = tmp_path / "hearing_record.pdf"
    pdf.write_bytes(response.body())
    sig = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True, check=False)
    cades = [b for b in sig.stdout.split("Signature #")[1:] if "ETSI.CAdES.detached" in b]
    assert len(cades) == 5 and all("Signature is Valid" in b for b in cades), sig.stdout
    env = {**os.environ, "YUNTING_DATA_DIR": str(server.data_dir)}
    env.pop("YUNTING_DATABASE_URL", None)
    verified = subprocess.run([sys.executable, "-m", "web.app.cli", "verify", str(pdf), "--json"],
                              capture_output=True, text=True, env=env, timeout=120,
                              check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["ok"] is True

    # The clerk finds the trial's recording and it plays.
    def available() -> bool:
        r = api.get(f"/api/hearings/{hid}")
        return bool(r.ok and r.json()["recording_state"] == "available")

    until(available, 60, "the recording sealed")
    case_id = api.get(f"/api/hearings/{hid}").json()["case_id"]
    case_number = api.get(f"/api/cases/{case_id}").json()["number"]
    clerk.goto("/clerk/recordings")
    clerk.get_by_test_id("recordings-case-number").fill(case_number)
    clerk.get_by_test_id("recordings-reason").fill(REASON)
    clerk.get_by_test_id("recordings-submit").click()
    row = clerk.locator(f"[data-testid=recording-row][data-recording-id='{hid}']")
    row.wait_for()
    row.get_by_test_id("recording-play").click()
    video = clerk.get_by_test_id("recording-video")
    until(lambda: video.evaluate("(v) => v.readyState >= 2 && v.duration > 1"), 20,
          "the recording loads")
    start = video.evaluate("(v) => v.currentTime")
    until(lambda: video.evaluate("(v) => !v.paused") and
          video.evaluate("(v) => v.currentTime") > start + 0.3, 15, "the recording plays on")
    screenshot(clerk, "record-clerk-recording-plays")
    for page in (judge, defendant, witness, clerk, judge_record, again):
        # The one 409 is the clerk's stale save above, which the page handles.
        assert not [e for e in page.errors if "favicon" not in e
                    and not (page is clerk and "status of 409" in e)], page.errors


def _csrf(api: Any) -> str:
    return str(api.get("/api/session").json()["csrf_token"])
