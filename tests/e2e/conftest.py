"""Browser tests: a real yunting server and Debian's Chromium driven by Playwright.

Fixtures for every browser test module:
- `server` (per module): a fresh server (create_app, media on, demo data) on a free
  127.0.0.1 port; `server.url`, `server.links[role_key]` ({"name", "role", "hearing_id",
  "url", "code"} as `yunting demo --json` prints them), `server.data_dir`, `server.log()`.
- `browser` (per module): Chromium with a fake camera and microphone, loopback ICE only;
  a module may override it with `yield from launch(its own args)`.
- `page_for(role_key, *, kiosk=False, lang=None, init_script=None)`: a fresh context
  (camera and microphone granted) and page opened on that role's join link (or, with
  kiosk=True, on /kiosk); `init_script` runs in every frame before the page's own scripts.
- `staff_page(username, path, *, init_script=None)`: a fresh context logged in as a demo
  staff user, on `path`.
- `screenshot(page, name)`: saves test-output/screenshots/<name>.png.
Every page's console errors and uncaught exceptions are collected in `page.errors`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unavailable

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--autoplay-policy=no-user-gesture-required",
]
# window.print() on a PDF frame opens the print preview, which headless Chromium cannot
# show: it crashed the renderer in about one run in three here ("Page crashed", or
# Playwright's driver dying with "Frame has been detached"). Every frame (the PDF's
# included) records its print() calls in window.top.__printed instead, so a test can
# check that the page printed the document itself.
NO_PRINT_DIALOG = """window.print = function () {
  try { (window.top.__printed ||= []).push(document.contentType); } catch (e) { /* foreign */ }
};"""
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
STARTUP_SECONDS = 180  # argon2 hashes the demo passwords; the shared machine may be busy


@dataclass
class Server:
    url: str
    links: dict[str, dict[str, Any]]
    data_dir: Path
    process: subprocess.Popen[str]
    log_path: Path

    def link(self, role_key: str) -> str:
        return str(self.links[role_key]["url"])

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_server(data_dir: Path, module: str) -> Iterator[Server]:
    """`python -m <module> DATA_DIR PORT` (tests/e2e/server_proc.py or a variant of it),
    yielded once it has written its links and answers; terminated after."""
    port = _free_port()
    log_path = data_dir / "server.log"
    env = {**os.environ, "YUNTING_ICE_HOST_ADDRESSES": "127.0.0.1", "YUNTING_ICE_SERVERS": "[]"}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", module, str(data_dir), str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    links_file = data_dir / "links.json"
    deadline = time.monotonic() + STARTUP_SECONDS
    url = f"http://127.0.0.1:{port}"
    while not (links_file.exists() and _answers(url)):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the e2e server did not start:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.3)
    try:
        yield Server(url, json.loads(links_file.read_text()), data_dir, process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from run_server(tmp_path_factory.mktemp("e2e-server"), "tests.e2e.server_proc")


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch(CHROMIUM_ARGS)


def launch(args: list[str]) -> Iterator[Any]:
    """Headless Chromium with `args` (CHROMIUM_ARGS or a module's variant), closed after."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        unavailable("Chromium", f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable("Playwright", str(exc))
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
    except Exception as exc:  # the launch error names what is missing
        playwright.stop()
        unavailable("Chromium", str(exc))
    yield browser
    browser.close()
    playwright.stop()


def _watch(page: Any) -> Any:
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: page.errors.append(f"console.{m.type}: {m.text}")
            if m.type == "error" else None)
    return page


@pytest.fixture
def new_context(browser: Any, server: Server) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def make(lang: str = "zh-CN") -> Any:
        context = browser.new_context(
            base_url=server.url, viewport={"width": 1280, "height": 800}, locale=lang,
            permissions=["camera", "microphone"], extra_http_headers={"Accept-Language": lang})
        context.set_default_timeout(15_000)
        # A page load waits on the server, which a loaded CI machine starves for seconds
        # (page.goto timed out at 15 s while the server was still answering).
        context.set_default_navigation_timeout(45_000)
        context.add_init_script(NO_PRINT_DIALOG)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page_for(new_context: Callable[..., Any], server: Server) -> Callable[..., Any]:
    def open_page(role_key: str, *, kiosk: bool = False, lang: str | None = None,
                  init_script: str | None = None) -> Any:
        context = new_context(lang or "zh-CN")
        if init_script:
            context.add_init_script(init_script)
        page = _watch(context.new_page())
        if kiosk:
            page.goto("/kiosk")
            page.get_by_test_id("kiosk-code").fill(server.links[role_key]["code"])
            page.get_by_test_id("kiosk-join").click()
        else:
            suffix = f"?lang={lang}" if lang else ""
            page.goto(server.link(role_key) + suffix)
        return page

    return open_page


@pytest.fixture
def staff_page(new_context: Callable[..., Any]) -> Callable[..., Any]:
    from web.app.demo import DEMO_STAFF

    def open_page(username: str, path: str, *, init_script: str | None = None) -> Any:
        context = new_context()
        if init_script:
            context.add_init_script(init_script)
        response = context.request.post("/api/session", data={
            "username": username, "password": DEMO_STAFF[username][2]})
        assert response.ok, response.text()
        page = _watch(context.new_page())
        page.goto(path)
        return page

    return open_page


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
