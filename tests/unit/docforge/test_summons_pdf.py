"""A summons (传票) / notice to appear (出庭通知书): rendered in Chinese, sealed by the court
alone (nothing may change after the seal), its QR codes readable by a real decoder (zbar)."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from docforge.forge import DocumentForge
from docforge.required import REQUIRED, document_kind
from docforge.summons import seal_summons
from docforge.viewmodels import AppearanceNotice, Court, Party, Summons
from tests.unit.docforge.conftest import WEASYPRINT_FILTERS

pytestmark = WEASYPRINT_FILTERS

TZ = ZoneInfo("Asia/Shanghai")
JOIN = "https://yunting.example/join/ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-2345-6789"
INQUIRY = "https://yunting.example/inquiry?code=K7QM-3XWD"


def _summons(cls: type[Summons] = Summons, *, inquiry: bool = True) -> Summons:
    return cls(Court("重庆市渝北区人民法院"), "(2026)渝0112民初88号", dt.date(2026, 12, 2),
               recipient=Party("张<b>三</b>", "被告"), hearing_title="民间借贷纠纷",
               hearing_at=dt.datetime(2026, 12, 9, 9, 30, tzinfo=TZ), place="龙溪街道法官e站",
               join_url=JOIN, inquiry_url=INQUIRY if inquiry else None,
               inquiry_code="K7QM-3XWD" if inquiry else None)


def _tool(args: list[str]) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def decoded_qr_codes(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "summons.pdf"
    path.write_bytes(pdf)
    _tool(["pdftoppm", "-r", "150", "-png", str(path), str(tmp_path / "page")])
    pages = sorted(str(p) for p in tmp_path.glob("page*.png"))
    out = subprocess.run(["zbarimg", "-q", "--raw", *pages], capture_output=True, text=True,
                         check=False).stdout
    return sorted(line for line in out.splitlines() if line)


def test_a_summons_carries_the_join_link_and_the_inquiry_as_qr_codes(
        forge: DocumentForge, tmp_path: Path) -> None:
    pdf = seal_summons(_summons(), forge.source)
    assert decoded_qr_codes(pdf, tmp_path) == sorted([JOIN, INQUIRY])
    path = tmp_path / "summons.pdf"
    text = _tool(["pdftotext", str(path), "-"])
    for words in ("重庆市渝北区人民法院", "传", "票", "(2026)渝0112民初88号", "张<b>三</b>", "被告",
                  "二〇二六年十二月九日 09:30", "龙溪街道法官e站", "K7QM-3XWD"):
        assert words in text, words
    fonts = _tool(["pdffonts", str(path)]).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # emb
    sig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True,
                         check=False).stdout
    assert "court_seal" in sig and "Signature is Valid" in sig, sig
    report = forge.verify(pdf)
    assert report.ok and report.kind == "summons", report.problems


def test_a_notice_to_appear_without_an_inquiry_has_one_qr(forge: DocumentForge,
                                                          tmp_path: Path) -> None:
    pdf = seal_summons(_summons(AppearanceNotice, inquiry=False), forge.source)
    assert decoded_qr_codes(pdf, tmp_path) == [JOIN]
    assert "出 庭 通 知 书" in _tool(["pdftotext", str(tmp_path / "summons.pdf"), "-"])
    report = forge.verify(pdf)
    assert report.ok and report.kind == "appearance_notice", report.problems


def test_the_kinds_need_the_seal_alone_and_lock_the_document() -> None:
    for kind, title in (("summons", "传票"), ("appearance_notice", "出庭通知书")):
        assert REQUIRED[kind].describe() == "court seal (sealed against any change)"
        assert document_kind(f"{title} (2026)渝0112民初88号") == kind


def test_a_summons_needs_a_zoned_time_and_inquiry_url_with_its_code() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Summons(Court("法院"), "(2026)1号", dt.date(2026, 12, 2), recipient=Party("甲", "原告"),
                hearing_title="x", hearing_at=dt.datetime(2026, 12, 9, 9, 30), place="p",
                join_url=JOIN)
    with pytest.raises(ValueError, match="go together"):
        Summons(Court("法院"), "(2026)1号", dt.date(2026, 12, 2), recipient=Party("甲", "原告"),
                hearing_title="x", hearing_at=dt.datetime(2026, 12, 9, 9, 30, tzinfo=TZ),
                place="p", join_url=JOIN, inquiry_url=INQUIRY)
