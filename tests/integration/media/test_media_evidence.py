"""Evidence packages: manifest with SHA-256 per file, timestamp token, offline verification.

Two timestamp sources: pyHanko's `DummyTimeStamper` (a real RFC 3161 TSA for development,
since docforge's TSA belongs to another package) and a fake returning HMAC bytes.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import hmac
import json
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
from media.evidence import build_package, token_imprint, verify_package
from media.manifest import Manifest
from media.participant import ParticipantInfo
from tests.integration.media.streams import remux_as_segments

HMAC_KEY = b"test-only-tsa-key"


def hmac_timestamp(digest: bytes) -> bytes:
    return hmac.new(HMAC_KEY, digest, hashlib.sha256).digest()


def hmac_verify(digest: bytes, token: bytes) -> bool:
    return hmac.compare_digest(hmac_timestamp(digest), token)


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


async def test_package_verifies_with_a_real_rfc3161_token(hearing: Path, tmp_path: Path, extras: tuple[Path, Path]) -> None:
    package = await build_package(hearing, tmp_path / "pkg", hearing_id="h1", timestamp=rfc3161_timestamp,
                                  documents=[extras[0]], audit_extract=[extras[1]])
    report = verify_package(package)
    assert report.ok, report
    assert report.timestamp == "imprint_ok"
    manifest = Manifest.from_bytes((package / "manifest.json").read_bytes())
    kinds = {e.kind for e in manifest.entries}
    assert {"segment", "sidecar", "composite", "document", "audit"} <= kinds
    segment = next(e for e in manifest.entries if e.kind == "segment")
    assert segment.participant_id in ("judge", "party") and segment.duration and segment.duration > 1
    assert token_imprint((package / "manifest.tsr").read_bytes()) == hashlib.sha256(
        (package / "manifest.json").read_bytes()).digest()


async def test_tampered_segment_is_named(hearing: Path, tmp_path: Path) -> None:
    package = await build_package(hearing, tmp_path / "pkg", hearing_id="h1", timestamp=hmac_timestamp)
    assert verify_package(package, hmac_verify).ok
    victim = package / "recordings" / "party" / "seg-00002.mkv"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    (package / "recordings" / "judge" / "seg-00001.json").unlink()
    (package / "recordings" / "planted.mkv").write_bytes(b"x")
    report = verify_package(package, hmac_verify)
    assert not report.ok
    assert report.altered == ["recordings/party/seg-00002.mkv"]
    assert report.missing == ["recordings/judge/seg-00001.json"]
    assert report.unexpected == ["recordings/planted.mkv"]
    assert report.timestamp == "valid"


async def test_zip_package_and_forged_manifest(hearing: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = await build_package(hearing, tmp_path / "pkg.zip", hearing_id="h1", timestamp=rfc3161_timestamp,
                                  as_zip=True)
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["verify-package", str(package)])
    assert args.func(args) == 0
    assert "OK: package verifies" in capsys.readouterr().out

    # Re-hash a changed file into the manifest: the files match, the timestamp no longer does.
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(forged, "w") as target:
        manifest = json.loads(source.read("manifest.json"))
        manifest["created_at"] += 3600
        for name in source.namelist():
            body = source.read(name)
            target.writestr(name, json.dumps(manifest, sort_keys=True, separators=(",", ":")) if name == "manifest.json" else body)
    args = parser.parse_args(["verify-package", str(forged), "--json"])
    assert args.func(args) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["timestamp"] == "imprint_mismatch" and report["ok"] is False


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
    package = await build_package(hearing, tmp_path / "pkg", hearing_id="h1", timestamp=hmac_timestamp,
                                  documents=[good, other, index])
    report = verify_package(package, hmac_verify)
    assert report.documents == {"documents/agreement-2.pdf": "record_mismatch",
                                "documents/ruling-1.pdf": "hash_ok"}
    assert not report.ok and report.document_problems == ["documents/agreement-2.pdf: record_mismatch"]

    def verify_document(pdf: bytes) -> list[str] | None:
        return [] if b"ruling" in pdf else ["judge: signature does not validate"]

    (package / "documents" / "index.json").unlink()  # now only the manifest and the verifier judge
    report = verify_package(package, hmac_verify, verify_document)
    assert report.documents == {"documents/agreement-2.pdf": "invalid: judge: signature does not validate",
                                "documents/ruling-1.pdf": "valid"}
    assert report.missing == ["documents/index.json"] and not report.ok
    assert verify_package(package, hmac_verify, lambda pdf: None).documents["documents/ruling-1.pdf"] == "unchecked"
