"""Every template renders Chinese text that pdftotext reads back; markup stays literal."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from docforge.errors import TemplateDataError
from docforge.labels import chinese_date
from docforge.pdf import render_pdf
from docforge.render import render_html
from docforge.samples import sample
from docforge.schema import from_json, json_schema
from docforge.viewmodels import KINDS, MediationAgreement, Transcript, signing_order
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
        (lambda d: d.update(court=None), "court: must not be null"),
        (lambda d: d.update(court=[]), "court: expected an object (got list)"),
        (lambda d: d.update(parties=5), "parties: expected a list (got int)"),
        (lambda d: d.update(judge=5), "judge: expected a string (got 5)"),
        (lambda d: d["terms"][0].update(amount_yuan=True), "terms[0].amount_yuan: expected a decimal amount (got True)"),
        (lambda d: d.update(case_number=" "), "ConfirmationRuling: 'case_number' must not be empty"),
        # a date is an ISO string, never a Unix time (pydantic would take one, even strict)
        (lambda d: d.update(date="0"), "date: expected an ISO date (got '0')"),
        (lambda d: d.update(date=1700000000), "date: expected an ISO date (got 1700000000)"),
        (lambda d: d.update(date="2026-11-22T00:00:00"), "date: expected an ISO date (got '2026-11-22T00:00:00')"),
        # the first error in field order; an object's unknown fields before anything in it
        (lambda d: (d.pop("judge"), d.update(date="x")), "date: expected an ISO date (got 'x')"),
        (lambda d: (d.update(date="x", b=1, a=2)), ": unknown field(s) ['a', 'b']"),
        (lambda d: (d["parties"][0].update(name=5, x=1), d["court"].update(name=None)), "court.name: must not be null"),
        (lambda d: (d["parties"][1].update(x=1), d["parties"][1].pop("role")), "parties[1]: unknown field(s) ['x']"),
    ],
)
def test_json_loader_errors(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    data = sample("confirmation_ruling")
    mutate(data)
    with pytest.raises(TemplateDataError) as err:
        from_json("confirmation_ruling", data)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("2026-11-22T09:30:00+08:00", None),
        ("2026-11-22 09:30", None),
        ("1700000000", "start: expected an ISO datetime (got '1700000000')"),
        (0, "start: expected an ISO datetime (got 0)"),
        ("2026-11-22", "start: expected an ISO datetime (got '2026-11-22')"),
    ],
)
def test_json_loader_datetimes(start: object, message: str | None) -> None:
    data = sample("hearing_record") | {"start": start}
    if message is None:
        document = from_json("hearing_record", data)
        assert isinstance(document, Transcript)
        assert document.start.isoformat().startswith("2026-11-22T09:30")
        return
    with pytest.raises(TemplateDataError) as err:
        from_json("hearing_record", data)
    assert str(err.value) == message


def test_json_loader_amounts_as_strings_or_numbers() -> None:
    data = sample("mediation_agreement")
    data["terms"][0]["amount_yuan"] = 50000.5
    data["terms"][1]["amount_yuan"] = "12.30"
    document = from_json("mediation_agreement", data)
    assert isinstance(document, MediationAgreement)
    terms = document.terms
    assert (terms[0].amount_yuan, terms[1].amount_yuan) == (Decimal("50000.5"), Decimal("12.30"))


def test_unknown_kind() -> None:
    with pytest.raises(TemplateDataError, match="unknown document kind 'memo'"):
        from_json("memo", {})


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_json_schema_describes_sample(kind: str) -> None:
    schema = json_schema(kind)
    json.dumps(schema, ensure_ascii=False)
    assert set(schema["required"]) <= set(sample(kind))
    assert set(sample(kind)) <= set(schema["properties"])
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == f"{KINDS[kind].title} ({kind})"
    for obj in [schema, *schema.get("$defs", {}).values()]:  # every view model is closed
        assert obj["type"] == "object" and obj["additionalProperties"] is False, obj


def test_json_schema_takes_an_amount_as_a_string_or_a_number() -> None:
    term = json_schema("mediation_agreement")["$defs"]["AgreementTerm"]
    assert term["required"] == ["obligor", "obligee", "obligation"]
    kinds = {branch.get("type") for branch in term["properties"]["amount_yuan"]["anyOf"]}
    assert kinds == {"string", "number", "null"}
