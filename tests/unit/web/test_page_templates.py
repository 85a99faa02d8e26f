"""The pages' static rules: no inline script or style (CSP), every test hook documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[3] / "web"
TEMPLATES = sorted((WEB / "templates").glob("*.html"))
SCRIPTS = sorted((WEB / "static" / "js").glob("*/*.js"))
DOC = WEB.parent / "docs" / "ui-testids.md"
TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)
TEMPLATE_IDS = re.compile(r"""data-testid=["']([a-z0-9-]+)["']""")
SCRIPT_IDS = re.compile(r"""(?:testid:\s*|dataset\.testid\s*=\s*|testid=)["']([a-z0-9-]+)["']""")


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_no_inline_script_or_style(template: Path) -> None:
    html = template.read_text()
    for attrs, body in TAG.findall(html):
        if 'type="application/json"' in attrs:
            continue  # a data block: never executed
        assert "src=" in attrs and not body.strip(), f"inline <script> in {template.name}"
    assert not re.search(r"\sstyle=", html), f"inline style attribute in {template.name}"
    assert not re.search(r"\son[a-z]+=", html), f"inline event handler in {template.name}"


def test_every_testid_is_documented() -> None:
    documented = set(re.findall(r"`([a-z0-9-]+)`", DOC.read_text()))
    used: dict[str, str] = {}
    for path in TEMPLATES:
        used.update(dict.fromkeys(TEMPLATE_IDS.findall(path.read_text()), path.name))
    for path in SCRIPTS:
        used.update(dict.fromkeys(SCRIPT_IDS.findall(path.read_text()), path.name))
    missing = {tid: where for tid, where in used.items() if tid not in documented}
    assert not missing, f"data-testid not in docs/ui-testids.md: {missing}"


STATIC = WEB / "static"
SCRIPT_SRC = re.compile(r"""<script\b[^>]*\bsrc=["'](/static/[^"']+)["']""")
IMPORT = re.compile(r"""(?:\bimport\b[^"';]*?\bfrom\s*|\bimport\s*\(?\s*|\bexport\b[^"';]*?\bfrom\s*)["'](/static/[^"']+)["']""")


def test_scripts_are_pages_or_their_library() -> None:
    """web/static/js/pages/ holds what a template loads, web/static/js/lib/ what the
    pages import; nothing else lies in web/static/js/."""
    loose = sorted(p.name for p in (STATIC / "js").iterdir() if p.is_file())
    assert not loose, f"scripts outside pages/ and lib/: {loose}"
    loaded = {src for t in TEMPLATES for src in SCRIPT_SRC.findall(t.read_text())}
    imported = {src for s in SCRIPTS for src in IMPORT.findall(s.read_text())}
    for script in SCRIPTS:
        url = "/" + str(script.relative_to(WEB))
        kind = script.parent.name
        assert (url in loaded) == (kind == "pages"), f"{url}: a page is what a template loads"
        assert kind == "pages" or url in imported, f"{url}: nothing imports it"


def test_every_script_a_page_loads_or_imports_exists() -> None:
    wanted = {src for t in TEMPLATES for src in SCRIPT_SRC.findall(t.read_text())}
    wanted |= {src for s in SCRIPTS for src in IMPORT.findall(s.read_text())}
    assert len(wanted) > 20, wanted
    missing = sorted(src for src in wanted if not (STATIC / src.removeprefix("/static/")).is_file())
    assert not missing, f"scripts that do not exist: {missing}"
