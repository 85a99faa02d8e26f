"""A signature made with a key draws the signer's Chinese name, role and time in the embedded
CJK font: no unembedded Courier (PDF/A-3b), and the signatures still validate."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from docforge.biometric import SignerIdentity
from docforge.forge import DocumentForge
from docforge.samples import sample
from docforge.schema import from_json
from tests.unit.docforge.conftest import WEASYPRINT_FILTERS, capture_json

pytestmark = WEASYPRINT_FILTERS

JUDGE = "赵明理"  # not printed in the sample ruling: only the stamp can draw it
MEDIATOR = "孙立平"


@pytest.fixture(scope="module")
def ruling(forge: DocumentForge) -> bytes:
    pdf = forge.render_and_seal(from_json("confirmation_ruling", sample("confirmation_ruling")))
    return forge.finish(forge.sign_as(pdf, "judge", JUDGE, "审判员", user_id="judge-stamp"))


@pytest.fixture(scope="module")
def agreement(forge: DocumentForge) -> bytes:
    document = from_json("mediation_agreement", sample("mediation_agreement"))
    pdf = forge.render_and_seal(document)
    for i, party in enumerate(document.parties, 1):  # type: ignore[attr-defined]
        pdf = forge.sign_handwritten(pdf, f"party{i}", SignerIdentity(party.name, party.role),
                                     capture_json(i))
    pdf = forge.sign_as(pdf, "mediator", MEDIATOR, "人民调解员", user_id="mediator-stamp")
    return forge.finish(pdf)


def _run(tool: str, pdf: bytes, tmp_path: Path, *args: str) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
                          capture_output=True, text=True, check=False).stdout


@pytest.mark.parametrize("fixture", ["ruling", "agreement"])
def test_every_font_is_embedded(fixture: str, request: pytest.FixtureRequest,
                                tmp_path: Path) -> None:
    fonts = _run("pdffonts", request.getfixturevalue(fixture), tmp_path)
    rows = fonts.splitlines()[2:]
    assert rows and "Courier" not in fonts, fonts
    assert all(row.split()[-5] == "yes" for row in rows), fonts  # the "emb" column


@pytest.mark.parametrize(("fixture", "name", "role"),
                         [("ruling", JUDGE, "审判员"), ("agreement", MEDIATOR, "人民调解员")])
def test_the_stamp_draws_name_role_and_time(fixture: str, name: str, role: str,
                                            request: pytest.FixtureRequest,
                                            tmp_path: Path) -> None:
    text = "".join(_run("pdftotext", request.getfixturevalue(fixture), tmp_path).split())
    assert name in text and "Digitally" not in text
    assert f"{name}{role}" in text  # name over role in the stamp


@pytest.mark.parametrize("fixture", ["ruling", "agreement"])
def test_pdfsig_still_validates(fixture: str, request: pytest.FixtureRequest,
                                tmp_path: Path) -> None:
    out = _run("pdfsig", request.getfixturevalue(fixture), tmp_path)
    signatures = [b for b in out.split("Signature #")[1:] if "ETSI.CAdES.detached" in b]
    assert signatures and all("Signature is Valid" in b for b in signatures), out


def test_a_long_hostile_name_still_stamps(forge: DocumentForge, tmp_path: Path) -> None:
    name = "王𪜀" + "名" * 198 + "\u202e%(ts)s"
    pdf = forge.render_and_seal(from_json("confirmation_ruling", sample("confirmation_ruling")))
    pdf = forge.sign_as(pdf, "judge", name, "审判员", user_id="judge-long")
    fonts = _run("pdffonts", pdf, tmp_path)
    assert "Courier" not in fonts and all(r.split()[-5] == "yes" for r in fonts.splitlines()[2:])
    report = forge.verify(forge.finish(pdf))
    assert all(s.intact and s.valid for s in report.signatures), report


def test_a_handwritten_signer_with_a_bidi_control_stays_bound_to_the_record(
        forge: DocumentForge) -> None:
    document = from_json("mediation_agreement", sample("mediation_agreement"))
    pdf = forge.render_and_seal(document)
    names = ["李\u202e明", "陈芳\udfff"]  # imported data from before the domain refused these
    for i, name in enumerate(names, 1):
        pdf = forge.sign_handwritten(pdf, f"party{i}", SignerIdentity(name, "申请人"),
                                     capture_json(i))
    report = forge.verify(forge.finish(pdf))
    parties = [s for s in report.signatures if s.field.startswith("party")]
    assert [s.signer for s in parties] == ["李明", "陈芳\ufffd"]
    assert all(s.record.bound and s.intact and s.valid for s in parties), report
