"""The device self-test when the browser refuses the camera or the microphone, in real
Chromium (issue 13.3 and 13.8).

Chromium is launched without the fake permission prompt and with
--deny-permission-prompts: whatever the context does not grant, getUserMedia refuses with
NotAllowedError, as after a user's "Block". The fake devices are still there, so a refusal
is never mistaken for a missing device.
- camera refused, microphone allowed: the camera line says the access was refused (not
  "没有摄像头"), the browser's steps are shown, and the party continues with audio only;
- both refused: the microphone line says refused, the page explains how to allow access in
  Chrome/Edge, Firefox and Safari, "Test again" succeeds once access is granted, and "Ask
  the clerk for help" takes the party to the waiting room and the judge's console gets the
  help request;
- with everything allowed the verdict does not say "设备都正常" before the speaker test;
- with no device at all (a Chromium without fake devices) it still says "no microphone",
  not "refused", and shows no permission steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, Server, _watch
from tests.e2e.test_trial import stage, until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DENYING_ARGS = [a for a in CHROMIUM_ARGS if a != "--use-fake-ui-for-media-stream"] + [
    "--deny-permission-prompts"]


@pytest.fixture(scope="module")
def denying_browser(browser: Any) -> Iterator[Any]:
    """A second Chromium from the same Playwright (one sync Playwright per process)."""
    denying = browser.browser_type.launch(executable_path=CHROMIUM, args=DENYING_ARGS,
                                          headless=True)
    yield denying
    denying.close()


@pytest.fixture(scope="module")
def deviceless_browser(browser: Any) -> Iterator[Any]:
    """No fake devices (and this machine has none): getUserMedia says NotFoundError."""
    args = [a for a in CHROMIUM_ARGS if a != "--use-fake-device-for-media-stream"]
    deviceless = browser.browser_type.launch(executable_path=CHROMIUM, args=args,
                                             headless=True)
    yield deviceless
    deviceless.close()


@pytest.fixture
def open_with(denying_browser: Any, server: Server) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def open_page(role_key: str, granted: list[str], lang: str = "zh-CN",
                  on: Any = None) -> Any:
        context = (on or denying_browser).new_context(
            base_url=server.url, viewport={"width": 1280, "height": 800}, locale=lang,
            permissions=granted, extra_http_headers={"Accept-Language": lang})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = _watch(context.new_page())
        page.goto(server.link(role_key))
        return page

    yield open_page
    for context in contexts:
        context.close()


def verdict(page: Any) -> Any:
    line = page.get_by_test_id("selftest-verdict")
    until(lambda: line.get_attribute("data-verdict") not in ("pending", None), 30,
          "self-test verdict")
    return line


def test_camera_refused_continues_with_audio_only(
        open_with: Callable[..., Any], screenshot: Callable[[Any, str], Any]) -> None:
    page = open_with("witness", ["microphone"])
    line = verdict(page)
    camera = page.get_by_test_id("selftest-camera")
    assert camera.get_attribute("data-reason") == "denied"
    assert "拒绝" in camera.text_content() and "没有摄像头" not in camera.text_content()
    assert page.get_by_test_id("selftest-mic").get_attribute("data-reason") == "ok"
    assert line.get_attribute("data-verdict") == "good"
    assert "仅用音频" in line.text_content() or "音频" in line.text_content()
    help_box = page.get_by_test_id("permission-help")
    assert help_box.is_visible()
    assert page.get_by_test_id("permission-help-chrome").get_attribute("class") == "current"
    assert not page.get_by_test_id("selftest-ask-clerk").is_visible()
    screenshot(page, "selftest-camera-refused")
    continue_button = page.get_by_test_id("selftest-continue")
    assert continue_button.is_enabled()
    continue_button.click()
    until(lambda: stage(page) == "waiting", 15, "waiting room")
    assert page.get_by_test_id("audio-only").get_attribute("aria-pressed") == "true"
    assert not [e for e in page.errors if "NotAllowedError" in e], page.errors


def test_both_refused_explains_retries_and_asks_the_clerk(
        open_with: Callable[..., Any], staff_page: Callable[..., Any], server: Server,
        screenshot: Callable[[Any, str], Any]) -> None:
    page = open_with("defendant", [])
    line = verdict(page)
    assert line.get_attribute("data-verdict") == "denied"
    mic = page.get_by_test_id("selftest-mic")
    assert mic.get_attribute("data-reason") == "denied"
    assert "拒绝" in mic.text_content() and "没有" not in mic.text_content()
    assert page.get_by_test_id("selftest-camera").get_attribute("data-reason") == "denied"
    assert "允许" in line.text_content() and "书记员" in line.text_content()
    help_box = page.get_by_test_id("permission-help")
    assert help_box.is_visible()
    for browser in ("chrome", "firefox", "safari"):
        assert page.get_by_test_id(f"permission-help-{browser}").is_visible()
    assert "地址栏" in page.get_by_test_id("permission-help-chrome").text_content()
    assert not page.get_by_test_id("selftest-continue").is_enabled()
    assert page.get_by_test_id("selftest-ask-clerk").is_visible()
    screenshot(page, "selftest-both-refused")

    # The user allows access in the browser, then "Test again" succeeds.
    page.context.grant_permissions(["camera", "microphone"])
    page.get_by_test_id("selftest-retry").click()
    until(lambda: line.get_attribute("data-verdict") == "good", 30, "good after allowing")
    assert page.get_by_test_id("selftest-mic").get_attribute("data-reason") == "ok"
    assert page.get_by_test_id("selftest-camera").get_attribute("data-state") == "ok"
    assert not help_box.is_visible()
    assert page.get_by_test_id("selftest-continue").is_enabled()

    # Refused again; this time the party asks the clerk for help from the self-test.
    page.context.clear_permissions()
    page.get_by_test_id("selftest-retry").click()
    until(lambda: line.get_attribute("data-verdict") == "denied", 30, "denied again")
    hearing_id = server.links["judge"]["hearing_id"]
    judge = staff_page("judge", f"/hearings/{hearing_id}/console")
    judge.get_by_test_id("connection-state").and_(
        judge.locator("[data-state=connected]")).wait_for()
    page.get_by_test_id("selftest-ask-clerk").click()
    until(lambda: stage(page) == "waiting", 15, "waiting room without media")
    until(lambda: page.get_by_test_id("page-message").is_visible(), 15, "help confirmed")
    assert "书记员" in page.get_by_test_id("page-message").text_content()
    help_entry = judge.get_by_test_id("help-entry")
    help_entry.wait_for()
    assert server.links["defendant"]["name"] in help_entry.text_content()
    assert "拒绝" in help_entry.text_content()


def test_verdict_waits_for_the_speaker(page_for: Callable[..., Any]) -> None:
    page = page_for("prosecutor")
    line = verdict(page)
    assert line.get_attribute("data-verdict") == "good"
    assert line.get_attribute("data-speaker") == "untested"
    assert "设备都正常" not in line.text_content()
    assert "扬声器" in line.text_content()
    page.get_by_test_id("speaker-test").click()
    page.get_by_test_id("speaker-confirm").click()
    assert line.get_attribute("data-speaker") == "ok"
    assert "设备都正常" in line.text_content()


def test_english_steps_come_from_the_catalog(open_with: Callable[..., Any]) -> None:
    page = open_with("witness", [], lang="en")
    verdict(page)
    assert "Allow" in page.get_by_test_id("permission-help-chrome").text_content()
    assert "refused" in page.get_by_test_id("selftest-mic").text_content()


def test_no_device_is_not_called_refused(open_with: Callable[..., Any],
                                         deviceless_browser: Any) -> None:
    page = open_with("witness", ["camera", "microphone"], on=deviceless_browser)
    line = verdict(page)
    assert line.get_attribute("data-verdict") == "failed"
    for check in ("selftest-camera", "selftest-mic"):
        node = page.get_by_test_id(check)
        assert node.get_attribute("data-reason") == "missing"
        assert "拒绝" not in node.text_content()
    assert "没有" in page.get_by_test_id("selftest-mic").text_content()
    assert not page.get_by_test_id("permission-help").is_visible()
    assert page.get_by_test_id("selftest-ask-clerk").is_visible()
    assert not page.get_by_test_id("selftest-continue").is_enabled()
