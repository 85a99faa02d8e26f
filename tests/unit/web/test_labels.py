"""Every role has a display label, in Python and in the pages' JS, and it is translated."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from hearings.domain.participants import Role
from web.labels import ROLES

WEB = Path(__file__).resolve().parents[3] / "web"


def test_every_role_has_a_label() -> None:
    assert set(ROLES) == set(Role)


def test_every_role_has_a_label_in_the_pages() -> None:
    source = (WEB / "static/js/lib/labels.js").read_text(encoding="utf-8")
    table = source.split("export const ROLES = {", 1)[1].split("};", 1)[0]
    keys = set(re.findall(r"(\w+): \(\) =>", table))
    assert keys == {r.value for r in Role}


def test_role_labels_are_translated() -> None:
    with (WEB / "locale/zh_CN/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    for label in ROLES.values():
        message = catalog.get(str(label))
        assert message is not None and message.string, label
