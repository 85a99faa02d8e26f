"""What the interrogation's browser tests share (tests/e2e/test_interrogation.py and
test_plea_statement.py): a lighter Chromium (cameras at 5 fps, microphones without audio
processing), patient waits, and the judge's presses checked."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import CHROMIUM_ARGS, _watch, launch
from tests.e2e.test_trial import _participant_id, stage, until

__all__ = ["LIGHT_CAMERA", "PLAIN_MICROPHONE", "SLOW", "WAIT", "admit", "browser",
           "camera_on", "convene", "judge_console", "open_page", "press", "self_test"]

SLOW = 180_000  # ms: at load 45 a page did not take a click for over a minute
WAIT = 120  # s, the most any step may take: at load 30 a save took 45 s to show
# Each of the six pages encodes its camera and decodes the five others' (the forwarder sends
# every publisher to every page): at Chromium's default 20 frames/s that alone kept two cores
# busy. 5 frames/s (the fake camera's least) is still a camera on and recorded, for a
# fraction of the CPU.
LIGHT_CAMERA = [a + "=fps=5" if a == "--use-fake-device-for-media-stream" else a
                for a in CHROMIUM_ARGS]

# The fake microphones' audio processing (echo cancellation, noise suppression, gain control
# in Chromium's audio service) for six pages cost more CPU than any page (~40% of a core);
# it improves nothing here. Every page of this test asks for the microphone without it.
PLAIN_MICROPHONE = """(() => {
  const media = navigator.mediaDevices;
  if (!media) return;
  const ask = media.getUserMedia.bind(media);
  const plain = { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
  media.getUserMedia = (c) => ask(c && c.audio === true ? { ...c, audio: plain } : c);
})();"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch(LIGHT_CAMERA)


def open_page(new_context: Callable[..., Any], url: str) -> Any:
    context = new_context()
    context.set_default_timeout(SLOW)
    context.add_init_script(PLAIN_MICROPHONE)
    page = _watch(context.new_page())
    page.goto(url, wait_until="domcontentloaded")
    return page


def self_test(page: Any) -> None:
    """test_trial's self-test, with patience: on a loaded machine the loopback round trip
    may read weak or bad (the page then proposes audio only; the camera goes back on
    inside)."""
    verdict = page.get_by_test_id("selftest-verdict")
    until(lambda: verdict.get_attribute("data-verdict") != "pending", WAIT, "self-test verdict")
    # not what this test is about: the loopback round trip is slow while others' tests run
    assert verdict.get_attribute("data-verdict") in ("good", "poor", "bad"), \
        verdict.text_content()
    assert page.get_by_test_id("selftest-camera").get_attribute("data-state") == "ok"
    page.get_by_test_id("speaker-test").click()
    page.get_by_test_id("speaker-confirm").click()
    page.get_by_test_id("selftest-continue").click()
    until(lambda: stage(page) == "waiting", WAIT, "waiting room")


def press(judge: Any, control: str, done: Callable[[], bool]) -> None:
    """Press one of the judge's controls until it took: a console whose socket the server
    dropped under load (no answer to a ping within 20 s) lost the press to open the doors."""
    button = judge.get_by_test_id(control)
    for _ in range(3):
        if not done() and button.is_enabled():
            button.click(no_wait_after=True)
        with contextlib.suppress(AssertionError):
            until(done, 30, f"{control} taken")
            return
    assert done(), f"{control} not taken"


def admit(judge: Any, pid: str) -> None:
    """Admit one waiting participant and see them leave the lobby before the next: the
    lobby is drawn anew on every admission, and a click while it moved once landed beside
    its button (the lawyer was never admitted)."""
    entry = judge.locator(f"[data-testid=lobby-entry][data-participant-id='{pid}']")
    for _ in range(3):
        if not entry.count():
            return
        entry.get_by_test_id("lobby-admit").click(no_wait_after=True)
        with contextlib.suppress(PlaywrightTimeout):
            entry.wait_for(state="detached", timeout=20_000)
    assert not entry.count(), f"{pid} not admitted"


def camera_on(page: Any) -> None:
    button = page.get_by_test_id("audio-only")
    if button.get_attribute("aria-pressed") == "true":
        button.click()


def judge_console(staff_page: Callable[..., Any], hid: str) -> Any:
    """The presiding judge's console of hearing `hid`, connected."""
    judge = staff_page("judge", f"/hearings/{hid}/console", init_script=PLAIN_MICROPHONE)
    judge.context.set_default_timeout(SLOW)
    judge.get_by_test_id("connection-state").and_(
        judge.locator("[data-state=connected]")).wait_for()
    return judge


def convene(judge: Any, api: Any, hid: str, pages: dict[str, Any],
            people: dict[str, dict[str, Any]]) -> None:
    """The judge opens the doors, admits every page's participant, starts; all are inside
    with their cameras on."""
    def state() -> str:
        return str(api.get(f"/api/hearings/{hid}").json()["state"])

    press(judge, "control-open-doors", lambda: state() != "scheduled")
    for key in pages:
        admit(judge, _participant_id(judge, people[key]["name"]))
    press(judge, "control-start", lambda: state() == "in_session")
    until(lambda: all(stage(p) == "hearing" for p in pages.values()), WAIT, "all inside")
    for page in pages.values():
        camera_on(page)
