"""Page objects for the browser tests: what a person does on one of yunting's pages — the
participant's hearing room, the judge's console, the clerk's transcript, a mediation party's
room and the mediator's console — said once, with the data-testids and the waits behind
each step, so that a test reads as the hearing it plays out and a changed page is mended in
one place.

The module-level functions (`until`, `stage`, `self_test`, `participant_id`, `video_from`) are
the steps the page objects are made of; tests not yet on the page objects import them
(through tests/e2e/test_trial.py, where they were first written)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["ClerkTranscript", "HearingRoom", "JudgeConsole", "MediationRoom", "MediatorConsole",
           "participant_id", "self_test", "stage", "until", "video_from"]

# Each remote tile's participant, its video's width and whether its time advanced in 0.7 s.
FRAMES = """async () => {
  const videos = [...document.querySelectorAll("[data-testid=video-remote] video")];
  const before = videos.map((v) => v.currentTime);
  await new Promise((r) => setTimeout(r, 700));
  return videos.map((v, i) => ({ id: v.parentElement.dataset.participantId, width: v.videoWidth,
                                 advanced: v.currentTime > before[i] }));
}"""


def until(check: Callable[[], Any], within: float, what: str) -> Any:
    """`check()`'s first true value, polled every 0.3 s; after `within` seconds, an
    AssertionError naming `what` and the last value."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what} (last: {value!r})")
        time.sleep(0.3)


def stage(page: Any) -> str:
    """Where the participant's page is: selftest, waiting, hearing or ended."""
    return str(page.get_by_test_id("participant-page").get_attribute("data-stage"))


def self_test(page: Any) -> None:
    """Through the participant's self-test into the waiting room, every check passed."""
    verdict = page.get_by_test_id("selftest-verdict")
    until(lambda: verdict.get_attribute("data-verdict") != "pending", 30, "self-test verdict")
    assert verdict.get_attribute("data-verdict") == "good", verdict.text_content()
    assert page.get_by_test_id("selftest-camera").get_attribute("data-state") == "ok"
    assert page.get_by_test_id("selftest-network").get_attribute("data-state") == "ok"
    page.get_by_test_id("speaker-test").click()
    page.get_by_test_id("speaker-confirm").click()
    assert page.get_by_test_id("selftest-speaker").get_attribute("data-state") == "ok"
    page.get_by_test_id("selftest-continue").click()
    until(lambda: stage(page) == "waiting", 15, "waiting room")


def participant_id(console: Any, name: str) -> str:
    """The id of the participant `name` waiting in the lobby of a judge's console."""
    entry = console.locator("[data-testid=lobby-entry]", has_text=name)
    entry.wait_for(timeout=20_000)
    return str(entry.get_attribute("data-participant-id"))


def video_from(page: Any, ids: set[str], within: float = 40) -> None:
    """Frames from each of `ids` are arriving: videoWidth > 0 and currentTime advancing."""

    def arriving() -> bool:
        tiles = {t["id"]: t for t in page.evaluate(FRAMES)}
        return all(i in tiles and tiles[i]["width"] > 0 and tiles[i]["advanced"] for i in ids)

    until(arriving, within, f"video from {ids} on {page.url}")


def _connected(page: Any) -> None:
    page.locator("[data-testid=connection-state][data-state=connected]").wait_for()


class HearingRoom:
    """A participant's page, opened by their join link or at a kiosk by their code."""

    def __init__(self, page: Any) -> None:
        self.page = page

    @classmethod
    def join(cls, page_for: Callable[..., Any], role_key: str, *, kiosk: bool = False
             ) -> HearingRoom:
        return cls(page_for(role_key, kiosk=kiosk))

    @property
    def stage(self) -> str:
        return stage(self.page)

    def self_test(self) -> None:
        self_test(self.page)

    def wait_for_stage(self, wanted: str, within: float, what: str) -> None:
        until(lambda: self.stage == wanted, within, what)

    @property
    def site_name(self) -> str:
        return str(self.page.get_by_test_id("site-name").text_content())

    @property
    def waiting_status(self) -> tuple[str, str]:
        """The waiting room's status (waiting, delayed, …) and what it says."""
        status = self.page.get_by_test_id("waiting-status")
        return str(status.get_attribute("data-status")), str(status.text_content())

    @property
    def muted(self) -> bool:
        return bool(self.page.get_by_test_id("self-mute").get_attribute("aria-pressed")
                    == "true")

    @property
    def microphone_off(self) -> bool:
        """Every audio track of the page's own stream is disabled."""
        return bool(self.page.evaluate(
            "() => [...document.querySelectorAll('[data-testid=video-local] video')][0]"
            ".srcObject.getAudioTracks().every(t => !t.enabled)"))

    @property
    def recording(self) -> str:
        return str(self.page.get_by_test_id("recording-indicator").get_attribute("data-state"))

    def wait_for_recording(self, within: float) -> None:
        until(lambda: self.recording == "recording", within, f"recording shown on {self.page.url}")

    @property
    def turn(self) -> str:
        """Whose turn to sign the record, as this page sees it: mine, waiting or none."""
        return str(self.page.get_by_test_id("record-status").get_attribute("data-turn"))

    def video_from(self, ids: set[str], within: float = 40) -> None:
        video_from(self.page, ids, within)


class JudgeConsole:
    """The presiding judge's console of one hearing: lobby, controls, participants."""

    def __init__(self, page: Any) -> None:
        self.page = page

    @classmethod
    def open(cls, staff_page: Callable[..., Any], hearing_id: str, username: str = "judge"
             ) -> JudgeConsole:
        """Logged in as `username`, on the console, its socket connected."""
        console = cls(staff_page(username, f"/hearings/{hearing_id}/console"))
        _connected(console.page)
        return console

    @property
    def me(self) -> str:
        """The judge's own participant id."""
        return str(self.page.get_by_test_id("console-page").get_attribute("data-me"))

    @property
    def state(self) -> str:
        return str(self.page.get_by_test_id("hearing-state").get_attribute("data-state"))

    @property
    def recording(self) -> str:
        return str(self.page.get_by_test_id("recording-indicator").get_attribute("data-state"))

    def wait_for_recording(self, within: float) -> None:
        until(lambda: self.recording == "recording", within, f"recording shown on {self.page.url}")

    def participant_id(self, name: str) -> str:
        return participant_id(self.page, name)

    def open_doors(self) -> None:
        self.page.get_by_test_id("control-open-doors").click()

    def start(self) -> None:
        self.page.get_by_test_id("control-start").click()

    def admit(self, pid: str) -> None:
        self._lobby(pid, "lobby-admit").click()

    def call_in(self, pid: str) -> None:
        """Call a witness in from the lobby (in session only)."""
        self._lobby(pid, "witness-call").click()

    def row(self, pid: str) -> Any:
        return self.page.locator(f"[data-testid=participant-row][data-participant-id='{pid}']")

    def quality(self, pid: str) -> str:
        return str(self.row(pid).get_by_test_id("participant-quality").get_attribute(
            "data-level"))

    def mute(self, pid: str) -> None:
        self.row(pid).get_by_test_id("participant-mute").click()

    def remove(self, pid: str) -> None:
        self.row(pid).get_by_test_id("participant-remove").click()

    def close(self, *, confirm: bool = True) -> None:
        """Press close and answer its dialog; confirmed, the console shows the end."""
        self.page.get_by_test_id("control-close").click()
        self.page.get_by_test_id("close-dialog").wait_for()
        self.page.get_by_test_id("close-confirm" if confirm else "close-cancel").click()
        if confirm:
            self.page.get_by_test_id("hearing-ended").wait_for()

    def video_from(self, ids: set[str], within: float = 40) -> None:
        video_from(self.page, ids, within)

    def _lobby(self, pid: str, button: str) -> Any:
        return self.page.locator(f"[data-testid=lobby-entry][data-participant-id='{pid}'] "
                                 f"[data-testid={button}]")


class ClerkTranscript:
    """The transcript page (/clerk/hearings/{id}/transcript): the clerk writes there, the
    judge follows and corrects, both sign by key when their turn comes."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.body = page.get_by_test_id("record-body")

    @classmethod
    def open(cls, staff_page: Callable[..., Any], hearing_id: str, username: str = "clerk"
             ) -> ClerkTranscript:
        return cls(staff_page(username, f"/clerk/hearings/{hearing_id}/transcript"))

    @property
    def text(self) -> str:
        return str(self.body.input_value())

    @property
    def editable(self) -> bool:
        return not self.body.evaluate("(t) => t.readOnly")

    @property
    def version(self) -> int:
        return int(self.page.get_by_test_id("record-version").inner_text())

    @property
    def save_state(self) -> str:
        return str(self.page.get_by_test_id("record-save-state").get_attribute("data-state"))

    @property
    def state(self) -> str:
        return str(self.page.get_by_test_id("record-state").get_attribute("data-state"))

    def write(self, *lines: str) -> None:
        """Type `lines` at the cursor (the editor focused), each ended by a line feed."""
        for line in lines:
            self.page.keyboard.type(line + "\n", delay=5)

    def begin(self, within: float = 15) -> None:
        """Wait for the saved text to be in (the editor is read-only until then: nothing
        typed before it would be lost or saved over it), then put the cursor in."""
        until(lambda: self.editable, within, "the editor open")
        self.body.click()

    def wait_saved(self, within: float = 10) -> None:
        """Autosaved: the page says saved, at version 1 or later."""
        until(lambda: self.save_state == "saved" and self.version >= 1, within, "autosaved")

    def sign(self, within: float = 10) -> None:
        """Sign by the court's key, once it is this account's turn."""
        button = self.page.get_by_test_id("record-sign")
        until(button.is_visible, within, f"the turn to sign on {self.page.url}")
        button.click()


class MediationRoom:
    """A mediation party's page: the self-test, then the room (lobby until admitted)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.root = page.get_by_test_id("mediation-party")

    @property
    def stage(self) -> str:
        return str(self.root.get_attribute("data-stage"))

    @property
    def participant_id(self) -> str:
        return str(self.root.get_attribute("data-participant-id"))

    @property
    def verdict(self) -> str:
        """The self-test's verdict, once there is one."""
        verdict = self.page.get_by_test_id("selftest-verdict")
        until(lambda: verdict.get_attribute("data-verdict") not in (None, "pending"), 30,
              "self-test verdict")
        return str(verdict.get_attribute("data-verdict"))

    def check(self, name: str) -> str:
        """One self-test check's state: selftest-camera, selftest-mic, …"""
        return str(self.page.get_by_test_id(name).get_attribute("data-state"))

    def hear_the_tone(self) -> None:
        self.page.get_by_test_id("speaker-test").click()
        self.page.get_by_test_id("speaker-confirm").click()

    def enter(self) -> None:
        """Continue from the self-test into the room, connected."""
        self.page.get_by_test_id("selftest-continue").click()
        _connected(self.page)

    def self_test(self) -> None:
        """Through the self-test into the room: checks done, tone heard, Continue."""
        self.verdict  # noqa: B018 — waits for it
        self.hear_the_tone()
        self.enter()


class MediatorConsole:
    """The mediator's console of one mediation."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.waiting = page.get_by_test_id("mediation-admit")  # one button per waiting party

    @classmethod
    def open(cls, staff_page: Callable[..., Any], hearing_id: str,
             username: str = "mediator") -> MediatorConsole:
        console = cls(staff_page(username, f"/mediations/{hearing_id}/console"))
        _connected(console.page)
        return console

    def admit(self, *, waiting: int = 1, within: float = 15) -> None:
        """Once exactly `waiting` parties wait in the lobby, admit the first of them."""
        until(lambda: self.waiting.count() == waiting, within,
              f"{waiting} in the mediator's lobby")
        self.waiting.first.click()

    def sees_video_of(self, pid: str) -> bool:
        return bool(self.page.evaluate(
            """(pid) => { const v = document.querySelector(
                 `[data-testid=video-remote][data-participant-id='${pid}'] video`);
               return !!v && v.videoWidth > 0; }""", pid))
