"""The public progress inquiry (一案一码) on a phone: 390×844, Chinese, no login. A clerk
gives the witness's digits; the villager opens the QR's link, types them and sees the
stage and the next date — and nothing wider than the screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from tests.e2e.conftest import Server
from web.app.demo import DEMO_STAFF

PHONE = {"width": 390, "height": 844}
NO_OVERFLOW = "document.documentElement.scrollWidth"


def test_a_villager_asks_a_cases_progress_on_a_phone(
        browser: Any, server: Server, new_context: Callable[..., Any],
        screenshot: Callable[[Any, str], Any]) -> None:
    clerk = new_context()
    r = clerk.request.post("/api/session", data={"username": "clerk",
                                                 "password": DEMO_STAFF["clerk"][2]})
    assert r.ok, r.text()
    headers = {"X-CSRF-Token": r.json()["csrf_token"]}
    witness = server.links["witness"]
    hearing = clerk.request.get(f"/api/hearings/{witness['hearing_id']}").json()
    participant = next(p for p in hearing["participants"] if p["name"] == witness["name"])
    inquiry = clerk.request.get(f"/api/cases/{hearing['case_id']}/inquiry").json()
    r = clerk.request.put(
        f"/api/cases/{hearing['case_id']}/inquiry/parties/{participant['id']}",
        data={"phone_last4": "2468"}, headers=headers)
    assert r.ok, r.text()

    phone = browser.new_context(base_url=server.url, viewport=PHONE, locale="zh-CN",
                                extra_http_headers={"Accept-Language": "zh-CN"},
                                is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        page = phone.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        link = urlsplit(inquiry["url"])  # what the summons' QR code holds
        page.goto(f"{link.path}?{link.query}")
        assert page.get_by_test_id("inquiry-code").input_value() == inquiry["code"]
        assert "案件进度查询" in page.get_by_role("heading").inner_text()
        assert page.evaluate(NO_OVERFLOW) <= PHONE["width"]

        page.get_by_test_id("inquiry-digits").fill("1357")
        page.get_by_test_id("inquiry-submit").click()
        assert "查询码或后4位不正确" in page.get_by_test_id("inquiry-error").inner_text()
        assert page.get_by_test_id("inquiry-result").count() == 0

        page.get_by_test_id("inquiry-digits").fill("2468")
        page.get_by_test_id("inquiry-submit").click()
        result = page.get_by_test_id("inquiry-result")
        assert result.get_attribute("data-stage") in ("scheduled", "heard", "filed")
        assert page.get_by_test_id("inquiry-stage").inner_text()
        assert page.get_by_test_id("inquiry-next-date").inner_text()
        text = page.locator("main").inner_text()
        for name in ("张某", "赵敏", "刘大山", "孙强"):
            assert name not in text
        assert page.evaluate(NO_OVERFLOW) <= PHONE["width"]
        screenshot(page, "inquiry-phone")
        assert not errors
    finally:
        phone.close()
