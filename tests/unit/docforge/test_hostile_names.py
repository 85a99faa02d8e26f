"""Names a court can enter (up to the domain's 200 characters, 4-byte CJK Extension characters,
bidi controls, right-to-left scripts) must never stop a certificate or a signature: the
certificate carries a form X.509 libraries accept, the document keeps the exact name."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.x509.oid import NameOID

from docforge.forge import DocumentForge
from docforge.pki import DevPKI, init_dev_pki
from docforge.samples import sample
from docforge.schema import from_json
from tests.unit.docforge.conftest import WEASYPRINT_FILTERS

pytestmark = WEASYPRINT_FILTERS

ROLE = "申请人（当场口头申请，由人民调解员代为提交）"  # 66 bytes: over the OU's 64
NAMES = {
    "18 CJK": "王" * 18,
    "Extension C": "王𪜀",
    "200 CJK": "王" * 200,
    "200 Extension B": "𠀀" * 200,
    "200 Extension C": "𪜀" * 200,
    "bidi override": "王\u202e明",
    "Hebrew and Han": "אבג王",
    "Arabic only": "محمد",
    "private use": "王\ue000",
    "lone surrogate": "王\udfff",
    "controls": "王\x00\x1b明",
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPKI:
    return init_dev_pki(tmp_path_factory.mktemp("pki"))


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_person_certificate_for_any_name(pki: DevPKI, name: str) -> None:
    credential = pki.issue_person_cert(f"user-{len(name)}-{hash(name)}", ROLE, name)
    subject = credential.asn1_cert.subject
    assert subject.hashable  # asn1crypto's RFC 4518 preparation accepts every attribute
    for attribute in credential.cert.subject:
        assert len(str(attribute.value).encode()) <= 64, attribute
    assert credential.common_name.endswith("（开发用）")
    serial = credential.cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    exact = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()
    assert [a.value for a in serial] == [exact]


def test_short_names_stay_readable_in_the_certificate(pki: DevPKI) -> None:
    def common_name(name: str) -> str:
        return pki.issue_person_cert(f"readable-{name}", ROLE, name).common_name

    assert common_name("李明") == "李明（开发用）"
    assert common_name("王𪜀") == "王□（开发用）"  # newer than asn1crypto's Unicode 3.2
    assert common_name("王" * 200) == "王" * 15 + "…（开发用）"


def test_two_names_sharing_a_prefix_get_different_certificates(pki: DevPKI) -> None:
    a = pki.issue_person_cert("prefix-a", ROLE, "王" * 100 + "甲")
    b = pki.issue_person_cert("prefix-b", ROLE, "王" * 100 + "乙")
    assert a.common_name == b.common_name
    assert a.cert.subject != b.cert.subject


@pytest.mark.parametrize("name", ["王" * 18, "王𪜀", "𪜀" * 200])
def test_sign_as_with_a_hostile_name_verifies(forge: DocumentForge, name: str,
                                             tmp_path: Path) -> None:
    data = sample("confirmation_application")
    data["parties"][0]["name"] = name
    pdf = forge.render_and_seal(from_json("confirmation_application", data))
    pdf = forge.sign_as(pdf, "party1", name, ROLE, user_id=f"participant:{hash(name)}")
    pdf = forge.sign_as(pdf, "party2", data["parties"][1]["name"], ROLE, user_id="participant:2")
    report = forge.verify(forge.finish(pdf))
    assert all(s.intact and s.valid and s.trusted for s in report.signatures), report
    assert [s.signer for s in report.signatures if s.field == "party1"] == [name]


def test_subject_names_parse_in_asn1crypto(pki: DevPKI) -> None:
    # The root, seal, service and TSA subjects (issuers of everything) stay valid too.
    for credential in (pki.root, pki.seal, pki.service, pki.tsa):
        assert asn1_x509.Certificate.load(credential.asn1_cert.dump()).subject.hashable
