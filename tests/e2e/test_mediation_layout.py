"""Every participant-facing page fits a phone, and the mediation pages at 1080p (issue 13.6).

At 390×844 (a phone) no page is wider than the window — `document.documentElement
.scrollWidth` ≤ 390: the join link's self-test and waiting room, the trial page in the
hearing and the transcript's signing pad after it, the kiosk's start page and the
kiosk in the hearing, the mediation party page (self-test, lobby, room, agreement) and
its signing pad, whose submit button is on screen and not
covered by anything (`elementFromPoint` at its centre is the button). At 1920×1080 the
agreement's text stays inside its card, however long its lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_duty_judge_tile import capture, login, ok, watched
from tests.e2e.test_mediation_selftest import mediation_self_test
from tests.e2e.test_trial import _participant_id, self_test, stage, until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
FULL_HD = {"width": 1920, "height": 1080}

# The page's width, and the elements that stick out past the window (to name in a failure).
WIDTH = """() => {
  const out = [...document.querySelectorAll("body *")].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > window.innerWidth + 0.5;
  }).slice(0, 6).map((e) => `${e.tagName.toLowerCase()}.${e.className}` +
    `[${e.dataset.testid || ""}] right=${Math.round(e.getBoundingClientRect().right)}`);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode() && out.length < 10) {
    const range = document.createRange();
    range.selectNodeContents(walker.currentNode);
    const r = range.getBoundingClientRect();
    if (r.width && r.right > window.innerWidth + 0.5) {
      out.push(`text in ${walker.currentNode.parentElement.tagName.toLowerCase()}` +
        `.${walker.currentNode.parentElement.className}: ` +
        `${walker.currentNode.textContent.trim().slice(0, 24)} right=${Math.round(r.right)}`);
    }
  }
  return { width: document.documentElement.scrollWidth, out };
}"""

# Is the element at the centre of `testid` the element itself (or inside it)?
UNCOVERED = """(testid) => {
  const node = document.querySelector(`[data-testid='${testid}']`);
  const r = node.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  return { hit: hit ? `${hit.tagName.toLowerCase()}[${hit.dataset.testid || ""}]` : null,
           ok: !!hit && (hit === node || node.contains(hit)),
           inside: x >= 0 && y >= 0 && x <= window.innerWidth && y <= window.innerHeight };
}"""

# Every descendant of the card (text included, as ranges) inside the card's box.
WITHIN_CARD = """(selector) => {
  const card = document.querySelector(selector);
  const box = card.getBoundingClientRect();
  const out = [];
  const walker = document.createTreeWalker(card, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(walker.currentNode);
    for (const r of range.getClientRects()) {
      if (r.width && (r.right > box.right + 0.5 || r.left < box.left - 0.5)) {
        out.push(`${walker.currentNode.textContent.slice(0, 30)} right=${Math.round(r.right)}`);
      }
    }
  }
  return { card: Math.round(box.right), out };
}"""

LONG_FACTS = ("双方因相邻通道堆放杂物发生纠纷，经调解自愿达成如下协议。赔偿款汇入申请人账户"
              "6222020200112233445566778899001122334455667788，备注："
              "https://pay.example.cn/transfer/2026/渝0112/民诉前调166号/" + "0123456789" * 4)
LONG_TERM = "清理通道杂物并赔偿损失" * 6 + "（" + "X" * 60 + "）"


def fits(page: Any, where: str) -> None:
    page.set_viewport_size(PHONE)
    measured = {}

    def narrow() -> bool:
        measured.update(page.evaluate(WIDTH))
        return bool(measured["width"] <= PHONE["width"])

    try:
        until(narrow, 3, where)
    except AssertionError:
        raise AssertionError(f"{where}: {measured['width']} px wide at 390 px; "
                             f"sticking out: {measured['out']}") from None


def submit_uncovered(page: Any) -> None:
    """The pad's submit button, scrolled to, is what a tap at its centre reaches."""
    hit: dict[str, Any] = {}

    def reached() -> bool:  # the panel's own smooth scroll may still be moving the page
        page.get_by_test_id("signature-submit").scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        hit.update(page.evaluate(UNCOVERED, "signature-submit"))
        return bool(hit["ok"] and hit["inside"])

    try:
        until(reached, 10, "the submit button")
    except AssertionError:
        raise AssertionError(f"the submit button is covered on a phone: {hit}") from None


def test_trial_pages_fit_a_phone(server: Server, page_for: Callable[..., Any],
                                 staff_page: Callable[..., Any], new_context: Callable[..., Any]
                                 ) -> None:
    links = server.links
    kiosk_start = watched(new_context())
    kiosk_start.set_viewport_size(PHONE)
    kiosk_start.goto("/kiosk")
    kiosk_start.get_by_test_id("kiosk-code").wait_for()
    fits(kiosk_start, "kiosk start page")

    judge = staff_page("judge", f"/hearings/{links['judge']['hearing_id']}/console")
    judge.locator("[data-testid=connection-state][data-state=connected]").wait_for()
    defendant = page_for("defendant")
    witness = page_for("witness", kiosk=True)
    for page, name in ((defendant, "join page (self-test)"), (witness, "kiosk self-test")):
        page.set_viewport_size(PHONE)
        page.get_by_test_id("selftest").wait_for()
        fits(page, name)
    self_test(defendant)
    self_test(witness)
    fits(defendant, "waiting room")
    fits(witness, "kiosk waiting room")

    judge.get_by_test_id("control-open-doors").click()
    ids = {key: _participant_id(judge, links[key]["name"]) for key in ("defendant", "witness")}
    judge.locator(f"[data-testid=lobby-entry][data-participant-id='{ids['defendant']}'] "
                  "[data-testid=lobby-admit]").click()
    judge.get_by_test_id("control-start").click()
    until(lambda: judge.get_by_test_id("hearing-state").get_attribute("data-state")
          == "in_session", 10, "in session")
    judge.locator(f"[data-testid=lobby-entry][data-participant-id='{ids['witness']}'] "
                  "[data-testid=witness-call]").click()
    until(lambda: stage(defendant) == "hearing" and stage(witness) == "hearing", 15,
          "both inside")
    defendant.locator("[data-testid=video-remote] video").first.wait_for()
    fits(defendant, "trial page in the hearing")
    fits(witness, "kiosk in the hearing")

    # The clerk's record, then the judge closes: its signing pad opens for the defendant.
    clerk, clerk_csrf = login(new_context, "clerk")
    ok(clerk.request.put(f"/api/hearings/{links['judge']['hearing_id']}/transcript",
                         headers=clerk_csrf, data={"body": "审：现在开庭。\n", "version": 0}))
    judge.get_by_test_id("control-close").click()
    judge.get_by_test_id("close-confirm").click()
    until(lambda: defendant.get_by_test_id("record-status").get_attribute("data-turn")
          == "mine", 60, "the defendant's turn to sign the record")
    defendant.get_by_test_id("sign-document").wait_for()
    fits(defendant, "the hearing record's signing pad")
    submit_uncovered(defendant)


def test_mediation_party_pages_fit_a_phone_and_1080p(
        server: Server, new_context: Callable[..., Any], page_for: Callable[..., Any]) -> None:
    from playwright.sync_api import expect

    hid = server.links["mediator"]["hearing_id"]
    mediator_context, csrf = login(new_context, "mediator")
    mediator = watched(mediator_context)
    mediator.goto(f"/mediations/{hid}/console")
    parties = [page_for("party_respondent"), page_for("party_applicant", kiosk=True)]
    for page in parties:
        page.set_viewport_size(PHONE)
        page.get_by_test_id("mediation-party").wait_for()
        fits(page, f"mediation party page (self-test) {page.url}")
        mediation_self_test(page)
        fits(page, f"mediation party page (lobby) {page.url}")
    admit = mediator.get_by_test_id("mediation-admit")
    until(lambda: admit.count() == 2, 30, "both parties in the lobby")
    for left in (1, 0):
        admit.first.click()
        expect(admit).to_have_count(left)
    api = mediator.context.request
    ok(api.put(f"/api/mediations/{hid}/agreement", headers=csrf, data={
        "facts": LONG_FACTS,
        "terms": [{"obligor": "陈国富", "obligee": "刘桂兰", "obligation": LONG_TERM,
                   "amount_yuan": 1200, "deadline": "2026-12-31"}]}))
    for page in parties:
        expect(page.get_by_test_id("agreement-term-view")).to_have_count(1)
        fits(page, f"mediation party page (agreement) {page.url}")

    view = ok(api.post(f"/api/mediations/{hid}/signing", headers=csrf, data={}))
    tokens = {p.get_by_test_id("mediation-party").get_attribute("data-participant-id"):
              (p, p.get_by_test_id("mediation-party").get_attribute("data-token"))
              for p in parties}
    party_steps = [s for s in view["signing"]["order"] if s.get("participant_id") in tokens]
    assert len(party_steps) == 2, view["signing"]
    for n, step in enumerate(party_steps):
        page, token = tokens[step["participant_id"]]
        panel = page.get_by_test_id("sign-panel")
        panel.wait_for(state="visible", timeout=30_000)
        fits(page, f"signing pad {page.url}")
        submit_uncovered(page)
        ok(api.post(f"/api/mediations/{hid}/signatures",
                    headers={"Authorization": f"Bearer {token}"},
                    data={"field": step["field"], "capture": capture(n)}))

    for page in parties:
        page.set_viewport_size(FULL_HD)
        page.wait_for_timeout(300)
        inside = page.evaluate(WITHIN_CARD, ".card.agreement")
        assert not inside["out"], f"agreement text past its card at 1920 px: {inside}"
    errors = [e for p in (mediator, *parties) for e in p.errors]
    assert not errors, errors
