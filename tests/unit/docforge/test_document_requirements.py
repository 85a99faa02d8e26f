"""A document is valid only with the court seal and the signatures its kind requires: a PDF
rendered without the seal and given a document timestamp has one valid "signature", and
must still fail (docforge/required.py; docs/docforge.md "What a valid document carries")."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from docforge.biometric import SignerIdentity
from docforge.forge import DocumentForge
from docforge.pdf import render_pdf
from docforge.required import ACCESS_LOG, EFILE, REQUIRED, SERVICE_PROOF, document_kind
from docforge.samples import sample
from docforge.schema import from_json
from docforge.trust import TrustRoots, fingerprint, installed_trust
from tests.conftest import unavailable
from tests.unit.docforge.conftest import WEASYPRINT_FILTERS, capture_json

pytestmark = WEASYPRINT_FILTERS


@pytest.fixture(scope="module")
def application(forge: DocumentForge) -> bytes:
    """A confirmation application as the court finishes it: sealed, every party on the pad."""
    document = from_json("confirmation_application", sample("confirmation_application"))
    pdf = forge.render_and_seal(document)
    for i, party in enumerate(document.parties, 1):  # type: ignore[attr-defined]
        pdf = forge.sign_handwritten(pdf, f"party{i}", SignerIdentity(party.name, party.role),
                                     capture_json(i))
    return forge.finish(pdf)


@pytest.fixture(scope="module")
def unsealed_ruling(forge: DocumentForge) -> bytes:
    """What the forger made: `docs render` without `--sign`, then a document timestamp."""
    document = from_json("confirmation_ruling", sample("confirmation_ruling"))
    return forge.finish(render_pdf(document).data)


def test_an_unsealed_but_timestamped_ruling_is_invalid_naming_the_seal(
        forge: DocumentForge, unsealed_ruling: bytes) -> None:
    report = forge.verify(unsealed_ruling)
    assert [s.kind for s in report.signatures] == ["timestamp"]
    assert all(s.ok for s in report.signatures)  # the timestamp itself is genuine
    assert not report.ok
    assert any("no court seal" in p for p in report.problems), report.problems
    assert "no court seal" in report.text()


def test_a_sealed_document_lacking_its_signers_is_invalid(forge: DocumentForge) -> None:
    sealed = forge.finish(forge.render_and_seal(
        from_json("confirmation_ruling", sample("confirmation_ruling"))))
    report = forge.verify(sealed)
    assert report.kind == "confirmation_ruling" and not report.ok
    assert "missing the judge signature a confirmation_ruling requires" in report.problems


def test_an_honest_application_verifies_with_its_kind(forge: DocumentForge,
                                                      application: bytes) -> None:
    report = forge.verify(application)
    assert report.ok, report.text()
    assert report.kind == "confirmation_application"
    assert report.as_json()["kind"] == "confirmation_application"


def test_pdfsig_validates_the_honest_application(application: bytes, tmp_path: Path) -> None:
    if shutil.which("pdfsig") is None:
        unavailable("pdfsig", "poppler-utils is not installed")
    path = tmp_path / "application.pdf"
    path.write_bytes(application)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True,
                         check=False).stdout
    signatures = [b for b in out.split("Signature #")[1:] if "ETSI.CAdES.detached" in b]
    assert len(signatures) == 1 + len(sample("confirmation_application")["parties"]), out
    assert all("Signature is Valid" in b for b in signatures), out


def test_trust_is_exactly_what_is_given(forge: DocumentForge, application: bytes,
                                        tmp_path: Path) -> None:
    from docforge.verify import verify_pdf_trusting

    installed = installed_trust(forge.config)
    assert verify_pdf_trusting(application, installed).ok
    nothing = verify_pdf_trusting(application, TrustRoots())
    assert not nothing.ok and "no trust roots" in nothing.problems[0]
    pinned = verify_pdf_trusting(application, TrustRoots(), [fingerprint(installed.roots[0])])
    assert pinned.ok, pinned.text()
    stranger = DocumentForge(type(forge.config)(pki_dir=tmp_path / "other")).source
    wrong = TrustRoots(tuple(stranger.trust_roots()), (), ("--trust other.pem",))
    report = verify_pdf_trusting(application, wrong)
    assert not report.ok and all(not s.trusted for s in report.signatures)
    assert not verify_pdf_trusting(application, TrustRoots(), ["ab" * 32]).ok


@pytest.mark.parametrize(("title", "kind"), [
    ("民事裁定书 (2026)渝0112民特123号", "confirmation_ruling"),
    ("Civil Ruling (2026)渝0112民特123号", "confirmation_ruling"),
    ("调解协议书 x", "mediation_agreement"),
    ("讯问笔录 x", "interrogation_record"),
    ("认罪认罚具结书 x", "plea_statement"),
    ("电子卷宗 (2026)渝0112民特123号", EFILE),
    ("访问日志 重庆市渝北区人民法院", ACCESS_LOG),
    ("电子送达回证 (2026)渝0112民初7号", SERVICE_PROOF),
    ("送达回证 (2026)渝0112民初7号", "proof_of_service"),
    ("民事裁定书", None),  # no case number: not a title docforge wrote
    ("起诉状 x", None),
    ("", None),
])
def test_the_kind_comes_from_the_sealed_title(title: str, kind: str | None) -> None:
    assert document_kind(title) == kind


def test_every_kind_has_a_requirement() -> None:
    from docforge.viewmodels import FROM_HEARINGS, KINDS

    assert set(KINDS) | set(FROM_HEARINGS) | {EFILE, ACCESS_LOG, SERVICE_PROOF} == set(REQUIRED)
    assert REQUIRED["confirmation_ruling"].describe() == "court seal, judge"
