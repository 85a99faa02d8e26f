"""The clinic kiosk while its villager signs the transcript, in real Chromium
(issue 13.8): the card does not say the screen returns to the start (the villager still has
to sign) and 确认签名 is on screen without scrolling — at 1920×1080 and at a common kiosk
size, 1366×768 (and 1280×1024)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.conftest import NO_PRINT_DIALOG, Server, _watch
from tests.e2e.test_trial import _participant_id, self_test, stage, until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRANSCRIPT = "审：现在开庭。\n证人：我看见他晚上翻墙进了仓库。\n"
IN_VIEW = """(node) => {
  const r = node.getBoundingClientRect();
  return { top: r.top, bottom: r.bottom, left: r.left, right: r.right,
           height: innerHeight, width: innerWidth, scrollY: scrollY,
           visible: r.height > 0 && r.top >= 0 && r.bottom <= innerHeight
                    && r.left >= 0 && r.right <= innerWidth };
}"""


@pytest.fixture
def kiosk_at(browser: Any, server: Server) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def open_kiosk(role_key: str, width: int, height: int) -> Any:
        context = browser.new_context(
            base_url=server.url, viewport={"width": width, "height": height}, locale="zh-CN",
            permissions=["camera", "microphone"],
            extra_http_headers={"Accept-Language": "zh-CN"})
        context.set_default_timeout(15_000)
        context.add_init_script(NO_PRINT_DIALOG)
        contexts.append(context)
        page = _watch(context.new_page())
        page.goto("/kiosk")
        page.get_by_test_id("kiosk-code").fill(server.links[role_key]["code"])
        page.get_by_test_id("kiosk-join").click()
        return page

    yield open_kiosk
    for context in contexts:
        context.close()


def _csrf(page: Any) -> str:
    return str(page.evaluate(
        "fetch('/api/session').then((r) => r.json()).then((s) => s.csrf_token)"))


def test_kiosk_signing_view(server: Server,
                            kiosk_at: Callable[..., Any], staff_page: Callable[..., Any],
                            screenshot: Callable[[Any, str], Any]) -> None:
    hearing_id = server.links["judge"]["hearing_id"]
    judge = staff_page("judge", f"/hearings/{hearing_id}/console")
    judge.get_by_test_id("connection-state").and_(
        judge.locator("[data-state=connected]")).wait_for()
    kiosk = kiosk_at("witness", 1920, 1080)
    self_test(kiosk)
    judge.get_by_test_id("control-open-doors").click()
    witness_id = _participant_id(judge, server.links["witness"]["name"])
    judge.get_by_test_id("control-start").click()
    judge.locator(f"[data-testid=lobby-entry][data-participant-id='{witness_id}'] "
                  "[data-testid=witness-call]").click()
    until(lambda: stage(kiosk) == "hearing", 20, "the villager inside")

    clerk = staff_page("clerk", f"/clerk/hearings/{hearing_id}/transcript")
    saved = clerk.request.put(f"/api/hearings/{hearing_id}/transcript",
                              data={"body": TRANSCRIPT, "version": 0},
                              headers={"X-CSRF-Token": _csrf(clerk)})
    assert saved.ok, saved.text()
    judge.get_by_test_id("control-close").click()
    judge.get_by_test_id("close-confirm").click()

    until(lambda: stage(kiosk) == "ended", 15, "ended on the kiosk")
    until(lambda: kiosk.get_by_test_id("record-status").get_attribute("data-turn") == "mine",
          30, "the villager's turn to sign")
    kiosk.get_by_test_id("sign-document").wait_for()
    card = kiosk.get_by_test_id("hearing-ended").inner_text()
    assert "回到开始" not in card and "几秒钟" not in card, card  # not even at first
    kiosk.wait_for_timeout(11_000)  # past the kiosk's 10 s decision whether to restart
    assert stage(kiosk) == "ended" and "/kiosk" in kiosk.url
    card = kiosk.get_by_test_id("hearing-ended").inner_text()
    assert "回到开始" not in card and "几秒钟" not in card, card
    assert "签" in card, card  # it says what to do: sign the transcript below
    for size in ((1920, 1080), (1366, 768), (1280, 1024)):
        kiosk.set_viewport_size({"width": size[0], "height": size[1]})
        kiosk.wait_for_timeout(300)
        screenshot(kiosk, f"kiosk-signing-{size[0]}x{size[1]}")
        box = kiosk.get_by_test_id("signature-submit").evaluate(IN_VIEW)
        assert box["scrollY"] == 0 and box["visible"], (size, box)
        pad = kiosk.get_by_test_id("signature-pad").evaluate(IN_VIEW)
        assert pad["visible"] and pad["bottom"] - pad["top"] >= 120, (size, pad)
        document = kiosk.get_by_test_id("sign-document").evaluate(IN_VIEW)
        assert document["bottom"] - document["top"] >= 220, (size, document)
        assert kiosk.evaluate("document.documentElement.scrollWidth") <= size[0]
