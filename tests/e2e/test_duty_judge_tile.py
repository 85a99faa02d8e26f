"""The duty judge who joins a mediation room late is seen by everyone in it (issue 13.5).

The mediator and both parties (the applicant at a clinic kiosk) are in the room; the
agreement is drafted and signed over the API (the pads are test_confirmation's business),
the mediator applies and the duty judge takes the application and opens the review page.
The mediator's console and the kiosk must each get a tile for the judge with frames
arriving — and again after each time the judge reloads the review page (a late joiner
whose peers are already in the room, every time).

Then the judge decides, and the ruling is shown first (issue 13.7): on the kiosk, whose
PDF request is made to fail, the ruling's title and what was decided are on screen all
the same; the mediator's page also gets the PDF.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_mediation_selftest import mediation_self_test
from tests.e2e.test_trial import until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOINS = 3  # the first review page and two reloads

# The tile of one participant, with decoded frames advancing.
TILE_FRAMES = """async (pid) => {
  const video = document.querySelector(
    `[data-testid=video-remote][data-participant-id='${pid}'] video`);
  if (!video) return { tile: false };
  const before = video.currentTime;
  await new Promise((r) => setTimeout(r, 500));
  return { tile: true, width: video.videoWidth, advanced: video.currentTime > before };
}"""


def capture(seed: int) -> dict[str, Any]:
    """What the signature pad sends (as tests/integration/confirmation/flow.py)."""
    strokes = [[{"x": 20 + i * 5 + s * 90, "y": 60 + ((i * (3 + seed)) % 40),
                 "time": 1_700_000_000_000 + s * 900 + i * 16, "pressure": 0.5}
                for i in range(30)] for s in range(2)]
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4
    return {"strokes": strokes, "pad": {"width": 400, "height": 160},
            "device": "signature_pad 5 / e2e", "site": "e2e",
            "signed_at": "2026-11-22T10:00:00+08:00",
            "snapshot_jpeg_b64": base64.b64encode(jpeg).decode()}


def login(new_context: Callable[..., Any], username: str) -> tuple[Any, dict[str, str]]:
    """A logged-in context and the CSRF header its API writes need."""
    from web.app.demo import DEMO_STAFF

    context = new_context()
    response = context.request.post("/api/session", data={
        "username": username, "password": DEMO_STAFF[username][2]})
    assert response.ok, response.text()
    return context, {"X-CSRF-Token": response.json()["csrf_token"]}


def watched(context: Any) -> Any:
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(f"pageerror: {e}"))
    return page


def ok(response: Any) -> Any:
    assert response.ok, (response.status, response.text())
    return response.json()


def sign_and_apply(server: Server, mediator: Any, csrf: dict[str, str],
                   tokens: dict[str, str]) -> str:
    """Agreement drafted and signed in order, application filed: its id."""
    hid = server.links["mediator"]["hearing_id"]
    api = mediator.context.request
    ok(api.put(f"/api/mediations/{hid}/agreement", headers=csrf, data={
        "facts": "双方因相邻通道堆放杂物发生纠纷，经调解自愿达成如下协议。",
        "terms": [{"obligor": "陈国富", "obligee": "刘桂兰", "obligation": "清理通道杂物",
                   "amount_yuan": None, "deadline": None}]}))
    view = ok(api.post(f"/api/mediations/{hid}/signing", headers=csrf, data={}))
    for n, step in enumerate(view["signing"]["order"]):
        token = tokens.get(step.get("participant_id") or "")
        headers = {"Authorization": f"Bearer {token}"} if token else csrf
        view = ok(api.post(f"/api/mediations/{hid}/signatures", headers=headers,
                           data={"field": step["field"], "capture": capture(n)}))
    assert view["state"] == "signed", view
    return str(ok(api.post(f"/api/mediations/{hid}/application", headers=csrf,
                           data={}))["application"]["id"])


def judge_seen(page: Any, judge_id: str, join: int) -> None:
    last: list[dict[str, Any]] = [{}]

    def arriving() -> bool:
        last[0] = page.evaluate(TILE_FRAMES, judge_id)
        return bool(last[0].get("width", 0) > 0 and last[0].get("advanced"))

    try:
        until(arriving, 40, f"the judge's video on {page.url}")
    except AssertionError as no_video:
        raise AssertionError(f"join {join + 1}: {no_video} — tile: {last[0]}") from None


def test_the_late_duty_judge_has_a_tile_on_the_mediator_and_kiosk_pages(
        server: Server, new_context: Callable[..., Any], page_for: Callable[..., Any]) -> None:
    from playwright.sync_api import expect

    hid = server.links["mediator"]["hearing_id"]
    mediator_context, csrf = login(new_context, "mediator")
    mediator = watched(mediator_context)
    mediator.goto(f"/mediations/{hid}/console")
    mediator.locator("[data-testid=connection-state][data-state=connected]").wait_for()
    respondent = page_for("party_respondent")
    kiosk = page_for("party_applicant", kiosk=True)
    party_pages = (respondent, kiosk)
    for page in party_pages:
        page.get_by_test_id("mediation-party").wait_for()
        mediation_self_test(page)
    admit = mediator.get_by_test_id("mediation-admit")
    until(lambda: admit.count() == 2, 30, "both parties in the lobby")
    for left in (1, 0):
        admit.first.click()
        expect(admit).to_have_count(left)
    tokens = {p.get_by_test_id("mediation-party").get_attribute("data-participant-id"):
              p.get_by_test_id("mediation-party").get_attribute("data-token")
              for p in party_pages}
    application_id = sign_and_apply(server, mediator, csrf, tokens)

    judge_context, judge_csrf = login(new_context, "duty_judge")
    ok(judge_context.request.post(f"/api/applications/{application_id}/take",
                                  headers=judge_csrf, data={}))
    judge = watched(judge_context)
    seats = ok(mediator.context.request.get(f"/api/hearings/{hid}"))
    judge_id = next(p["id"] for p in seats["participants"] if p["role"] == "judge")
    for join in range(JOINS):
        if join == 0:
            judge.goto(f"/duty/applications/{application_id}")
        else:
            judge.reload()
        judge.locator("[data-testid=connection-state][data-state=connected]").wait_for()
        for page in (mediator, kiosk):
            judge_seen(page, judge_id, join)
    errors = [e for p in (mediator, kiosk, judge) for e in p.errors]
    assert not errors, errors

    kiosk.route("**/api/documents/*/pdf", lambda route: route.abort())
    ok(judge_context.request.post(f"/api/applications/{application_id}/decision",
                                  headers=judge_csrf, data={"decision": "confirm"}))
    mediator.locator("[data-testid=ruling][data-loaded='1']").wait_for(timeout=60_000)
    ruling = kiosk.get_by_test_id("ruling")
    kiosk.locator("[data-testid=ruling][data-shown='1']").wait_for(timeout=60_000)
    assert kiosk.get_by_test_id("ruling-title").is_visible()
    assert kiosk.evaluate("""() => { const r = document.querySelector(
        "[data-testid=ruling-title]").getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight; }"""), "ruling not scrolled to"
    assert "确认" in kiosk.get_by_test_id("ruling-summary").inner_text()
    assert ruling.get_attribute("data-loaded") is None  # its PDF never came
