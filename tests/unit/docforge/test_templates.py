"""Every template renders Chinese text that pdftotext reads back; markup stays literal."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from docforge.errors import TemplateDataError
from docforge.labels import chinese_date
from docforge.pdf import render_pdf
from docforge.render import render_html
from docforge.samples import sample
from docforge.schema import from_json, json_schema
from docforge.viewmodels import KINDS, signing_order
from tests.unit.docforge.conftest import WEASYPRINT_FILTERS

pytestmark = WEASYPRINT_FILTERS

EXPECTED = {
    "mediation_agreement": ["调解协议书", "渝北区龙溪街道人民调解委员会", "偿还借款本金人民币五万元"],
    "confirmation_application": ["司法确认申请书", "此致"],
    "confirmation_ruling": ["民事裁定书", "第二百零五条", "二〇二六年十一月二十二日", "申请人达成的调解协议有效"],
    "hearing_record": ["庭审笔录", "现在开庭", "张审判"],
    "interrogation_record": ["讯问笔录", "讯问人", "看守所", "赵检察、钱检察", "记录人",
                             "诉讼权利义务告知书", "以上笔录我看过，和我说的相符"],
    "plea_statement": ["认罪认罚具结书", "盗窃罪", "量刑建议", "速裁程序", "孙律师",
                       "承办检察官：赵检察", "权利知悉", "自愿签署本具结书",
                       "辩护人（值班律师）声明", "在场见证其自愿签署",
                       "合适成年人（法定代理人）：周母"],
    "proof_of_service": ["送达回证", "电子送达"],
}


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())  # line breaks land anywhere in justified CJK text


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_renders_extractable_chinese(kind: str, tmp_path: Path) -> None:
    document = from_json(kind, sample(kind))
    rendered = render_pdf(document)
    text = _text(rendered.data, tmp_path)
    for expected in [document.court.name, document.case_number, *EXPECTED[kind]]:
        assert expected in text
    assert [p.field.name for p in rendered.placements] == [f.name for f in signing_order(document)]
    fonts = subprocess.run(["pdffonts", str(tmp_path / "doc.pdf")], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(" yes " in row for row in rows), fonts  # every font embedded
    assert any("CJK" in row for row in rows), fonts


def test_english_variant(tmp_path: Path) -> None:
    document = from_json("confirmation_ruling", sample("confirmation_ruling"))
    text = _text(render_pdf(document, "en").data, tmp_path)
    assert "CivilRuling" in text and "22November2026" in text


def test_markup_in_names_is_literal(tmp_path: Path) -> None:
    data = sample("mediation_agreement")
    data["parties"][0]["name"] = "<b>李明</b><script>x()</script>"
    data["terms"][0]["obligation"] = "付款 & <i>利息</i>"
    document = from_json("mediation_agreement", data)
    html = render_html(document)
    assert "&lt;b&gt;李明&lt;/b&gt;" in html and "<script>" not in html
    text = _text(render_pdf(document).data, tmp_path)
    assert "<b>李明</b><script>x()</script>" in text
    assert "付款&<i>利息</i>" in text


def test_chinese_dates() -> None:
    assert chinese_date(dt.date(2026, 11, 22)) == "二〇二六年十一月二十二日"
    assert chinese_date(dt.date(2030, 1, 10)) == "二〇三〇年一月十日"
    assert chinese_date(dt.date(2026, 12, 31)) == "二〇二六年十二月三十一日"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("judge"), "judge: missing required field"),
        (lambda d: d.update(decision="maybe"), "decision: must be one of ['confirmed', 'rejected'] (got 'maybe')"),
        (lambda d: d.update(date="22/11/2026"), "date: expected an ISO date (got '22/11/2026')"),
        (lambda d: d["terms"][0].update(amount_yuan="五万"), "terms[0].amount_yuan: expected a decimal amount (got '五万')"),
        (lambda d: d["terms"][0].update(amount_yuan="-1"), "terms[0]: 'amount_yuan' must not be negative (got -1)"),
        (lambda d: d["parties"][0].update(name=" "), "parties[0]: 'name' must not be empty"),
        (lambda d: d.update(colour="red"), ": unknown field(s) ['colour']"),
    ],
)
def test_json_loader_errors(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    data = sample("confirmation_ruling")
    mutate(data)
    with pytest.raises(TemplateDataError) as err:
        from_json("confirmation_ruling", data)
    assert str(err.value) == message


def test_unknown_kind() -> None:
    with pytest.raises(TemplateDataError, match="unknown document kind 'memo'"):
        from_json("memo", {})


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_json_schema_describes_sample(kind: str) -> None:
    schema = json_schema(kind)
    json.dumps(schema, ensure_ascii=False)
    assert set(schema["required"]) <= set(sample(kind))
    assert set(sample(kind)) <= set(schema["properties"])
