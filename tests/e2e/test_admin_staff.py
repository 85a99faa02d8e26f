"""The administrator's accounts page in real Chromium (issue 16.4): the demo court's admin
creates a clerk at /admin/staff and reads their one-time password off the page; the clerk
logs in with it and is sent to change it first, then reaches their pages. Another court's
admin (set up with `yunting admin`, as on a first run) sees only their own court's
accounts, not that clerk."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def yunting_admin(server: Server, *args: str) -> str:
    env = {**os.environ, "YUNTING_DATA_DIR": str(server.data_dir),
           "YUNTING_AUDIT_KEY": "e2e-audit-key-0123456789abcdef"}
    env.pop("YUNTING_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "web.app.cli", "admin", *args], env=env,
                          text=True, capture_output=True, timeout=120, cwd=server.data_dir)
    assert done.returncode == 0, done.stderr
    return done.stdout


def one_time(output: str) -> str:
    match = re.search(r"one-time password.*: (\S+)$", output, re.M)
    assert match, output
    return match.group(1)


def first_login(new_context: Callable[..., Any], username: str, password: str,
                new_password: str) -> Any:
    """Log in through the login page with a one-time password and change it."""
    page = new_context().new_page()
    page.goto("/login?next=/hearings")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(re.compile(r"/account/password"))
    assert page.get_by_test_id("password-forced").is_visible()
    page.get_by_test_id("password-current").fill(password)
    for field in ("password-new", "password-again"):
        page.get_by_test_id(field).fill("password1234")
    page.get_by_test_id("password-submit").click()
    error = page.get_by_test_id("password-error")
    error.wait_for(state="visible")
    assert "常见" in error.inner_text()  # refused in the page's language
    for field in ("password-new", "password-again"):
        page.get_by_test_id(field).fill(new_password)
    page.get_by_test_id("password-submit").click()
    page.wait_for_url(re.compile(r"/hearings"))
    return page


def test_a_court_admin_creates_a_clerk_another_court_cannot_see(
        server: Server, staff_page: Callable[..., Any],
        new_context: Callable[..., Any]) -> None:
    yunting_admin(server, "court", "create", "--name", "重庆市江北区人民法院", "--code", "渝0105")
    other_admin = one_time(yunting_admin(
        server, "user", "create", "--username", "jiangbei.admin", "--name", "江北管理员",
        "--role", "admin", "--court", "渝0105"))

    page = staff_page("admin", "/admin/staff")
    rows = page.get_by_test_id("account-row")
    rows.first.wait_for()
    page.get_by_test_id("account-username").fill("e2e.clerk")
    page.get_by_test_id("account-name").fill("书记员测试")
    page.get_by_test_id("account-role").select_option("clerk")
    page.get_by_test_id("account-submit").click()
    shown = page.get_by_test_id("one-time-password")
    shown.wait_for(state="visible")
    assert shown.get_attribute("data-username") == "e2e.clerk"
    password = shown.get_attribute("data-password")
    assert password and password in shown.inner_text()
    created = page.locator("[data-testid='account-row'][data-username='e2e.clerk']")
    created.wait_for()
    assert created.get_by_test_id("account-state").inner_text() == "须修改密码"
    assert "jiangbei.admin" not in page.get_by_test_id("account-rows").inner_text()

    clerk = first_login(new_context, "e2e.clerk", password, "青石板-雨巷-1987-春")
    assert clerk.get_by_test_id("password-form").count() == 0

    other = first_login(new_context, "jiangbei.admin", other_admin, "江北-嘉陵江-2026-桥")
    other.goto("/admin/staff")
    other.get_by_test_id("account-row").first.wait_for()
    names = other.get_by_test_id("account-row").evaluate_all(
        "rows => rows.map(r => r.dataset.username)")
    assert names == ["jiangbei.admin"]
    assert [u["username"] for u in other.request.get("/api/staff").json()] == ["jiangbei.admin"]

    page.reload()
    created.wait_for()
    assert created.get_by_test_id("account-state").inner_text() == "正常"
    assert not page.errors, page.errors


def test_a_disabled_judges_open_console_is_logged_out(
        server: Server, staff_page: Callable[..., Any]) -> None:
    hearing_id = server.links["judge"]["hearing_id"]
    console_path = f"/hearings/{hearing_id}/console"
    judge = staff_page("judge", console_path)
    judge.get_by_test_id("connection-state").and_(
        judge.locator("[data-state=connected]")).wait_for()

    admin = staff_page("admin", "/admin/staff")
    admin.on("dialog", lambda dialog: dialog.accept())  # "Disable 审判员李明? …"
    row = admin.locator("[data-testid='account-row'][data-username='judge']")
    row.get_by_test_id("account-disable").click()
    admin.locator("[data-testid='account-row'][data-username='judge'][data-active='false']"
                  ).wait_for()

    # the judge's console is told at once and goes to the login, to come back here
    judge.wait_for_url(re.compile(r"/login\?next="))
    assert console_path in judge.url.replace("%2F", "/")
    assert judge.request.get("/api/session").status == 401

    admin.locator("[data-testid='account-row'][data-username='judge']").get_by_test_id(
        "account-enable").click()
    admin.locator("[data-testid='account-row'][data-username='judge'][data-active='true']"
                  ).wait_for()
    assert not admin.errors, admin.errors
