"""Fully signed documents validate in pyHanko (diff analysis on), poppler's pdfsig and qpdf."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from docforge.forge import DocumentForge
from tests.unit.docforge.conftest import WEASYPRINT_FILTERS

pytestmark = WEASYPRINT_FILTERS


def _pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout


@pytest.mark.parametrize("fixture", ["signed_agreement", "signed_ruling"])
def test_pdfsig_says_every_signature_is_valid(fixture: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    pdf = request.getfixturevalue(fixture)
    out = _pdfsig(pdf, tmp_path)
    blocks = out.split("Signature #")[1:]
    # poppler cannot check RFC 3161 document timestamps ("Signature Type: unknown"): skip those.
    signatures = [b for b in blocks if "ETSI.CAdES.detached" in b]
    expected = 4 if fixture == "signed_agreement" else 2
    assert len(signatures) == expected, out
    assert all("Signature is Valid" in b for b in signatures), out


@pytest.mark.parametrize("fixture", ["signed_agreement", "signed_ruling"])
def test_qpdf_check_passes(fixture: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(request.getfixturevalue(fixture))
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_agreement_verifies_in_pyhanko(forge: DocumentForge, signed_agreement: bytes) -> None:
    report = forge.verify(signed_agreement)
    assert report.ok, report.text()
    kinds = [(s.field, s.kind) for s in report.signatures]
    assert kinds[0] == ("court_seal", "certification")
    assert [f for f, _ in kinds[1:4]] == ["party1", "party2", "mediator"]
    assert kinds[-1][1] == "timestamp"
    for s in report.signatures:
        assert s.intact and s.valid and s.trusted
        assert s.modification_level in ("FORM_FILLING", "LTA_UPDATES")
    party1 = report.signatures[1]
    assert party1.signer == "李明" and party1.record.bound and party1.record.decrypted
    assert party1.timestamp_time is not None
    assert "通过 OK" in report.text()


def test_ruling_verifies_and_judge_signs_with_own_cert(forge: DocumentForge, signed_ruling: bytes) -> None:
    report = forge.verify(signed_ruling)
    assert report.ok, report.text()
    judge = next(s for s in report.signatures if s.field == "judge")
    assert judge.signer == "张审判" and judge.role == "judge"
    assert "开发用" in judge.certificate


def test_capture_record_replays_strokes(forge: DocumentForge, signed_agreement: bytes) -> None:
    from tests.unit.docforge.conftest import capture_json

    record = forge.open_capture_record(signed_agreement, "party2")
    assert record.signer.name == "陈芳"
    assert record.capture.to_json()["strokes"] == capture_json(2)["strokes"]
    assert record.capture.site == "龙溪街道调解室"


async def test_async_wrappers_run_off_the_loop(forge: DocumentForge, signed_ruling: bytes) -> None:
    report = await forge.averify(signed_ruling)
    assert report.ok
    digest = bytes(range(32))
    token = await forge.atimestamp_digest(digest)
    assert await forge.averify_timestamp(token, digest)
    assert not await forge.averify_timestamp(token, bytes(32))
