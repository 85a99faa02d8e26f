"""Evidence packages as media builds and checks them: a BagIt bag of the recording, with
SHA-256 per file, and the court's signature over the tag manifest checked by an injected
verifier. media never imports docforge, so here the signer is an HMAC stand-in (the real
one, docforge's seal, is in test_evidence_integrity.py); the hearing archive's RFC 3161
token comes from pyHanko's `DummyTimeStamper`, a real TSA for development.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import hmac
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from asn1crypto import algos, keys, tsp, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from media import cli
from media.evidence import (
    SignatureVerdict,
    build_package,
    build_package_sync,
    token_imprint,
    verify_package,
)
from media.manifest import Manifest
from media.participant import ParticipantInfo
from tests.integration.media.streams import remux_as_segments

HMAC_KEY = b"test-only-court-key"


def hmac_sign(data: bytes) -> bytes:
    return hmac.new(HMAC_KEY, data, hashlib.sha256).digest()


def hmac_verify(data: bytes, signature: bytes) -> SignatureVerdict:
    if hmac.compare_digest(hmac_sign(data), signature):
        return SignatureVerdict(True, "test court", "2026-11-22T10:00:00+00:00")
    return SignatureVerdict(False, problems=("HMAC mismatch",))


def dummy_tsa() -> DummyTimeStamper:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "yunting test TSA (not valid)")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        cx509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(cx509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(cx509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    return DummyTimeStamper(
        x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
    )


def rfc3161_timestamp(digest: bytes) -> bytes:
    request = tsp.TimeStampReq({
        "version": 1,
        "message_imprint": {"hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}), "hashed_message": digest},
        "cert_req": True,
    })
    return bytes(dummy_tsa().request_tsa_response(request)["time_stamp_token"].dump())


@pytest.fixture(scope="module")
def hearing(tmp_path_factory: pytest.TempPathFactory, source_webm: Path) -> Path:
    archive = tmp_path_factory.mktemp("archive")
    for n, pid in enumerate(("judge", "party")):
        remux_as_segments(source_webm, archive, ParticipantInfo("h1", pid), start_wall=1_790_000_000.0 + n,
                          seconds=4, segment_seconds=2)
    (archive / "h1" / "composite.mp4").write_bytes(b"stand-in composite")
    return archive / "h1"


@pytest.fixture
def extras(tmp_path: Path) -> tuple[Path, Path]:
    document = tmp_path / "hearing-record.pdf"
    document.write_bytes(b"%PDF-1.7 stand-in signed record")
    audit = tmp_path / "audit-extract.jsonl"
    audit.write_text('{"event": "recording_started"}\n')
    return document, audit


async def test_a_signed_bag_verifies_and_describes_every_file(
        hearing: Path, tmp_path: Path, extras: tuple[Path, Path]) -> None:
    package = await build_package(hearing, tmp_path / "pkg", hearing_id="h1", sign=hmac_sign,
                                  audit_extract=[extras[1]])
    report = verify_package(package, verify_signature=hmac_verify)
    assert report.ok, report
    assert report.layout == "bagit" and report.signature == "valid" and report.signer == "test court"
    assert report.timestamp == "2026-11-22T10:00:00+00:00"
    manifest = Manifest.from_bytes((package / "yunting-manifest.json").read_bytes())
    assert {"segment", "sidecar", "composite", "audit"} <= {e.kind for e in manifest.entries}
    segment = next(e for e in manifest.entries if e.kind == "segment")
    assert segment.participant_id in ("judge", "party") and segment.duration and segment.duration > 1
    listed = (package / "manifest-sha256.txt").read_text().splitlines()
    assert f"{segment.sha256}  data/{segment.path}" in listed
    oxum = f"{sum(e.size for e in manifest.entries)}.{len(manifest.entries)}"
    assert f"Payload-Oxum: {oxum}" in (package / "bag-info.txt").read_text()
    assert "External-Identifier: h1" in (package / "bag-info.txt").read_text()


async def test_without_a_signer_or_verifier_a_package_never_verifies(
        hearing: Path, tmp_path: Path, extras: tuple[Path, Path]) -> None:
    unsigned = await build_package(hearing, tmp_path / "unsigned", hearing_id="h1",
                                   timestamp=rfc3161_timestamp, audit_extract=[extras[1]])
    report = verify_package(unsigned, verify_signature=hmac_verify)
    assert not report.altered and not report.missing and not report.unexpected
    assert not report.ok and report.signature == "missing: the court did not sign this package"
    token = (unsigned / "tagmanifest-sha256.txt.tsr").read_bytes()
    assert token_imprint(token) == hashlib.sha256((unsigned / "tagmanifest-sha256.txt").read_bytes()).digest()

    signed = await build_package(hearing, tmp_path / "signed", hearing_id="h1", sign=hmac_sign)
    report = verify_package(signed)  # no verifier handed in: unchecked is not OK
    assert not report.ok and report.signature.startswith("unchecked")
    assert "court signature: unchecked" in report.problems()[0]


async def test_tampered_segment_is_named(hearing: Path, tmp_path: Path) -> None:
    package = await build_package(hearing, tmp_path / "pkg", hearing_id="h1", sign=hmac_sign)
    assert verify_package(package, verify_signature=hmac_verify).ok
    victim = package / "data" / "recordings" / "party" / "seg-00002.mkv"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    (package / "data" / "recordings" / "judge" / "seg-00001.json").unlink()
    (package / "data" / "recordings" / "planted.mkv").write_bytes(b"x")
    (package / "notes.txt").write_text("planted tag file")
    report = verify_package(package, verify_signature=hmac_verify)
    assert not report.ok
    assert report.altered == ["data/recordings/party/seg-00002.mkv"]
    assert report.missing == ["data/recordings/judge/seg-00001.json"]
    assert report.unexpected == ["data/recordings/planted.mkv", "notes.txt"]
    assert report.signature == "valid"  # the signed tag manifest is intact; the payload is not


async def test_zip_package_and_forged_manifests(hearing: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    package = await build_package(hearing, tmp_path / "pkg.zip", hearing_id="h1", sign=hmac_sign,
                                  as_zip=True)
    assert verify_package(package, verify_signature=hmac_verify).ok
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["verify-package", str(package)])
    assert args.func(args) == 1  # on its own media checks hashes only, and never says OK
    out = capsys.readouterr().out
    assert "court signature: unchecked" in out and "FAILED" in out

    # Re-hash a changed file into both manifests: the files match, the signature does not.
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(forged, "w") as target:
        description = json.loads(source.read("yunting-manifest.json"))
        description["created_at"] += 3600
        body = json.dumps(description, sort_keys=True, separators=(",", ":")).encode()
        tags = source.read("tagmanifest-sha256.txt").decode().splitlines()
        tags = [f"{hashlib.sha256(body).hexdigest()}  yunting-manifest.json"
                if line.endswith("yunting-manifest.json") else line for line in tags]
        for name in source.namelist():
            replaced = {"yunting-manifest.json": body,
                        "tagmanifest-sha256.txt": ("\n".join(tags) + "\n").encode()}
            target.writestr(name, replaced.get(name, source.read(name)))
    report = verify_package(forged, verify_signature=hmac_verify)
    assert not report.altered and not report.missing
    assert report.signature == "invalid: HMAC mismatch" and not report.ok
    assert cli.print_report(report, as_json=True) == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False


async def test_documents_are_checked_against_their_records_and_a_verifier(hearing: Path, tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    good, other = folder / "ruling-1.pdf", folder / "agreement-2.pdf"
    good.write_bytes(b"%PDF-1.7 ruling")
    other.write_bytes(b"%PDF-1.7 agreement")
    index = folder / "index.json"
    index.write_text(json.dumps({"hearing_id": "h1", "documents": [
        {"file": good.name, "sha256": hashlib.sha256(good.read_bytes()).hexdigest()},
        # the record names other bytes than the file carried: a swapped document
        {"file": other.name, "sha256": hashlib.sha256(b"what was signed").hexdigest()},
    ]}))
    package = build_package_sync(hearing, tmp_path / "pkg", hearing_id="h1", sign=hmac_sign,
                                 documents=[good, other, index])
    report = verify_package(package, verify_signature=hmac_verify)
    assert report.documents == {"data/documents/agreement-2.pdf": "record_mismatch",
                                "data/documents/ruling-1.pdf": "unchecked"}
    assert not report.ok

    def verify_document(pdf: bytes) -> list[str] | None:
        return [] if b"ruling" in pdf else ["judge: signature does not validate"]

    (package / "data" / "documents" / "index.json").unlink()  # now only the manifest and the verifier judge
    report = verify_package(package, verify_document=verify_document, verify_signature=hmac_verify)
    assert report.documents == {"data/documents/agreement-2.pdf": "invalid: judge: signature does not validate",
                                "data/documents/ruling-1.pdf": "valid"}
    assert report.missing == ["data/documents/index.json"] and not report.ok
    report = verify_package(package, verify_document=lambda pdf: None, verify_signature=hmac_verify)
    assert report.documents["data/documents/ruling-1.pdf"] == "unchecked"


async def test_a_hearing_archive_passes_only_with_a_validated_token(hearing: Path, tmp_path: Path) -> None:
    """The recording's own directory (manifest.json + manifest.tsr, as the recording driver
    seals it) is the server's to check, against its TSA."""
    archive = tmp_path / "h1"
    shutil.copytree(hearing, archive)
    files = sorted(p for p in archive.rglob("*") if p.is_file())
    body = Manifest.build("h1", archive, files).to_bytes()
    (archive / "manifest.json").write_bytes(body)
    (archive / "manifest.tsr").write_bytes(rfc3161_timestamp(hashlib.sha256(body).digest()))
    report = verify_package(archive)
    assert report.layout == "archive" and report.timestamp == "imprint_ok" and not report.ok
    assert verify_package(archive, lambda digest, token: token_imprint(token) == digest).ok
    (archive / "manifest.tsr").write_bytes(b"garbage")
    report = verify_package(archive)
    assert report.timestamp == "unchecked" and not report.ok
