"""Mediation → instant judicial confirmation in a real Chromium, end to end.

A mediator, two parties (one at a clinic kiosk) and a duty judge, each in their own
browser context against a real yunting server: the agreement is drafted, signed on the
pads (the canvas driven by mouse moves), applied for, taken and confirmed; the ruling
appears on the mediator's and the kiosk's pages; the downloaded PDF validates in
poppler's pdfsig and in `yunting verify`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

from tests.e2e.conftest import NO_PRINT_DIALOG
from tests.e2e.test_mediation_selftest import mediation_self_test

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
]
SLOW = 90_000  # ms: rendering and signing PDFs on a shared 2-core machine


@dataclass
class Server:
    url: str
    links: dict[str, Any]
    env: dict[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    if not (ROOT / "web" / "static" / "vendor" / "signature_pad.js").exists():
        pytest.fail("browser assets missing: run `make vendor`")
    data = tmp_path_factory.mktemp("yunting-e2e")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "YUNTING_DATA_DIR": str(data), "YUNTING_PORT": str(port),
           "YUNTING_HOST": "127.0.0.1", "YUNTING_PUBLIC_URL": url,
           "YUNTING_ICE_HOST_ADDRESSES": "127.0.0.1"}
    yunting = str(BIN / "yunting")
    for command in (["db", "upgrade"], ["pki", "init"]):
        subprocess.run([yunting, *command], env=env, cwd=data, check=True, capture_output=True)
    demo = subprocess.run([yunting, "demo", "--json"], env=env, cwd=data, check=True,
                          capture_output=True, text=True)
    links = json.loads(demo.stdout)
    log = (data / "server.log").open("w")
    proc = subprocess.Popen([yunting, "serve"], env=env, cwd=data, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urlopen(f"{url}/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((data / "server.log").read_text()) from None
                time.sleep(0.2)
        yield Server(url, links, env)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _context(browser: Any, server: Server, login: tuple[str, str] | None = None) -> Any:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN",
                              accept_downloads=True, permissions=["camera", "microphone"])
    ctx.set_default_timeout(SLOW)
    ctx.add_init_script(NO_PRINT_DIALOG)
    if login:
        r = ctx.request.post(f"{server.url}/api/session",
                             data={"username": login[0], "password": login[1]})
        assert r.status == 200, r.text()
    return ctx


def _page(ctx: Any, name: str, errors: list[str]) -> Any:
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(f"{name}: {e}"))
    return page


def _sign(page: Any, seed: int) -> None:
    """Write on the pad with the mouse: two strokes, every move a point."""
    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 50
    x0, y0 = box["x"] + 30, box["y"] + box["height"] / 2
    for stroke in range(2):
        page.mouse.move(x0 + stroke * 120, y0 - 20)
        page.mouse.down()
        for i in range(1, 30):
            page.mouse.move(x0 + stroke * 120 + i * 3, y0 - 20 + ((i * (7 + seed)) % 40))
        page.mouse.up()
    points = int(page.get_by_test_id("signature-points").inner_text())
    assert points >= 40, points  # throttle 0 / minDistance 0: nothing dropped
    page.get_by_test_id("signature-submit").click()


def _shot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"confirmation-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_mediation_to_confirmed_ruling_in_the_room(server: Server, browser: Any,
                                                   tmp_path: Path) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=SLOW)
    errors: list[str] = []
    hearing_id = server.links["mediator"]["hearing_id"]
    mediator = _page(_context(browser, server, ("mediator", "yunting-demo-mediator")),
                     "mediator", errors)
    respondent = _page(_context(browser, server), "respondent", errors)
    kiosk = _page(_context(browser, server), "kiosk", errors)
    judge = _page(_context(browser, server, ("duty_judge", "yunting-demo-duty")), "judge", errors)

    mediator.goto(f"{server.url}/mediations/{hearing_id}/console")
    expect(mediator.get_by_test_id("connection-state")).to_have_attribute("data-state", "connected")
    # The respondent sits in the mediation room; the applicant at the village clinic's kiosk.
    respondent.goto(server.links["party_respondent"]["url"].replace("/join/", "/mediations/join/"))
    kiosk.goto(f"{server.url}/kiosk")  # the clinic's kiosk: the code from the summons
    kiosk.get_by_test_id("kiosk-code").fill(server.links["party_applicant"]["code"])
    kiosk.get_by_test_id("kiosk-join").click()
    expect(kiosk.get_by_test_id("mediation-party")).to_have_attribute("data-kiosk", "1")
    for party in (respondent, kiosk):  # each party tests their devices first
        mediation_self_test(party)
    judge.goto(f"{server.url}/duty")
    expect(judge.get_by_test_id("connection-state")).to_have_attribute("data-state", "connected")

    # The mediator lets both parties in.
    admit = mediator.get_by_test_id("mediation-admit")
    expect(admit).to_have_count(2)
    for left in (1, 0):
        admit.first.click()
        expect(admit).to_have_count(left)
    expect(respondent.get_by_test_id("lobby-hint")).to_be_hidden()
    # Everyone sees the others: frames actually arrive on the mediator's console.
    mediator.wait_for_function(
        """() => [...document.querySelectorAll("[data-testid=video-remote] video")]
                 .filter((v) => v.videoWidth > 0 && v.currentTime > 0).length >= 2""")

    # The agreement, from the template.
    mediator.get_by_test_id("agreement-facts").fill(
        "双方因相邻通道堆放杂物发生纠纷，经调解自愿达成如下协议。")
    row = mediator.get_by_test_id("agreement-term").first
    row.locator("[data-term=obligor]").fill("陈国富")
    row.locator("[data-term=obligee]").fill("刘桂兰")
    row.locator("[data-term=obligation]").fill("清理通道杂物并赔偿损失")
    row.locator("[data-term=amount_yuan]").fill("1200")
    row.locator("[data-term=deadline]").fill("2026-12-31")
    mediator.get_by_test_id("agreement-add-term").click()
    second = mediator.get_by_test_id("agreement-term").nth(1)
    second.locator("[data-term=obligor]").fill("刘桂兰")
    second.locator("[data-term=obligee]").fill("陈国富")
    second.locator("[data-term=obligation]").fill("不再在通道堆放物品")
    mediator.get_by_test_id("agreement-save").click()
    expect(mediator.get_by_test_id("mediation-state")).to_have_attribute(
        "data-state", "agreement_drafted")
    expect(kiosk.get_by_test_id("agreement-term-view")).to_have_count(2)
    mediator.get_by_test_id("signing-start").click()
    expect(mediator.get_by_test_id("mediation-state")).to_have_attribute("data-state", "signing")

    # Each signs on the pad when it is their turn, in order.
    order = [s.get_attribute("data-field")
             for s in mediator.get_by_test_id("signing-step").all()]
    assert len(order) == 3, order
    pages = {"respondent": respondent, "kiosk": kiosk, "mediator": mediator}
    for n, field in enumerate(order):
        signer = _asked_to_sign(pages, field)
        if n == 0:
            _shot(signer, "signing-pad")
        _sign(signer, n)
        expect(mediator.locator(f"[data-testid=signing-step][data-field='{field}']")
               ).to_have_attribute("data-signed", "1")
    expect(mediator.get_by_test_id("mediation-state")).to_have_attribute("data-state", "signed")
    _shot(mediator, "mediator-signed")

    # One click applies; the duty judge hears of it at once, takes it and reviews.
    mediator.get_by_test_id("confirmation-apply").click()
    expect(mediator.get_by_test_id("application-case-number")).to_contain_text("民特")
    entry = judge.get_by_test_id("duty-application").first
    expect(entry).to_be_visible()
    _shot(judge, "duty-queue")
    entry.get_by_test_id("duty-take").click()
    judge.wait_for_url("**/duty/applications/*")
    expect(judge.get_by_test_id("verification-summary")).to_have_attribute("data-ok", "1")
    expect(judge.get_by_test_id("verification-signature")).not_to_have_count(0)
    _shot(judge, "duty-review")
    judge.get_by_test_id("decision-confirm").check()
    judge.get_by_test_id("decision-reasons").fill("双方当事人到场确认协议系自愿达成。")
    judge.get_by_test_id("decision-submit").click()
    expect(judge.get_by_test_id("decision-result")).to_be_visible()

    # The ruling reaches the room: the mediator's console and the clinic kiosk.
    for page in (mediator, kiosk, respondent):
        expect(page.get_by_test_id("ruling")).to_have_attribute("data-loaded", "1")
    expect(mediator.get_by_test_id("mediation-state")).to_have_attribute("data-state", "confirmed")
    _shot(kiosk, "kiosk-ruling")
    _shot(respondent, "respondent-ruling")
    big = kiosk.get_by_test_id("ruling-print")
    assert "huge" in (big.get_attribute("class") or "")
    big.click()
    expect(kiosk.get_by_test_id("ruling")).to_have_attribute(
        "data-receipts", "screen print")
    # Print opened the ruling itself (the PDF, in the frame the print dialog is called on).
    printed = kiosk.locator("iframe.print-frame")
    expect(printed).to_have_count(1)
    assert printed.get_attribute("src").startswith("blob:")
    kiosk.wait_for_function("""() => {
      const f = document.querySelector("iframe.print-frame");
      return f && f.contentDocument && f.contentDocument.contentType === "application/pdf"; }""")
    kiosk.wait_for_function("() => (window.__printed || []).includes('application/pdf')")
    with mediator.expect_download() as download:
        mediator.get_by_test_id("ruling-download").click()
    pdf = tmp_path / "ruling.pdf"
    download.value.save_as(pdf)
    _shot(mediator, "mediator-ruling")
    timings = {li.get_attribute("data-timing"): li.get_attribute("data-at")
               for li in mediator.locator("[data-testid=application-timings] li").all()}
    assert all(timings.values()), timings
    assert not errors, errors

    # The ruling validates in independent tools, and in ours.
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdfsig"):
        out = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
        # poppler cannot check RFC 3161 document timestamps (`yunting verify` does):
        # every CAdES signature — the judge's and the court seal — must be valid.
        cades = [b for b in out.split("Signature #")[1:] if "ETSI.CAdES.detached" in b]
        assert len(cades) >= 2 and all("Signature is Valid" in b for b in cades), out
    verify = subprocess.run([str(BIN / "yunting"), "verify", str(pdf)], env=server.env,
                            cwd=server.env["YUNTING_DATA_DIR"], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def _asked_to_sign(pages: dict[str, Any], field: str) -> Any:
    """The page whose pad opened for `field` (exactly one must)."""
    deadline = time.monotonic() + SLOW / 1000
    while time.monotonic() < deadline:
        for p in pages.values():
            panel = p.get_by_test_id("sign-panel")
            if panel.is_visible() and panel.get_attribute("data-field") == field:
                return p
        next(iter(pages.values())).wait_for_timeout(200)
    raise AssertionError(f"nobody was asked to sign {field}")
