"""Where the login page sends the browser afterwards (`/login?next=...`): only a path on
this site, never another origin (issue 11: `next=%2F%09%2Fevil.example` got through,
because a browser drops the tab and reads `//evil.example`)."""

from __future__ import annotations

import pytest

from web.pages.hearings import _safe_next

# Known open-redirect bypasses: each is, or becomes in some browser, another origin.
BYPASSES = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\u3000/evil.example",
    "/\u2028/evil.example",
    "/%09/evil.example",
    "/%5Cevil.example",
    "/%2F/evil.example",
    "%2F%2Fevil.example",
    "%2f%2fevil.example",
    "https:evil.example",
    "https:/evil.example",
    "https://evil.example",
    "HTTPS://evil.example/hearings",
    "//evil.example/hearings",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "hearings",
    "",
]


@pytest.mark.parametrize("target", BYPASSES)
def test_anything_that_could_leave_the_site_goes_to_the_staff_home(target: str) -> None:
    assert _safe_next(target) == "/hearings"


@pytest.mark.parametrize("target", [
    "/hearings", "/hearings/0a1b/console", "/hearings?date=2026-12-02", "/clerk/recordings",
    "/mediations/0a1b/console?lang=zh-CN"])
def test_a_path_on_this_site_is_kept(target: str) -> None:
    assert _safe_next(target) == target


def test_the_target_is_rebuilt_from_its_path_and_query() -> None:
    assert _safe_next("/hearings?date=2026-12-02#top") == "/hearings?date=2026-12-02"
