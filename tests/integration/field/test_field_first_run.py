"""The field test's first run: a court switches yunting on in an EMPTY PostgreSQL.

As the image does (`yunting db upgrade`, then serve) against a database created here for
this test alone, then the README's first-run commands: `yunting admin court create`,
`site create`, and `user create` for the court's administrator, a judge and a clerk (each
printing a one-time password). The app runs behind nginx from deploy/nginx.conf (its
443 stream block reading the SNI, then the https server) with a Redis that needs a
password; Chromium reaches it only over https with the test CA's certificate pinned.
The clerk logs in with their one-time password, must change it, and schedules a hearing
with the judge presiding through the clerk's page, then invites a party at the new site;
the judge logs in and opens that hearing's console; the administrator disables the judge
at /admin/staff and the judge's open console is logged out at once.
(tests/e2e/test_admin_staff.py covers the same pages against the demo data.)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AUDIT_KEY, POSTGRES_ADMIN_URL, unavailable
from tests.e2e.test_admin_staff import first_login
from tests.integration.field.fieldkit import ROOT, App, Nginx, PasswordRedis, TestCA

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
COURT_NAME, COURT_CODE = "重庆市渝北区人民法院", "渝0112"
SITE = "兴隆镇法官工作站"
JUDGE, CLERK, ADMIN = ("审判员周平", "yb.judge"), ("书记员陈晓", "yb.clerk"), ("管理员", "yb.admin")


def _sql(statement: str) -> None:
    import asyncpg

    async def execute() -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, execute()).result()


@pytest.fixture(scope="module")
def empty_database() -> Iterator[str]:
    """A database of this test's own, created empty (no schema, no rows), dropped after."""
    import asyncpg

    name = f"yunting_first_run_{secrets.token_hex(4)}"
    try:
        _sql(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError) as exc:
        unavailable("PostgreSQL", str(exc))
    try:
        yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        _sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class FirstRun:
    ca: TestCA
    nginx: Nginx
    app: App
    passwords: dict[str, str]  # username → the one-time password `yunting admin` printed

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.nginx.https_port}"


def _yunting(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "web.app.cli", *args], env=env, cwd=ROOT,
                          text=True, capture_output=True, timeout=180)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def _one_time(output: str) -> str:
    match = re.search(r"one-time password.*: (\S+)$", output, re.M)
    assert match, output
    return match.group(1)


@pytest.fixture(scope="module")
def first_run(empty_database: str, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[FirstRun]:
    directory = tmp_path_factory.mktemp("first-run")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "YUNTING_DATA_DIR": str(directory),
           "YUNTING_DATABASE_URL": empty_database, "YUNTING_AUDIT_KEY": AUDIT_KEY.decode()}
    # the image's start: migrate, then serve; then the README's first-run commands
    _yunting(env, "db", "upgrade")
    _yunting(env, "admin", "court", "create", "--name", COURT_NAME, "--code", COURT_CODE)
    _yunting(env, "admin", "site", "create", "--court", COURT_CODE, "--name", SITE,
             "--kind", "judge_clinic")
    passwords = {}
    for (name, username), role in ((ADMIN, "admin"), (JUDGE, "judge"), (CLERK, "clerk")):
        passwords[username] = _one_time(_yunting(
            env, "admin", "user", "create", "--username", username, "--name", name,
            "--role", role, "--court", COURT_CODE))
    listed = _yunting(env, "admin", "user", "list")
    assert all(u in listed for u in passwords), listed
    with contextlib.ExitStack() as cleanup:
        ca = TestCA(directory / "tls")
        redis = PasswordRedis(directory / "redis", "first-run-redis-password")
        redis.start()
        cleanup.callback(redis.stop)
        app = App(directory, "app")
        nginx = Nginx(directory / "nginx", ca, [app.address])
        origin = f"https://127.0.0.1:{nginx.https_port}"
        app.settings.update(database_url=empty_database, redis_url=redis.url,
                            public_url=origin, allowed_origins=origin,
                            trusted_proxies="127.0.0.1", audit_key=AUDIT_KEY.decode(),
                            court_timezone="Asia/Shanghai")
        app.spawn()
        cleanup.callback(app.stop)
        app.wait_ready()
        nginx.start()
        cleanup.callback(nginx.stop)
        yield FirstRun(ca, nginx, app, passwords)


@pytest.fixture
def contexts(first_run: FirstRun) -> Iterator[Callable[[], Any]]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        unavailable("Chromium", f"{CHROMIUM} not found")
    made: list[Any] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                  "--no-sandbox", "--disable-background-networking",
                  f"--ignore-certificate-errors-spki-list={first_run.ca.spki_sha256}"])

        def make() -> Any:
            context = browser.new_context(
                base_url=first_run.origin, locale="zh-CN",
                permissions=["camera", "microphone"],
                extra_http_headers={"Accept-Language": "zh-CN"})
            context.set_default_timeout(20_000)
            made.append(context)
            return context

        try:
            yield make
        finally:
            for context in made:
                context.close()
            browser.close()


def test_first_run_accounts_schedule_and_a_disabled_judge(
        first_run: FirstRun, contexts: Callable[[], Any]) -> None:
    passwords = first_run.passwords
    # The clerk: one-time password, a password of their own, then the clerk's page.
    clerk = first_login(contexts, CLERK[1], passwords[CLERK[1]], "嘉陵江-索道-1982-冬")
    assert clerk.url.startswith(f"{first_run.origin}/")  # over the TLS proxy
    clerk.goto("/clerk")
    clerk.get_by_test_id("schedule-case-type").select_option("civil")
    clerk.get_by_test_id("schedule-procedure").fill("民初")
    clerk.get_by_test_id("schedule-case-title").fill("赵某诉钱某买卖合同纠纷")
    clerk.get_by_test_id("schedule-kind").select_option("trial")
    clerk.get_by_test_id("schedule-title").fill("赵某诉钱某买卖合同纠纷远程开庭")
    tomorrow = clerk.evaluate("""() => {
      const d = new Date(Date.now() + 86400000), p = (n) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T09:30`;
    }""")
    clerk.get_by_test_id("schedule-at").fill(tomorrow)
    clerk.get_by_test_id("schedule-presiding").select_option(label=JUDGE[0])
    clerk.get_by_test_id("schedule-submit").click()
    result = clerk.get_by_test_id("schedule-result")
    result.wait_for()
    assert "民初" in str(result.text_content()), result.text_content()
    hearing_id = result.get_attribute("data-hearing-id")
    # (from the page: Playwright's own requests would not trust the pinned certificate)
    scheduled = clerk.evaluate("async (u) => (await fetch(u)).json()",
                               f"/api/hearings/{hearing_id}")
    assert scheduled["state"] == "scheduled" and scheduled["presiding_user_id"], scheduled
    # the first-run site is the court's, offered for an invitation
    clerk.get_by_test_id("invite-section").wait_for()
    clerk.get_by_test_id("invite-name").fill("赵某")
    clerk.get_by_test_id("invite-role").select_option("plaintiff")
    site = clerk.get_by_test_id("invite-site")
    site.locator("option", has_text=SITE).wait_for(state="attached")
    site.select_option(label=SITE)
    clerk.get_by_test_id("invite-submit").click()
    link = str(clerk.get_by_test_id("invite-row").get_by_test_id("invite-link")
               .get_attribute("href"))
    assert link.startswith(f"{first_run.origin}/join/"), link

    # The judge: first login, then the new hearing's console, connected.
    judge = first_login(contexts, JUDGE[1], passwords[JUDGE[1]], "缙云山-竹林-1979-秋")
    console_path = f"/hearings/{hearing_id}/console"
    judge.goto(console_path)
    judge.get_by_test_id("connection-state").and_(
        judge.locator("[data-state=connected]")).wait_for()

    # The court's administrator disables the judge: the open console is logged out at once.
    admin = first_login(contexts, ADMIN[1], passwords[ADMIN[1]], "洪崖洞-吊脚楼-1986-夏")
    admin.goto("/admin/staff")
    admin.on("dialog", lambda dialog: dialog.accept())
    row = admin.locator(f"[data-testid='account-row'][data-username='{JUDGE[1]}']")
    row.get_by_test_id("account-disable").click()
    admin.locator(f"[data-testid='account-row'][data-username='{JUDGE[1]}']"
                  "[data-active='false']").wait_for()
    judge.wait_for_url(re.compile(r"/login\?next="))
    assert console_path in judge.url.replace("%2F", "/")
    assert judge.evaluate("async () => (await fetch('/api/session')).status") == 401
