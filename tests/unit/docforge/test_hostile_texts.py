"""Hostile but valid texts print safely in every document kind: an unbroken 300-character
string stays on the page, and bidi controls in a value cannot reorder the text around it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from docforge.pdf import render_pdf
from docforge.render import render_html
from docforge.samples import sample
from docforge.schema import from_json
from docforge.viewmodels import KINDS
from tests.unit.docforge.conftest import WEASYPRINT_FILTERS

pytestmark = WEASYPRINT_FILTERS

UNBROKEN = {
    "latin": "https://example.invalid/" + "A" * 276,
    "cjk": "王" * 300,
}
# Every free text a court, a clerk or a party can type (dates, amounts and enums excepted).
FREE_TEXT = {"name", "address", "phone", "id_number", "role", "mediator", "facts", "requests",
             "obligor", "obligee", "obligation", "reasons", "legal_basis", "judge", "clerk",
             "place", "presiding_judge", "speaker", "text", "method", "server", "case_number",
             "served_documents"}


def _replace_free_text(value: Any, text: str, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _replace_free_text(v, text, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_free_text(v, text, key) for v in value]
    if isinstance(value, str) and key in FREE_TEXT:
        return text
    return value


def _words(pdf: bytes, tmp_path: Path) -> tuple[float, list[tuple[float, float, str]]]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    width = float(re.search(r'<page width="([\d.]+)"', out).group(1))  # type: ignore[union-attr]
    words = [(float(a), float(b), w) for a, b, w in
             re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)<', out)]
    return width, words


# Latin in every kind; CJK (which breaks between characters anyway) where a column was nowrap.
CASES = [(kind, "latin") for kind in sorted(KINDS)] + [("hearing_record", "cjk")]


@pytest.mark.parametrize(("kind", "what"), CASES)
def test_an_unbroken_string_stays_on_the_page(kind: str, what: str, tmp_path: Path) -> None:
    data = _replace_free_text(sample(kind), UNBROKEN[what])
    data["court"]["name"] = UNBROKEN[what][:200]
    width, words = _words(render_pdf(from_json(kind, data)).data, tmp_path)
    assert words
    outside = [(x1, x2, w[:20]) for x1, x2, w in words if x1 < 0 or x2 > width]
    assert not outside, f"page width {width}: {outside[:5]}"


def _plain(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    # pdftotext marks right-to-left words it found with U+202B … U+202C: not ours.
    return "".join(out.replace("\u202b", "").replace("\u202c", "").split())


BIDI_CONTROLS = ["\u202e", "\u202d", "\u202b", "\u202a", "\u2067", "\u2066", "\u2068",
                 "\u200f", "\u061c"]


@pytest.mark.parametrize("control", BIDI_CONTROLS, ids=[f"U+{ord(c):04X}" for c in BIDI_CONTROLS])
def test_a_bidi_control_in_a_name_does_not_reverse_the_obligation(control: str,
                                                                  tmp_path: Path) -> None:
    data = sample("mediation_agreement")
    term = data["terms"][0]
    term["obligee"] = f"李{control}明"
    term["obligation"] = "偿还借款本金人民币五万元 abc 123"
    text = _plain(render_pdf(from_json("mediation_agreement", data)).data, tmp_path)
    assert "李明：偿还借款本金人民币五万元abc123" in text


def test_bidi_controls_are_removed_from_every_value() -> None:
    data = _replace_free_text(sample("confirmation_ruling"), "甲\u202e乙\u2066丙\u200f丁")
    html = render_html(from_json("confirmation_ruling", data))
    assert not set(html) & set(BIDI_CONTROLS)
    assert "甲乙丙丁" in html


def test_only_right_to_left_values_are_isolated() -> None:
    data = sample("confirmation_ruling")
    data["parties"][0]["name"] = "אבג"
    html = render_html(from_json("confirmation_ruling", data))
    assert "\u2068אבג\u2069" in html
    assert html.count("\u2068") == html.count("\u2069") == html.count("אבג")


def test_right_to_left_letters_in_a_name_stay_inside_it(tmp_path: Path) -> None:
    # A Hebrew obligee with digits after it must not pull the amount into its own run.
    data = sample("mediation_agreement")
    data["terms"][0]["obligee"] = "אבג"
    data["terms"][0]["obligation"] = "123 支付"
    text = _plain(render_pdf(from_json("mediation_agreement", data)).data, tmp_path)
    assert "：123支付" in text


def test_a_lone_surrogate_from_old_data_still_renders(tmp_path: Path) -> None:
    data = sample("mediation_agreement")
    data["facts"] = "事实\udfff经过"
    text = _plain(render_pdf(from_json("mediation_agreement", data)).data, tmp_path)
    assert "事实\ufffd经过" in text
