"""A mediation party tests their devices before entering the room (issue 13.8).

The party's page opens on the same self-test as the trial's join page (selftest.js):
camera, microphone, speaker and network, a verdict; the room is not shown and the
mediator does not see the party until they continue. Then the party waits in the lobby,
is admitted, and the mediator receives their video — from the very camera stream that
was tested (the page does not open the camera a second time).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_trial import until

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def mediation_self_test(page: Any) -> None:
    """Through the party's self-test into the room: checks done, tone heard, Continue."""
    verdict = page.get_by_test_id("selftest-verdict")
    until(lambda: verdict.get_attribute("data-verdict") not in (None, "pending"), 30,
          "self-test verdict")
    page.get_by_test_id("speaker-test").click()
    page.get_by_test_id("speaker-confirm").click()
    page.get_by_test_id("selftest-continue").click()
    page.locator("[data-testid=connection-state][data-state=connected]").wait_for()


def test_a_mediation_party_self_tests_before_the_room(
        server: Server, staff_page: Callable[..., Any], page_for: Callable[..., Any]) -> None:
    hid = server.links["mediator"]["hearing_id"]
    mediator = staff_page("mediator", f"/mediations/{hid}/console")
    mediator.locator("[data-testid=connection-state][data-state=connected]").wait_for()
    party = page_for("party_respondent")
    root = party.get_by_test_id("mediation-party")
    assert root.get_attribute("data-stage") == "selftest"
    assert party.get_by_test_id("selftest").is_visible()
    assert not party.get_by_test_id("video-grid").is_visible()

    verdict = party.get_by_test_id("selftest-verdict")
    until(lambda: verdict.get_attribute("data-verdict") not in (None, "pending"), 30,
          "self-test verdict")
    assert verdict.get_attribute("data-verdict") == "good", verdict.text_content()
    for check in ("selftest-camera", "selftest-mic", "selftest-network"):
        assert party.get_by_test_id(check).get_attribute("data-state") == "ok", check
    assert party.evaluate("document.querySelector('[data-testid=selftest-preview]')"
                          ".videoWidth") > 0
    # Not in the lobby while testing: the mediator has nobody to admit yet.
    assert mediator.get_by_test_id("mediation-admit").count() == 0
    party.get_by_test_id("speaker-test").click()
    party.get_by_test_id("speaker-confirm").click()
    assert party.get_by_test_id("selftest-speaker").get_attribute("data-state") == "ok"
    tested = party.evaluate(
        "document.querySelector('[data-testid=selftest-preview]').srcObject.id")
    party.get_by_test_id("selftest-continue").click()

    until(lambda: root.get_attribute("data-stage") == "room", 10, "into the room")
    assert not party.get_by_test_id("selftest").is_visible()
    party.locator("[data-testid=connection-state][data-state=connected]").wait_for()
    assert party.get_by_test_id("lobby-hint").is_visible()
    admit = mediator.get_by_test_id("mediation-admit")
    until(lambda: admit.count() == 1, 15, "the party in the mediator's lobby")
    admit.first.click()
    party_id = root.get_attribute("data-participant-id")
    until(lambda: mediator.evaluate(
        """(pid) => { const v = document.querySelector(
             `[data-testid=video-remote][data-participant-id='${pid}'] video`);
           return !!v && v.videoWidth > 0; }""", party_id), 40, "the party's video")
    # The room sends the camera the self-test tested.
    assert party.evaluate(
        "document.querySelector('[data-testid=video-local] video').srcObject.id") == tested
    errors = [e for p in (mediator, party) for e in p.errors]
    assert not errors, errors
