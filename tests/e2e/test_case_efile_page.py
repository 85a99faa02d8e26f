"""The case e-file from the clerk's record page in real Chromium (issue 17.4): the demo clerk
uploads two scanned PDFs (a PNG renamed .pdf is refused with a message), compiles the
e-file, and downloads a PDF sealed by the court that `qpdf --check` and `pdfsig` accept and
whose contents name both scans."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _scan(path: Path, pages: int) -> Path:
    with pikepdf.new() as pdf:
        for _ in range(pages):
            pdf.add_blank_page(page_size=(595, 842))
        pdf.save(path)
    return path


def test_the_clerk_uploads_scans_and_downloads_the_case_efile(
        server: Server, staff_page: Callable[..., Any], tmp_path: Path) -> None:
    hid = server.links["judge"]["hearing_id"]
    page = staff_page("clerk", f"/clerk/hearings/{hid}/transcript")
    panel = page.get_by_test_id("efile-panel")
    panel.wait_for()
    before = int(page.get_by_test_id("efile-count").inner_text())

    fake = tmp_path / "照片.pdf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    page.get_by_test_id("efile-file").set_input_files(fake)
    page.get_by_test_id("efile-upload").click()
    expect(page.get_by_test_id("efile-message")).to_have_attribute("data-kind", "error")

    for name, pages in (("起诉状扫描件.pdf", 2), ("证据目录扫描件.pdf", 1)):
        page.get_by_test_id("efile-file").set_input_files(_scan(tmp_path / name, pages))
        page.get_by_test_id("efile-upload").click()
        before += 1
        expect(page.get_by_test_id("efile-count")).to_have_text(str(before))

    page.get_by_test_id("efile-build").click()
    # The build is a job: its progress bar and percentage show while it runs.
    expect(page.get_by_test_id("efile-progress")).to_be_visible()
    expect(page.get_by_test_id("efile-percent")).to_have_text(re.compile(r"^\d{1,3}%$"))
    link = page.get_by_test_id("efile-download")
    expect(link).to_be_visible(timeout=60_000)
    expect(panel).to_have_attribute("data-progress", "100")
    expect(page.get_by_test_id("efile-progress")).to_be_hidden()
    with page.expect_download() as download:
        link.click()
    path = tmp_path / "efile.pdf"
    Path(download.value.path()).rename(path)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True,
                           check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    sig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True,
                         check=False).stdout
    blocks = [b for b in sig.split("Signature #")[1:] if "ETSI.CAdES.detached" in b]
    assert len(blocks) == 1 and "Signature is Valid" in blocks[0], sig
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    contents = "".join(text.split("\f")[0].split())
    assert "起诉状扫描件" in contents and "证据目录扫描件" in contents
    assert not [e for e in page.errors if "415" not in e], page.errors
