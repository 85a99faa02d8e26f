"""A remote interrogation signed while the camera rolls, in real Chromium (issue 17).

The clerk schedules a remote interrogation of a minor: the prosecutor at the procuratorate,
the detainee at the detention centre with the appropriate adult beside him (each on their
own screen there), the lawyer remote; the presiding judge runs the room and the clerk records
(in the room too, camera on). The clerk records the notice of rights and drafts the 讯问笔录
live; the detainee reads it page by page and asks for a correction; the clerk corrects it
and sends it again; closing is refused while it is being signed; the detainee chooses the
statement and signs on the pad, then the appropriate adult, the lawyer, the prosecutor (by
hand) and the recorder (by key) — all while the recording runs. Then: pdfsig lists every
signature valid; the evidence package verifies and lists each signature with its offset in
the signer's own recorded track; the composite shows the caption at the detainee's
signature; and a package whose sidecar moves that signature outside the recorded stretch,
re-sealed with the court's development keys, is named by `yunting verify`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import av
import pytest

from tests.e2e.conftest import Server, _watch
from tests.e2e.interrogation_kit import (
    PLAIN_MICROPHONE,
    SLOW,
    WAIT,
    browser,  # noqa: F401 (the module's lighter Chromium)
    convene,
    judge_console,
    open_page,
    self_test,
)
from tests.e2e.test_transcript import _sign_on_pad, _signed, _turn
from tests.e2e.test_trial import stage, until

# Six Chromium pages with cameras, two signing rounds, sealing and two package checks: more
# than pytest-timeout's default 300 s on a shared two-core machine.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1800)]

LINES = ["问：我们是重庆市渝北区人民检察院的检察人员，现依法对你进行讯问。你叫什么名字？",
         "答：张小某。", "问：你今年多大？", "答：十六岁。",
         "问：十月三日晚上你在哪里？把经过说一下。",
         "答：我在超市，拿了两部手机，没有付钱。" * 3]
CORRECTED = "答：我在超市，手机是别人塞给我的，我没有付钱。"
REASON = "最后一个回答记错了：手机是别人塞给我的"


def _write(clerk: Any, line: str) -> None:
    clerk.keyboard.insert_text(line)
    clerk.keyboard.press("Enter")


def _read_to_the_end(page: Any) -> str:
    """Turn the reader's pages to the last one; the text read on the way."""
    reader = page.get_by_test_id("record-reader")
    reader.wait_for()
    count = page.get_by_test_id("record-reader-count")
    until(lambda: count.get_attribute("data-pages") not in (None, "", "0"), WAIT, "pages")
    while page.get_by_test_id("record-reader-prev").is_enabled():
        page.get_by_test_id("record-reader-prev").click()
    text = [page.get_by_test_id("record-reader-page").inner_text()]
    while page.get_by_test_id("record-reader-next").is_enabled():
        page.get_by_test_id("record-reader-next").click()
        text.append(page.get_by_test_id("record-reader-page").inner_text())
    assert count.get_attribute("data-page") == count.get_attribute("data-pages")
    return "".join(text)


Band = list[tuple[int, int, int]]


def _caption_bands(composite: Path, *times: float) -> list[Band]:
    """RGB of the caption box's top band (above its text) in the frames shown at `times`
    (seconds, ascending): one pass, from the keyframe before the first."""
    wanted, bands = list(times), list[Band]()
    with av.open(str(composite)) as container:
        stream = container.streams.video[0]
        assert stream.time_base is not None
        container.seek(int(wanted[0] / stream.time_base), stream=stream)
        for frame in container.decode(stream):
            while wanted and frame.time is not None and frame.time >= wanted[0]:
                bands.append(_band(frame))
                wanted.pop(0)
            if not wanted:
                return bands
    raise AssertionError(f"no frame at {wanted} s")


def _band(frame: av.VideoFrame) -> Band:
    plane = frame.reformat(format="rgb24").planes[0]
    data, stride = bytes(plane), plane.line_size
    return [tuple(data[y * stride + 3 * x: y * stride + 3 * x + 3])  # type: ignore[misc]
            for y in range(8, 14) for x in range(10, 150, 7)]


def _yellow(band: Band) -> bool:
    return all(r > 190 and g > 190 and b < 90 for r, g, b in band)


def _verify(server: Server, path: Path) -> subprocess.Popen[str]:
    """`yunting verify PATH --json`, started (see `_outcome`)."""
    env = {**os.environ, "YUNTING_DATA_DIR": str(server.data_dir)}
    env.pop("YUNTING_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "web.app.cli", "verify", str(path), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _outcome(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    try:
        stdout, stderr = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_interrogation_signed_while_recording(
        server: Server, new_context: Callable[..., Any], staff_page: Callable[..., Any],
        screenshot: Callable[[Any, str], Any], tmp_path: Path) -> None:
    # -- the clerk schedules the interrogation ------------------------------------------
    clerk = staff_page("clerk", "/clerk/schedule", init_script=PLAIN_MICROPHONE)
    clerk.context.set_default_timeout(SLOW)
    api = clerk.context.request
    csrf = {"X-CSRF-Token": api.get("/api/session").json()["csrf_token"]}
    clerk_id = api.get("/api/session").json()["user"]["id"]
    trial = api.get(f"/api/hearings/{server.links['judge']['hearing_id']}").json()
    detention = next(p["site_id"] for p in trial["participants"] if p["role"] == "defendant")
    made = api.post("/api/hearings", headers=csrf, data={
        "case_id": trial["case_id"], "kind": "remote_interrogation",
        "title": "张小某盗窃案远程提讯", "scheduled_at": dt.datetime.now(dt.UTC).isoformat(),
        "presiding_user_id": trial["presiding_user_id"]})
    assert made.status == 201, made.text()
    hid = made.json()["id"]
    people: dict[str, dict[str, Any]] = {}
    for key, body in (
            ("judge", {"name": "审判员李明", "role": "judge",
                       "staff_user_id": trial["presiding_user_id"]}),
            ("clerk", {"name": "书记员王芳", "role": "clerk", "staff_user_id": clerk_id}),
            ("prosecutor", {"name": "检察员孙强", "role": "prosecutor"}),
            ("detainee", {"name": "张小某", "role": "defendant", "site_id": detention,
                          "minor": True}),
            ("adult", {"name": "张母", "role": "appropriate_adult", "site_id": detention}),
            ("lawyer", {"name": "律师周正", "role": "defence_lawyer"})):
        invited = api.post(f"/api/hearings/{hid}/participants", headers=csrf, data=body)
        assert invited.status == 201, invited.text()
        people[key] = invited.json()
    assert people["detainee"]["minor"] is True
    links = {key: api.post(f"/api/hearings/{hid}/participants/{people[key]['id']}/join-links",
                           headers=csrf).json()["url"]
             for key in ("prosecutor", "detainee", "adult", "lawyer")}

    # -- everyone joins; the judge admits them and starts; the recording runs ------------
    pages = {}
    # one at a time, before the court's two consoles send video: four self-tests at once, or
    # beside the consoles' cameras, overloaded two cores (a click then took over a minute)
    for key, url in links.items():
        pages[key] = open_page(new_context, url)
        self_test(pages[key])
    judge = judge_console(staff_page, hid)
    clerk_room = _watch(clerk.context.new_page())  # the recorder is in the room, on camera
    clerk_room.goto(f"/hearings/{hid}/console")
    clerk_room.get_by_test_id("connection-state").and_(
        clerk_room.locator("[data-state=connected]")).wait_for()

    convene(judge, api, hid, pages, people)
    # a peer lost under load fails the recording until its media is back: wait for that
    until(lambda: judge.get_by_test_id("recording-indicator").get_attribute("data-state")
          == "recording", 180, "recording (not failed)")
    detainee, adult, lawyer, prosecutor = (pages[k] for k in
                                           ("detainee", "adult", "lawyer", "prosecutor"))

    # -- the transcript, drafted live: the notice of rights first ---------------------------
    clerk.goto(f"/clerk/hearings/{hid}/transcript")
    body = clerk.get_by_test_id("record-body")
    # the editor opens once the saved text is in (typed before, it would be lost)
    until(lambda: not body.evaluate("(t) => t.readOnly"), WAIT, "the editor open")
    body.click()
    for line in LINES:  # a line at a time (a keystroke each is a round trip to Chromium)
        _write(clerk, line)
    until(lambda: clerk.get_by_test_id("record-save-state").get_attribute("data-state")
          == "saved", WAIT, "autosaved")
    clerk.get_by_test_id("record-send").click()
    until(lambda: "notice of rights" in clerk.get_by_test_id("record-message").inner_text(), WAIT,
          "refused before the notice of rights")
    assert clerk.get_by_test_id("record-state").get_attribute("data-state") == "drafting"
    clerk.get_by_test_id("record-rights").click()
    until(lambda: clerk.get_by_test_id("record-rights").get_attribute("data-acknowledged")
          == "1", WAIT, "the notice of rights recorded")
    clerk.get_by_test_id("record-send").click()
    until(lambda: clerk.get_by_test_id("record-state").get_attribute("data-state")
          == "signing", WAIT, "sent for signature while in session")
    # the recording runs on (a participant lost under load shows as failed until back)
    assert judge.get_by_test_id("recording-indicator").get_attribute("data-state") in (
        "recording", "failed")

    # -- the detainee reads it page by page and asks for a correction -------------------
    until(lambda: _turn(detainee) == "mine", WAIT, "the detainee's turn")
    read = _read_to_the_end(detainee)
    assert "十六岁" in read and "没有付钱" in read
    size = detainee.get_by_test_id("record-reader-page").evaluate(
        "(n) => parseFloat(getComputedStyle(n).fontSize)")
    assert size >= 24, size  # large type on the detention room's screen
    assert detainee.get_by_test_id("record-statement-box").is_visible()
    assert not detainee.get_by_test_id("sign-panel").is_visible()  # the statement comes first
    screenshot(detainee, "interrogation-detainee-reads")
    detainee.get_by_test_id("record-correction-open").click()
    detainee.get_by_test_id("record-correction-reason").fill(REASON)
    detainee.get_by_test_id("record-correction").click()
    until(lambda: clerk.get_by_test_id("record-reopened").is_visible(), WAIT,
          "the clerk sees the correction asked for")
    assert REASON in clerk.get_by_test_id("record-reopened").inner_text()
    until(lambda: not clerk.get_by_test_id("record-body").evaluate("(t) => t.readOnly"), WAIT,
          "editable again")
    text = body.input_value()
    body.fill(text.replace(LINES[-1], CORRECTED))
    body.press("End")
    for line in ("问：以上笔录是否属实？", "答：属实。"):
        _write(clerk, line)
    until(lambda: clerk.get_by_test_id("record-save-state").get_attribute("data-state")
          == "saved", WAIT, "the correction saved")
    screenshot(clerk, "interrogation-clerk-correction")
    clerk.get_by_test_id("record-send").click()
    until(lambda: clerk.get_by_test_id("record-state").get_attribute("data-state")
          == "signing", WAIT, "sent again")

    # closing now would stop the camera before the signatures: refused, and it says why
    judge_api = judge.context.request
    refused = judge_api.post(f"/api/hearings/{hid}/transitions", data={"action": "close"},
                             headers={"X-CSRF-Token": judge_api.get("/api/session")
                                      .json()["csrf_token"]})
    assert refused.status == 409 and "signed on camera" in refused.json()["error"]["message"]

    # -- the detainee reads the corrected record, chooses the statement, signs ----------
    until(lambda: _turn(detainee) == "mine", WAIT, "the detainee's turn again")
    until(lambda: "塞给我" in _read_to_the_end(detainee), WAIT, "the corrected text shown")
    choice = detainee.get_by_test_id("record-statement")
    assert choice.inner_text().strip() == "以上笔录我看过，和我说的相符"
    choice.click()
    detainee.get_by_test_id("sign-panel").wait_for()
    screenshot(detainee, "interrogation-detainee-pad")
    _sign_on_pad(detainee, 0)
    until(lambda: _signed(detainee, "party1"), WAIT,
          f"the detainee has signed ({detainee.get_by_test_id('sign-message').inner_text()!r})")

    # -- the appropriate adult, the lawyer and the prosecutor, each on their own pad -----
    for page, field, seed in ((adult, "party2", 2), (lawyer, "party3", 4),
                              (prosecutor, "interrogator1", 6)):
        until(lambda p=page: _turn(p) == "mine", WAIT, f"{field}'s turn")
        assert not page.get_by_test_id("record-statement-box").is_visible()
        page.get_by_test_id("sign-panel").wait_for()
        _sign_on_pad(page, seed)
        until(lambda p=page, f=field: _signed(p, f), WAIT,
              f"{field} signed ({page.get_by_test_id('sign-message').inner_text()!r})")
    # -- the recorder signs by key; the transcript is sealed while the recording still runs --
    until(lambda: clerk.get_by_test_id("record-sign").is_visible(), WAIT, "the recorder's turn")
    clerk.get_by_test_id("record-sign").click()
    until(lambda: clerk.get_by_test_id("record-state").get_attribute("data-state")
          == "signed", WAIT, "sealed")
    # still recording (a peer lost under load shows as failed until its media is back)
    try:
        until(lambda: judge.get_by_test_id("recording-indicator").get_attribute("data-state")
              == "recording", 180, "recording after the seal")
    except AssertionError:
        failing = judge.locator("[data-testid=recording-alert-entry]")
        raise AssertionError(
            "recording not back after the seal: " + repr([
                (failing.nth(i).get_attribute("data-participant-id"),
                 failing.nth(i).get_attribute("data-reason"), failing.nth(i).inner_text())
                for i in range(failing.count())]) + f" people: {people}") from None
    screenshot(clerk, "interrogation-clerk-signed")

    pdf = tmp_path / "interrogation_record.pdf"
    response = api.get(f"/api/hearings/{hid}/transcript/pdf")
    assert response.ok
    pdf.write_bytes(response.body())
    sig = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True, check=False)
    cades = [b for b in sig.stdout.split("Signature #")[1:] if "ETSI.CAdES.detached" in b]
    assert len(cades) == 6 and all("Signature is Valid" in b for b in cades), sig.stdout
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout.replace("\n", "").replace(" ", "")
    for expected in ("讯问笔录", "讯问人：检察员孙强", "记录人：书记员王芳", "合适成年人",
                     "诉讼权利义务告知书", "以上笔录我看过，和我说的相符", "塞给我"):
        assert expected in text, expected

    # -- now the interrogation ends, and the recording with it --------------------------
    judge.get_by_test_id("control-close").click(no_wait_after=True)
    judge.get_by_test_id("close-confirm").click(no_wait_after=True)
    until(lambda: all(stage(p) == "ended" for p in pages.values()), WAIT, "ended")

    def sealed() -> bool:
        state = api.get(f"/api/hearings/{hid}").json()["recording_state"]
        assert state not in ("failed",), state
        return state in ("available", "incomplete")

    until(sealed, 360, "the recording sealed")
    packaged = api.post(f"/api/recordings/{hid}/package", headers=csrf,
                        data={"reason": "核对讯问同步录音录像"})
    assert packaged.ok, packaged.text()
    package = tmp_path / "evidence.zip"
    package.write_bytes(packaged.body())
    checking = _verify(server, package)  # `yunting verify` starts slowly: unpack meanwhile
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(unpacked)
    recordings = unpacked / "data" / "recordings"
    starts = [json.loads(p.read_text())["start_wall_clock"]
              for p in recordings.glob("*/seg-*.json")
              if any(s["packets"] for s in json.loads(p.read_text())["streams"])]
    verified = _outcome(checking)
    assert verified.returncode == 0, verified.stdout[-3000:] + verified.stderr[-2000:]
    report = json.loads(verified.stdout)
    assert report["ok"] is True
    rows = {r["field"]: r for r in report["signatures"]}
    assert set(rows) == {"party1", "party2", "party3", "interrogator1", "clerk"}, rows
    mine = rows["party1"]
    assert mine["track"] == people["detainee"]["id"] and mine["signer"] == "张小某"
    assert mine["kind"] == "interrogation_record"
    assert rows["party2"]["track"] == people["adult"]["id"]
    assert rows["clerk"]["track"] == people["clerk"]["id"]

    # the offset lies inside the detainee's own recorded segment
    segment = json.loads((recordings / mine["segment"]).read_text())
    assert 0 <= mine["offset"] <= segment["duration"], (mine, segment["duration"])
    assert segment["start_wall_clock"] + mine["offset"] == pytest.approx(mine["at"], abs=0.01)

    # -- one signature moved outside the recorded stretch, re-sealed: named -------------
    # (checked while the composite is read below)
    moved = dict(segment)
    moved["signatures"] = [{**s, "offset": s["offset"] + 3600}
                           if s["field"] == "party1" and s["track"] == mine["track"] else s
                           for s in segment["signatures"]]
    (recordings / mine["segment"]).write_text(json.dumps(moved, ensure_ascii=False))
    naming = _verify(server, _reseal(server, unpacked, hid, tmp_path / "resealed.zip"))

    # the composite shows the caption at that moment, not before
    at = mine["at"] - min(starts)
    before, after = _caption_bands(recordings / "composite.mp4", max(0.0, at - 4.0), at + 1.5)
    assert _yellow(after), "no caption at the signature"
    assert not _yellow(before), "a caption before it"

    named = _outcome(naming)
    assert named.returncode == 1, named.stdout[-3000:]
    problems = json.loads(named.stdout)["problems"]
    assert any("张小某 (party1)" in p and "outside the recorded stretch" in p
               for p in problems), problems
    assert json.loads(named.stdout)["signature"] == "valid"  # the court's seal holds

    for page in (*pages.values(), judge, clerk, clerk_room):
        assert not [e for e in page.errors if e.startswith("pageerror")], page.errors


def _reseal(server: Server, unpacked: Path, hid: str, destination: Path) -> Path:
    """The package rebuilt from its (edited) contents and signed with the court's
    development keys, as someone holding them could."""
    from docforge.detached import sign_detached
    from docforge.forge import DocumentForge
    from media.evidence import build_package_sync
    from web.app.wiring import docforge_config
    from web.settings import Settings

    forge = DocumentForge(docforge_config(Settings(data_dir=server.data_dir)))
    data = unpacked / "data"
    # on a thread of its own: the signing runs an event loop, and Playwright's sync API
    # keeps one running on this one
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(
            build_package_sync, data / "recordings", destination, hearing_id=hid,
            sign=functools.partial(sign_detached, source=forge.source),
            documents=sorted((data / "documents").iterdir()),
            audit_extract=sorted((data / "audit").iterdir()), as_zip=True).result()
