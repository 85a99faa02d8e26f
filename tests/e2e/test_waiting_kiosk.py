"""The waiting room's status text and the clinic kiosk's session, in real Chromium.

A villager witness joins at an e+ judge clinic kiosk by typing the code from the summons
and waits to be called while the judge runs the hearing: the waiting room says waiting,
paused, suspended with the judge's reason, and waiting again after the resume; the
defendant inside sees the same states. When the judge closes the hearing, the kiosk
shows the end and returns by itself to its start screen for the next villager.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_trial import _participant_id, self_test, stage, until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REASON = "看守所视频线路故障，等待修复"


def status(page: Any) -> tuple[str, str]:
    node = page.get_by_test_id("waiting-status")
    return str(node.get_attribute("data-status")), str(node.text_content())


def test_waiting_room_states_and_kiosk_session(server: Server, page_for: Callable[..., Any],
                                               staff_page: Callable[..., Any],
                                               screenshot: Callable[[Any, str], Any]) -> None:
    hearing_id = server.links["judge"]["hearing_id"]
    judge = staff_page("judge", f"/hearings/{hearing_id}/console")
    judge.get_by_test_id("connection-state").and_(
        judge.locator("[data-state=connected]")).wait_for()

    # The kiosk: a big code field, the code typed (grouped as it is typed), Join.
    kiosk = page_for("witness", kiosk=True)
    assert kiosk.url.endswith("/kiosk")  # the code was POSTed: no secret in the address bar
    assert kiosk.get_by_test_id("participant-page").get_attribute("data-kiosk") == "1"
    defendant = page_for("defendant")
    self_test(kiosk)
    self_test(defendant)
    assert status(kiosk)[0] == "waiting" and "请稍候" in status(kiosk)[1]

    judge.get_by_test_id("control-open-doors").click()
    ids = {key: _participant_id(judge, server.links[key]["name"]) for key in ("defendant", "witness")}
    judge.locator(f"[data-testid=lobby-entry][data-participant-id='{ids['defendant']}'] "
                  "[data-testid=lobby-admit]").click()
    judge.get_by_test_id("control-start").click()
    until(lambda: stage(defendant) == "hearing", 15, "defendant inside")
    until(lambda: "正在开庭" in status(kiosk)[1], 10, "in session, waiting to be called")
    assert status(kiosk)[0] == "waiting"

    judge.get_by_test_id("control-pause").click()
    until(lambda: status(kiosk)[0] == "paused", 10, "paused in the waiting room")
    assert "暂停" in status(kiosk)[1]
    until(lambda: defendant.get_by_test_id("hearing-state").get_attribute("data-state")
          == "paused", 10, "paused inside")
    judge.get_by_test_id("control-resume").click()
    until(lambda: status(kiosk)[0] == "waiting", 10, "back to waiting")

    # Suspended with a reason: the reason reaches the waiting room and the hearing room.
    judge.get_by_test_id("control-suspend").click()
    judge.get_by_test_id("suspend-dialog").wait_for()
    judge.get_by_test_id("suspend-reason").fill(REASON)
    judge.get_by_test_id("suspend-confirm").click()
    until(lambda: status(kiosk)[0] == "suspended", 10, "suspended in the waiting room")
    assert REASON in status(kiosk)[1] and "中止" in status(kiosk)[1]
    inside = defendant.get_by_test_id("hearing-state")
    until(lambda: inside.get_attribute("data-state") == "suspended", 10, "suspended inside")
    assert REASON in inside.text_content()
    assert REASON in judge.get_by_test_id("hearing-state").text_content()
    screenshot(kiosk, "kiosk-waiting-suspended")
    screenshot(defendant, "defendant-suspended")
    judge.get_by_test_id("control-resume").click()
    until(lambda: status(kiosk)[0] == "waiting", 10, "waiting again after the resume")
    assert REASON not in status(kiosk)[1]
    until(lambda: inside.get_attribute("data-state") == "in_session", 10, "in session inside")
    assert REASON not in inside.text_content()

    # The judge closes: the kiosk shows the end, then its start screen for the next person.
    judge.get_by_test_id("control-close").click()
    judge.get_by_test_id("close-confirm").click()
    until(lambda: stage(kiosk) == "ended", 15, "the kiosk sees the end")
    # Once the page has seen there is no record for this villager to sign (issue 13.8).
    until(lambda: kiosk.get_by_test_id("kiosk-restart").is_visible(), 10, "returns to start")
    screenshot(kiosk, "kiosk-ended")
    kiosk.get_by_test_id("kiosk-start").wait_for(timeout=15_000)
    code = kiosk.get_by_test_id("kiosk-code")
    assert code.input_value() == "" and code.evaluate("(n) => n === document.activeElement")
    screenshot(kiosk, "kiosk-start")
    for page in (judge, kiosk, defendant):
        assert not [e for e in page.errors if "favicon" not in e], page.errors
