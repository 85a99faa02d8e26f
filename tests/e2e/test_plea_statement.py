"""An interrogation's plea statement (认罪认罚具结书) in real Chromium (issue 17.1).

During a remote interrogation the prosecutor drafts the plea statement on their own page
(charges, facts, sentencing proposal, procedure); it appears on every page of the room;
the detainee refuses it once, with a reason, and the prosecutor drafts it again; then the
detainee signs on the pad, and the lawyer after him. The statement is sealed, its PDF carries
both hand signatures (pdfsig: valid) and the terms, and the prosecutor's page says so.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Server
from tests.e2e.interrogation_kit import (
    SLOW,
    WAIT,
    browser,  # noqa: F401 (the module's lighter Chromium)
    convene,
    judge_console,
    open_page,
    self_test,
)
from tests.e2e.test_transcript import _sign_on_pad
from tests.e2e.test_trial import until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

TERMS = {"plea-charges": "盗窃罪", "plea-facts": "2026年10月3日晚，在某超市窃取手机两部。",
         "plea-proposal": "有期徒刑六个月，缓刑一年"}
REFUSAL = "量刑建议我要和律师再商量"


def _turn(panel: Any) -> str:
    return str(panel.get_by_test_id("record-status").get_attribute("data-turn"))


def _draft(prosecutor: Any, proposal: str) -> None:
    for testid, value in {**TERMS, "plea-proposal": proposal}.items():
        prosecutor.get_by_test_id(testid).fill(value)
    prosecutor.get_by_test_id("plea-procedure").select_option("速裁程序")
    prosecutor.get_by_test_id("plea-send").click()


def test_the_plea_statement_is_drafted_refused_drafted_again_and_signed(
        server: Server, new_context: Callable[..., Any], staff_page: Callable[..., Any],
        tmp_path: Path) -> None:
    clerk = staff_page("clerk", "/clerk/schedule")
    clerk.context.set_default_timeout(SLOW)
    api = clerk.context.request
    session = api.get("/api/session").json()
    csrf = {"X-CSRF-Token": session["csrf_token"]}
    trial = api.get(f"/api/hearings/{server.links['judge']['hearing_id']}").json()
    detention = next(p["site_id"] for p in trial["participants"] if p["role"] == "defendant")
    made = api.post("/api/hearings", headers=csrf, data={
        "case_id": trial["case_id"], "kind": "remote_interrogation",
        "title": "刘某盗窃案远程提讯（认罪认罚）", "scheduled_at": dt.datetime.now(dt.UTC).isoformat(),
        "presiding_user_id": trial["presiding_user_id"]})
    assert made.status == 201, made.text()
    hid = made.json()["id"]
    people: dict[str, dict[str, Any]] = {}
    for key, body in (
            ("judge", {"name": "审判员李明", "role": "judge",
                       "staff_user_id": trial["presiding_user_id"]}),
            ("prosecutor", {"name": "检察员孙强", "role": "prosecutor"}),
            ("detainee", {"name": "刘某", "role": "defendant", "site_id": detention}),
            ("lawyer", {"name": "值班律师周正", "role": "defence_lawyer"})):
        invited = api.post(f"/api/hearings/{hid}/participants", headers=csrf, data=body)
        assert invited.status == 201, invited.text()
        people[key] = invited.json()
    pages = {}
    for key in ("prosecutor", "detainee", "lawyer"):
        url = api.post(f"/api/hearings/{hid}/participants/{people[key]['id']}/join-links",
                       headers=csrf).json()["url"]
        pages[key] = open_page(new_context, url)
        self_test(pages[key])
    prosecutor, detainee, lawyer = pages["prosecutor"], pages["detainee"], pages["lawyer"]
    assert not detainee.get_by_test_id("plea-draft").count()  # the prosecutor's form only

    judge = judge_console(staff_page, hid)
    convene(judge, api, hid, pages, people)

    # -- drafted by the prosecutor; the detainee refuses it, with his reason -------------
    _draft(prosecutor, "有期徒刑一年")
    panel = detainee.get_by_test_id("plea-panel")
    until(lambda: panel.count() == 1 and _turn(panel) == "mine", WAIT, "the detainee's turn")
    lawyer_panel = lawyer.get_by_test_id("plea-panel")
    until(lambda: lawyer_panel.count() == 1 and _turn(lawyer_panel) == "waiting", WAIT,
          "the lawyer waits for the detainee")
    panel.get_by_test_id("signature-refuse-open").click()
    panel.get_by_test_id("signature-refuse-reason").fill(REFUSAL)
    panel.get_by_test_id("signature-refuse").click()
    until(lambda: api.get(f"/api/hearings/{hid}/plea").json()["state"] == "abandoned", WAIT,
          "refused")
    assert api.get(f"/api/hearings/{hid}/plea").json()["refusal"]["reason"] == REFUSAL
    prosecutor_panel = prosecutor.get_by_test_id("plea-panel")
    until(lambda: prosecutor_panel.get_attribute("data-state") == "abandoned", WAIT,
          "the prosecutor sees the refusal")

    # -- drafted again; the detainee signs, then the lawyer ------------------------------
    _draft(prosecutor, TERMS["plea-proposal"])
    until(lambda: _turn(panel) == "mine", WAIT, "the detainee's turn again")
    panel.get_by_test_id("sign-panel").wait_for()
    _sign_on_pad(detainee, 1, panel)
    until(lambda: _turn(lawyer_panel) == "mine", WAIT, "the lawyer's turn")
    _sign_on_pad(lawyer, 3, lawyer_panel)
    until(lambda: prosecutor_panel.get_attribute("data-state") == "signed", WAIT, "sealed")
    assert "已签署" in prosecutor_panel.get_by_test_id("record-status").inner_text()

    view = api.get(f"/api/hearings/{hid}/plea").json()
    assert view["state"] == "signed" and view["sentencing_proposal"] == TERMS["plea-proposal"]
    assert [s["signed"] for s in view["signing"]["order"]] == [True, True]
    response = api.get(f"/api/hearings/{hid}/plea/pdf?reason=核对认罪认罚具结书")
    assert response.ok, response.text()
    pdf = tmp_path / "plea.pdf"
    pdf.write_bytes(response.body())
    sig = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True, check=False)
    hands = [b for b in sig.stdout.split("Signature #")[1:] if "ETSI.CAdES.detached" in b]
    assert len(hands) >= 2 and all("Signature is Valid" in b for b in hands), sig.stdout
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout.replace("\n", "").replace(" ", "")
    for expected in ("认罪认罚具结书", "盗窃罪", "缓刑一年", "速裁程序", "刘某"):
        assert expected in text, expected

    for page in (*pages.values(), judge):
        assert not [e for e in page.errors if e.startswith("pageerror")], page.errors
