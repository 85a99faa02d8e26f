"""Evidence packages are signed by the court and `yunting verify` fails closed.

The attack of issue 11: replace a segment and the audit extract, recompute the manifests,
get a fresh timestamp — a timestamp proves when, not who, so the package must carry the
court's signature over its BagIt tag manifest, checked against roots the verifier names.
Real pieces throughout: VP8/Opus segments, the development PKI and TSA, pyHanko, and the
tools a third party would use (`sha256sum`, `openssl cms`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from docforge.biometric import SignerIdentity
from docforge.config import DocforgeConfig
from docforge.detached import sign_detached
from docforge.forge import DocumentForge
from docforge.samples import sample
from docforge.schema import from_json
from docforge.trust import fingerprint
from media.evidence import build_package_sync, verify_package
from media.manifest import Manifest
from media.participant import ParticipantInfo
from tests.conftest import unavailable
from tests.integration.media.streams import remux_as_segments
from tests.unit.docforge.conftest import WEASYPRINT_FILTERS, capture_json
from web.app import cli
from web.app.wiring import docforge_config
from web.settings import Settings

pytestmark = WEASYPRINT_FILTERS

Verify = Callable[..., tuple[int, str]]


@pytest.fixture(scope="module")
def court(tmp_path_factory: pytest.TempPathFactory) -> DocumentForge:
    """The court's installation: its data directory holds the development PKI."""
    data_dir = tmp_path_factory.mktemp("court")
    return DocumentForge(docforge_config(Settings(data_dir=data_dir)))


@pytest.fixture(scope="module")
def hearing(tmp_path_factory: pytest.TempPathFactory, source_webm: Path) -> Path:
    archive = tmp_path_factory.mktemp("archive")
    for n, pid in enumerate(("judge", "party")):
        remux_as_segments(source_webm, archive, ParticipantInfo("h1", pid),
                          start_wall=1_790_000_000.0 + n, seconds=4, segment_seconds=2)
    (archive / "h1" / "composite.mp4").write_bytes(b"stand-in composite")
    return archive / "h1"


@pytest.fixture(scope="module")
def application(court: DocumentForge, tmp_path_factory: pytest.TempPathFactory) -> Path:
    document = from_json("confirmation_application", sample("confirmation_application"))
    pdf = court.render_and_seal(document)
    for i, party in enumerate(document.parties, 1):  # type: ignore[attr-defined]
        pdf = court.sign_handwritten(pdf, f"party{i}", SignerIdentity(party.name, party.role),
                                     capture_json(i))
    path = tmp_path_factory.mktemp("docs") / "confirmation_application-d1.pdf"
    path.write_bytes(court.finish(pdf))
    return path


@pytest.fixture(scope="module")
def honest(court: DocumentForge, hearing: Path, application: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Path:
    audit = tmp_path_factory.mktemp("audit") / "audit-extract.json"
    audit.write_text(json.dumps({"hearing_id": "h1", "entries": [{"action": "recording.finish"}]}))
    return build_package_sync(
        hearing, tmp_path_factory.mktemp("pkg") / "evidence", hearing_id="h1",
        sign=lambda tags: sign_detached(tags, court.source), documents=[application],
        audit_extract=[audit])


@pytest.fixture(scope="module")
def court_root(court: DocumentForge, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the court hands the defence: its root certificate, nothing else."""
    path = tmp_path_factory.mktemp("handed") / "court-root.pem"
    shutil.copy(court.config.pki_dir / "root.pem", path)
    return path


@pytest.fixture(scope="module")
def forger(tmp_path_factory: pytest.TempPathFactory) -> DocumentForge:
    """Someone with a PKI and a TSA of their own (any machine can make one)."""
    return DocumentForge(DocforgeConfig(pki_dir=tmp_path_factory.mktemp("forger")))


@pytest.fixture
def verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> Verify:
    """`yunting verify` on a machine whose data directory is `data_dir` (default: empty)."""
    monkeypatch.chdir(tmp_path)

    def run(*argv: str, data_dir: Path | None = None) -> tuple[int, str]:
        empty = tmp_path / "no-yunting-here"
        empty.mkdir(exist_ok=True)
        monkeypatch.setenv("YUNTING_DATA_DIR", str(data_dir or empty))
        code = cli.main(["verify", *argv])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err, captured.err
        return code, captured.out + captured.err

    return run


def court_data_dir(court: DocumentForge) -> Path:
    return court.config.pki_dir.parent


def forge_contents(package: Path, hearing: Path) -> None:
    """Replace a segment and the audit extract, then recompute every manifest."""
    segment = package / "data" / "recordings" / "party" / "seg-00002.mkv"
    segment.write_bytes((hearing / "judge" / "seg-00001.mkv").read_bytes())
    (package / "data" / "audit" / "audit-extract.json").write_text('{"entries": []}')
    files = sorted(p for p in (package / "data").rglob("*") if p.is_file())
    (package / "yunting-manifest.json").write_bytes(
        Manifest.build("h1", package / "data", files).to_bytes())
    payload = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  "
                      f"{p.relative_to(package).as_posix()}\n" for p in files)
    (package / "manifest-sha256.txt").write_text(payload)
    octets = sum(p.stat().st_size for p in files)
    info = (package / "bag-info.txt").read_text()
    info = "\n".join(f"Payload-Oxum: {octets}.{len(files)}" if line.startswith("Payload-Oxum")
                     else line for line in info.splitlines()) + "\n"
    (package / "bag-info.txt").write_text(info)
    tags = "".join(f"{hashlib.sha256((package / n).read_bytes()).hexdigest()}  {n}\n"
                   for n in sorted(("bagit.txt", "bag-info.txt", "manifest-sha256.txt",
                                    "yunting-manifest.json")))
    (package / "tagmanifest-sha256.txt").write_text(tags)


def copy(package: Path, tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(package, tmp_path / name))


def test_an_honest_package_verifies_given_only_the_court_root(
        honest: Path, court_root: Path, court: DocumentForge, verify: Verify) -> None:
    code, out = verify(str(honest), "--trust", str(court_root))
    assert code == 0, out
    assert "OK: package verifies" in out
    assert "court signature by 法院电子印章 court seal（开发用）: valid" in out
    assert "document data/documents/confirmation_application-d1.pdf: valid" in out
    root = court.source.trust_roots()[0]
    assert f"trust root: 云庭开发根证书 yunting dev root（开发用） (SHA-256 {fingerprint(root)}) " \
           f"from --trust {court_root}" in out

    code, out = verify(str(honest), "--trust-fingerprint", fingerprint(root).upper(), "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"], report
    assert report["layout"] == "bagit" and report["signature"] == "valid"
    assert report["timestamp"].startswith("20")  # the signature timestamp's time
    assert report["trust_roots"] == [f"pinned SHA-256 {fingerprint(root)}, looked for among "
                                      "the certificates the evidence carries"]

    code, out = verify(str(honest), data_dir=court_data_dir(court))  # the court's own machine
    assert code == 0 and "from this installation" in out, out


def test_without_trust_roots_nothing_verifies(honest: Path, verify: Verify) -> None:
    code, out = verify(str(honest))
    assert code == 1, out
    assert "court signature: invalid: no trust roots" in out
    assert "trust root: none: pass --trust" in out and "FAILED" in out
    report = verify_package(honest)  # no verifiers at all: hashes match, still not OK
    assert not report.altered and not report.missing
    assert not report.ok and report.signature.startswith("unchecked")
    assert set(report.documents.values()) == {"unchecked"}


def test_a_wrong_trust_root_is_named(honest: Path, forger: DocumentForge, tmp_path: Path,
                                     verify: Verify) -> None:
    wrong = fingerprint(forger.source.trust_roots()[0])  # (creates the forger's PKI)
    stranger = tmp_path / "stranger-root.pem"
    shutil.copy(forger.config.pki_dir / "root.pem", stranger)
    code, out = verify(str(honest), "--trust", str(stranger))
    assert code == 1, out
    assert f"(SHA-256 {wrong}) from --trust {stranger}" in out
    assert "does not chain to a trusted root" in out
    code, out = verify(str(honest), "--trust-fingerprint", "ab" * 32)
    assert code == 1, out
    assert f"no certificate the evidence carries has the pinned fingerprint {'ab' * 32}" in out


@pytest.mark.parametrize("signature", ["kept", "forger's own", "fresh court timestamp"])
def test_a_forged_package_is_invalid_naming_the_reason(
        signature: str, honest: Path, hearing: Path, court: DocumentForge,
        forger: DocumentForge, tmp_path: Path, verify: Verify) -> None:
    forged = copy(honest, tmp_path, "forged")
    forge_contents(forged, hearing)
    tags = (forged / "tagmanifest-sha256.txt").read_bytes()
    p7s = forged / "tagmanifest-sha256.txt.p7s"
    if signature == "forger's own":
        p7s.write_bytes(sign_detached(tags, forger.source))
        reason = "does not chain to a trusted root"
    elif signature == "fresh court timestamp":  # what POST /api/tsa used to hand anyone
        p7s.unlink()
        (forged / "tagmanifest-sha256.txt.tsr").write_bytes(
            court.timestamp_digest(hashlib.sha256(tags).digest()))
        reason = "court signature: missing: the court did not sign this package"
    else:
        reason = "the signed bytes were changed (digest mismatch)"
    report = verify_package(forged)
    assert not report.altered and not report.missing and not report.errors  # hashes agree
    code, out = verify(str(forged), data_dir=court_data_dir(court))  # the court's own trust
    assert code == 1, out
    assert reason in out and "FAILED: package does not verify" in out


def test_the_old_layout_forged_with_a_fresh_timestamp_fails(
        hearing: Path, court: DocumentForge, tmp_path: Path, verify: Verify) -> None:
    """The package format before BagIt: manifest.json + manifest.tsr and nothing signed."""
    package = tmp_path / "old"
    shutil.copytree(hearing, package / "recordings")
    files = sorted(p for p in package.rglob("*") if p.is_file())
    body = Manifest.build("h1", package, files).to_bytes()
    (package / "manifest.json").write_bytes(body)
    (package / "manifest.tsr").write_bytes(court.timestamp_digest(hashlib.sha256(body).digest()))
    code, out = verify(str(package), data_dir=court_data_dir(court))
    assert code == 1, out
    assert "an evidence package needs the court's signature" in out

    (package / "manifest.tsr").write_bytes(b"garbage, not a token")
    code, out = verify(str(package))  # and on a machine with no yunting data directory
    assert code == 1 and "timestamp token: unchecked" in out, out


def test_a_garbage_signature_is_invalid(honest: Path, court_root: Path, tmp_path: Path,
                                        verify: Verify) -> None:
    broken = copy(honest, tmp_path, "garbage")
    (broken / "tagmanifest-sha256.txt.p7s").write_bytes(b"\x30\x03garbage")
    code, out = verify(str(broken), "--trust", str(court_root))
    assert code == 1 and "court signature: invalid: not a CMS signature" in out, out


def test_others_check_the_bag_with_their_own_tools(honest: Path, court_root: Path,
                                                   hearing: Path, tmp_path: Path) -> None:
    for tool in ("sha256sum", "openssl"):
        if shutil.which(tool) is None:
            unavailable(tool, "not installed")
    for manifest in ("manifest-sha256.txt", "tagmanifest-sha256.txt"):
        check = subprocess.run(["sha256sum", "--strict", "-c", manifest], cwd=honest,
                               capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
    assert (honest / "bagit.txt").read_text() == ("BagIt-Version: 1.0\n"
                                                  "Tag-File-Character-Encoding: UTF-8\n")

    def openssl_verify(package: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["openssl", "cms", "-verify", "-binary", "-inform", "DER",
             "-in", str(package / "tagmanifest-sha256.txt.p7s"),
             "-content", str(package / "tagmanifest-sha256.txt"),
             "-CAfile", str(court_root), "-purpose", "any", "-out", "/dev/null"],
            capture_output=True, text=True, check=False)

    good = openssl_verify(honest)
    assert good.returncode == 0 and "Verification successful" in good.stderr, good.stderr
    forged = copy(honest, tmp_path, "forged")
    forge_contents(forged, hearing)
    assert openssl_verify(forged).returncode != 0


def test_yunting_verify_a_pdf_with_only_the_court_root(
        application: Path, court: DocumentForge, court_root: Path, tmp_path: Path,
        verify: Verify) -> None:
    code, out = verify(str(application), "--trust", str(court_root))
    assert code == 0 and "通过 OK" in out and "confirmation_application" in out, out
    assert "信任根 Trust root: 云庭开发根证书 yunting dev root（开发用） (SHA-256 " in out
    code, out = verify(str(application))
    assert code == 1 and "no trust roots" in out, out

    from docforge.pdf import render_pdf

    ruling = from_json("confirmation_ruling", sample("confirmation_ruling"))
    unsealed = tmp_path / "unsealed.pdf"  # `docs render` without --sign, then a timestamp
    unsealed.write_bytes(court.finish(render_pdf(ruling).data))
    code, out = verify(str(unsealed), "--json", data_dir=court_data_dir(court))
    report = json.loads(out)
    assert code == 1 and not report["ok"], report
    assert report["problems"][0].startswith("no court seal: the first signature must be the "
                                            "court's certification in field 'court_seal'")
