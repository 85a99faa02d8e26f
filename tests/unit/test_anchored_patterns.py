"""A pattern that must match a whole value ends in `\\Z`, never in `$` alone: with `$`,
`re.match` also accepts the value followed by a line feed (a court code "渝0113\\n" was
stored so; an id "p1\\n" passed the socket's parser). This test reads the product's code for
compiled patterns anchored at the start with `^` and ending in `$`, and refuses them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hearings.domain.courts import Court
from hearings.domain.errors import InvalidInput
from media.participant import ParticipantInfo

ROOT = Path(__file__).parents[2]
PACKAGES = ("hearings", "signaling", "media", "docforge", "web")
WHOLE_VALUE = re.compile(r"""re\.compile\(r?(["'])\^.*\$\1""")


def test_no_whole_value_pattern_ends_in_a_bare_dollar() -> None:
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if WHOLE_VALUE.search(line)]
    assert not found, "end these patterns in \\Z (or use fullmatch): " + "; ".join(found)


def test_a_court_code_with_a_line_feed_is_refused() -> None:
    with pytest.raises(InvalidInput, match="province abbreviation"):
        Court("重庆市渝北区人民法院", "渝0113\n")


def test_a_media_participant_id_with_a_line_feed_is_refused() -> None:
    with pytest.raises(ValueError, match="participant_id"):
        ParticipantInfo(hearing_id="h1", participant_id="p1\n", role="judge")
