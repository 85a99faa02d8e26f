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
from tests.e2e.pages import MediationRoom, MediatorConsole, until

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def mediation_self_test(page: Any) -> None:
    """Through the party's self-test into the room: checks done, tone heard, Continue."""
    MediationRoom(page).self_test()


def test_a_mediation_party_self_tests_before_the_room(
        server: Server, staff_page: Callable[..., Any], page_for: Callable[..., Any]) -> None:
    hid = server.links["mediator"]["hearing_id"]
    mediator = MediatorConsole.open(staff_page, hid)
    party = MediationRoom(page_for("party_respondent"))
    assert party.stage == "selftest"
    assert party.page.get_by_test_id("selftest").is_visible()
    assert not party.page.get_by_test_id("video-grid").is_visible()

    assert party.verdict == "good", party.page.get_by_test_id("selftest-verdict").text_content()
    for check in ("selftest-camera", "selftest-mic", "selftest-network"):
        assert party.check(check) == "ok", check
    assert party.page.evaluate("document.querySelector('[data-testid=selftest-preview]')"
                               ".videoWidth") > 0
    # Not in the lobby while testing: the mediator has nobody to admit yet.
    assert mediator.waiting.count() == 0
    party.hear_the_tone()
    assert party.check("selftest-speaker") == "ok"
    tested = party.page.evaluate(
        "document.querySelector('[data-testid=selftest-preview]').srcObject.id")
    party.page.get_by_test_id("selftest-continue").click()

    until(lambda: party.stage == "room", 10, "into the room")
    assert not party.page.get_by_test_id("selftest").is_visible()
    party.page.locator("[data-testid=connection-state][data-state=connected]").wait_for()
    assert party.page.get_by_test_id("lobby-hint").is_visible()
    mediator.admit(waiting=1)
    until(lambda: mediator.sees_video_of(party.participant_id), 40, "the party's video")
    # The room sends the camera the self-test tested.
    assert party.page.evaluate(
        "document.querySelector('[data-testid=video-local] video').srcObject.id") == tested
    errors = [e for p in (mediator.page, party.page) for e in p.errors]
    assert not errors, errors
