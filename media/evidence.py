"""Evidence packages: a BagIt bag (RFC 8493) whose tag manifest the court signs, verifiable
offline by yunting and by anyone's own tools (``sha256sum -c``, ``openssl cms -verify``).

    bagit.txt, bag-info.txt          BagIt 1.0; hearing id, bagging date, Payload-Oxum
    manifest-sha256.txt              SHA-256 of every payload file under data/
    yunting-manifest.json            each payload file's kind, participant, duration, size
    tagmanifest-sha256.txt           SHA-256 of the four files above
    tagmanifest-sha256.txt.p7s       the court's detached CMS signature over the tag manifest,
                                     with its signature timestamp, chain, roots and CRLs
    data/recordings/<participant>/seg-00001.mkv, .json   as recorded
    data/recordings/composite.mp4, gaps.jsonl
    data/recordings/signatures.jsonl the documents signed while recording (media/marks.py):
                                     each must fall inside its signer's recorded track
    data/documents/                  signed PDFs handed in by the caller, and index.json:
                                     the caller's records of them (file, id, kind, state, sha256)
    data/audit/                      the audit-log extract handed in by the caller

A timestamp proves when, not who: anyone can hash forged files and have them timestamped,
so a package verifies only with a court signature that chains to a root the verifier
trusts. media never imports docforge: the web layer hands in the signer and the verifiers.

A hearing's own archive directory (``manifest.json`` + ``manifest.tsr``, written when the
recording is sealed) is checked by the same `verify_package`; it passes only when the
caller's RFC 3161 check says the token is valid (the server checking its own archive).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import shutil
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from media import bag
from media.errors import PackageError
from media.manifest import Manifest, Timestamper, sha256_file
from media.marks import MARKS, check_marks, read_marks

__all__ = [
    "DESCRIPTION", "DOCUMENT_INDEX", "MANIFEST", "SIGNATURE", "TOKEN", "ManifestSigner",
    "PackageReport", "SignatureVerdict", "SignatureVerifier", "build_package",
    "build_package_sync", "token_imprint", "verify_package",
]

MANIFEST = "manifest.json"  # a hearing's archive directory (and packages before BagIt)
TOKEN = "manifest.tsr"
DESCRIPTION = "yunting-manifest.json"
SIGNATURE = bag.TAG_MANIFEST + ".p7s"
UNSIGNED_TOKEN = bag.TAG_MANIFEST + ".tsr"  # a package built without a signer: fails
DOCUMENT_INDEX = "data/documents/index.json"
_DOCUMENTS = "data/documents/"
# (digest, token) → valid: e.g. docforge's full RFC 3161 validation, injected by the web layer.
TokenVerifier = Callable[[bytes, bytes], bool]
# (pdf bytes) → problems, [] when the document is valid (docforge, injected by web), or None
# when it cannot say (e.g. no trust roots): that is not valid either.
DocumentVerifier = Callable[[bytes], "list[str] | None"]
# tag manifest bytes → the court's detached signature over them (DER), e.g. docforge's seal.
ManifestSigner = Callable[[bytes], bytes]


@dataclass(frozen=True)
class SignatureVerdict:
    """What the injected verifier found about the court's signature on the tag manifest."""

    ok: bool
    signer: str = ""
    timestamp: str | None = None  # the signature timestamp's time (ISO 8601)
    problems: tuple[str, ...] = ()


# (tag manifest bytes, signature bytes) → verdict (docforge's CMS validation, via web)
SignatureVerifier = Callable[[bytes, bytes], SignatureVerdict]


def _copy_tree(hearing_dir: Path, target: Path) -> None:
    for source in sorted(hearing_dir.rglob("*")):
        if source.is_file() and not source.name.endswith(".tmp"):
            destination = target / "recordings" / source.relative_to(hearing_dir)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def _copy_into(files: Iterable[Path], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for source in files:
        if (target / source.name).exists():
            raise PackageError(f"two files named {source.name!r} for {target.name}/")
        shutil.copy2(source, target / source.name)


def _write_tags(tree: Path, manifest: Manifest) -> bytes:
    """bagit.txt, bag-info.txt, the payload manifest, the description, the tag manifest."""
    payload = [(f"{bag.PAYLOAD}{e.path}", e.sha256) for e in manifest.entries]
    oxum = bag.Oxum(sum(e.size for e in manifest.entries), len(manifest.entries))
    tags = {
        bag.BAGIT: bag.bagit_txt(),
        bag.BAG_INFO: bag.bag_info([
            ("Source-Organization", "yunting"),
            ("External-Identifier", manifest.hearing_id),
            ("External-Description", "yunting evidence package: hearing recording, "
                                     "signed documents, audit extract"),
            ("Bagging-Date", dt.date.today().isoformat()),
            ("Payload-Oxum", str(oxum)),
            ("Bag-Software-Agent", "yunting"),
        ]),
        bag.MANIFEST: bag.manifest_text(payload),
        DESCRIPTION: manifest.to_bytes(),
    }
    for name, body in tags.items():
        (tree / name).write_bytes(body)
    tag_manifest = bag.manifest_text((n, bag.sha256_hex(b)) for n, b in tags.items())
    (tree / bag.TAG_MANIFEST).write_bytes(tag_manifest)
    return tag_manifest


def build_package_sync(
    hearing_dir: Path, destination: Path, *, hearing_id: str,
    timestamp: Timestamper | None = None, sign: ManifestSigner | None = None,
    documents: Iterable[Path] = (), audit_extract: Iterable[Path] = (), as_zip: bool = False,
) -> Path:
    """Blocking: copies, hashes every file, signs the tag manifest. Prefer `build_package`.

    `sign` is the court's signer (docforge's seal, with its own signature timestamp). Without
    it the tag manifest is only timestamped (`timestamp`), and the package will not verify.
    """
    if not hearing_dir.is_dir():
        raise PackageError(f"no recordings at {hearing_dir}")
    if destination.exists():
        raise PackageError(f"{destination} already exists")
    tree = destination.with_name(destination.name + ".building") if as_zip else destination
    payload = tree / "data"
    payload.mkdir(parents=True)
    _copy_tree(hearing_dir, payload)
    _copy_into(documents, payload / "documents")
    _copy_into(audit_extract, payload / "audit")
    files = [p for p in sorted(payload.rglob("*")) if p.is_file()]
    tag_manifest = _write_tags(tree, Manifest.build(hearing_id, payload, files))
    if sign is not None:
        (tree / SIGNATURE).write_bytes(sign(tag_manifest))
    elif timestamp is not None:
        (tree / UNSIGNED_TOKEN).write_bytes(timestamp(hashlib.sha256(tag_manifest).digest()))
    if not as_zip:
        return destination
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tree).as_posix())
    shutil.rmtree(tree)
    return destination


async def build_package(
    hearing_dir: Path, destination: Path, *, hearing_id: str,
    timestamp: Timestamper | None = None, sign: ManifestSigner | None = None,
    documents: Iterable[Path] = (), audit_extract: Iterable[Path] = (), as_zip: bool = False,
) -> Path:
    """Build the package on a worker thread (copying and hashing hours of video blocks)."""
    return await asyncio.to_thread(
        build_package_sync, hearing_dir, destination, hearing_id=hearing_id, timestamp=timestamp,
        sign=sign, documents=list(documents), audit_extract=list(audit_extract), as_zip=as_zip,
    )


@dataclass
class PackageReport:
    path: str
    hearing_id: str | None = None
    layout: str = "unknown"  # bagit (an evidence package) | archive (a hearing's directory)
    files_checked: int = 0
    altered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    # the court's signature over the tag manifest: missing | unchecked | valid | invalid: …
    signature: str = "missing"
    signer: str | None = None
    # archive: missing | imprint_mismatch | imprint_ok | valid | invalid | unchecked;
    # bagit: the signature timestamp's time once the signature is valid, else "missing"
    timestamp: str = "missing"
    trust_roots: list[str] = field(default_factory=list)  # what the verifiers trusted, why
    errors: list[str] = field(default_factory=list)
    # data/documents/<file>.pdf → "valid" (bytes match manifest and record, and the document
    # verifies) or a problem: "altered", "missing", "record_mismatch" (not the bytes its
    # record names), "unchecked" (no verifier could say), "invalid: …"
    documents: dict[str, str] = field(default_factory=dict)
    # each document signed during the recording: signer, field, document, its time and
    # offsets in the signer's own track (media/marks.py); and what does not hold
    signatures: list[dict[str, object]] = field(default_factory=list)
    signature_problems: list[str] = field(default_factory=list)

    @property
    def document_problems(self) -> list[str]:
        return [f"{name}: {state}" for name, state in self.documents.items() if state != "valid"]

    @property
    def ok(self) -> bool:
        """Fail closed: only what was checked and found good passes."""
        if (self.altered or self.missing or self.unexpected or self.errors
                or self.document_problems or self.signature_problems):
            return False
        if self.layout == "bagit":
            return self.signature == "valid"
        return self.layout == "archive" and self.timestamp == "valid"

    def problems(self) -> list[str]:
        """Why the package does not verify, one line each (empty when it does)."""
        lines = [f"{label}: {name}" for label, names in (
            ("altered", self.altered), ("missing", self.missing),
            ("unexpected", self.unexpected), ("error", self.errors)) for name in names]
        lines += [f"document {p}" for p in self.document_problems]
        lines += self.signature_problems
        if self.layout == "bagit" and self.signature != "valid":
            lines.append(f"court signature: {self.signature}")
        if self.layout == "archive" and self.timestamp != "valid":
            lines.append(f"timestamp token: {self.timestamp} (a hearing archive passes only "
                         "with a validated token; an evidence package needs the court's "
                         "signature)")
        return lines


def token_imprint(token: bytes) -> bytes | None:
    """The hashed message inside an RFC 3161 token (ContentInfo or TimeStampResp), if parseable."""
    try:
        from asn1crypto import cms, tsp
    except ImportError:  # pragma: no cover - asn1crypto ships with pyHanko
        return None
    for loader in (lambda: tsp.TimeStampResp.load(token)["time_stamp_token"],
                   lambda: cms.ContentInfo.load(token)):
        try:
            info = loader()
            tst = info["content"]["encap_content_info"]["content"].parsed
            return bytes(tst["message_imprint"]["hashed_message"].native)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return None


class _Reader:
    """Uniform read access to a package directory or ZIP."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path) if path.is_file() else None

    def names(self) -> set[str]:
        if self.zip is not None:
            return {n for n in self.zip.namelist() if not n.endswith("/")}
        return {p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()}

    def read(self, name: str) -> bytes:
        if self.zip is not None:
            return self.zip.read(name)
        return (self.path / name).read_bytes()

    def digest(self, name: str) -> tuple[str, int]:
        if self.zip is None:
            file = self.path / name
            return sha256_file(file), file.stat().st_size
        digest, size = hashlib.sha256(), 0
        with self.zip.open(name) as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size


def verify_package(path: Path, verify_token: TokenVerifier | None = None,
                   verify_document: DocumentVerifier | None = None, *,
                   verify_signature: SignatureVerifier | None = None,
                   trust_roots: Sequence[str] = ()) -> PackageReport:
    """Check a package (or a hearing's archive directory) offline; the report names every
    altered, missing or unexpected file, every signed document that does not hold, and
    what became of the court's signature. `trust_roots` describes what the verifiers trust
    (printed with the verdict)."""
    report = PackageReport(str(path), trust_roots=list(trust_roots))
    try:
        reader = _Reader(path)
        names = reader.names()
        if bag.BAGIT in names:
            report.layout = "bagit"
            _verify_bag(reader, names, report, verify_signature)
        elif MANIFEST in names:
            report.layout = "archive"
            _verify_archive(reader, names, report, verify_token)
        else:
            raise PackageError(f"neither an evidence package ({bag.BAGIT}) nor a sealed "
                               f"recording ({MANIFEST})")
    except (OSError, zipfile.BadZipFile, PackageError, bag.BagError) as exc:
        report.errors.append(str(exc))
        return report
    _check_documents(reader, names, report, verify_document)
    _check_marks(reader, names, report)
    return report


def _check_marks(reader: _Reader, names: set[str], report: PackageReport) -> None:
    """The signatures made while recording: each inside its signer's recorded track."""
    root = f"{bag.PAYLOAD}recordings/" if report.layout == "bagit" else ""
    sidecars: dict[str, dict[str, object]] = {}
    for name in sorted(names):
        rest = name[len(root):] if name.startswith(root) else None
        if rest is None or rest.count("/") != 1:
            continue
        file = rest.split("/")[1]
        if file.startswith("seg-") and file.endswith(".json"):
            try:
                body = json.loads(reader.read(name))
            except ValueError:
                continue  # an unreadable sidecar is named by the file checks
            if isinstance(body, dict):
                sidecars[rest] = body
    try:
        marks = read_marks(reader.read(root + MARKS).decode()) if root + MARKS in names else []
        gaps: list[dict[str, object]] = []
        if root + MANIFEST in names:
            gaps = Manifest.from_bytes(reader.read(root + MANIFEST)).extra.get("gaps") or []
    except (ValueError, UnicodeDecodeError, PackageError) as exc:
        report.signature_problems.append(f"signatures made while recording: {exc}")
        return
    rows, problems = check_marks(sidecars, marks, gaps)
    report.signatures = rows
    report.signature_problems += problems


def _check_files(reader: _Reader, names: set[str], listed: dict[str, str], report: PackageReport
                 ) -> int:
    """Each listed file against its SHA-256; the payload's total size."""
    total = 0
    for name, digest in sorted(listed.items()):
        if name not in names:
            report.missing.append(name)
            continue
        found, size = reader.digest(name)
        total += size
        if found != digest:
            report.altered.append(name)
    return total


def _verify_bag(reader: _Reader, names: set[str], report: PackageReport,
                verify_signature: SignatureVerifier | None) -> None:
    if bag.TAG_MANIFEST not in names:
        raise PackageError(f"{bag.TAG_MANIFEST} is missing: nothing the court signed")
    tag_manifest = reader.read(bag.TAG_MANIFEST)
    tags = bag.parse_manifest(tag_manifest, bag.TAG_MANIFEST)
    uncovered = {bag.BAGIT, bag.BAG_INFO, bag.MANIFEST, DESCRIPTION} - set(tags)
    if uncovered:
        report.errors.append(f"{bag.TAG_MANIFEST} does not cover {sorted(uncovered)}")
    _check_files(reader, names, tags, report)
    payload = bag.parse_manifest(reader.read(bag.MANIFEST), bag.MANIFEST) \
        if bag.MANIFEST in names else {}
    outside = sorted(p for p in payload if not p.startswith(bag.PAYLOAD))
    if outside:
        raise PackageError(f"{bag.MANIFEST} names files outside {bag.PAYLOAD}: {outside}")
    octets = _check_files(reader, names, payload, report)
    report.files_checked = len(payload)
    report.unexpected = sorted(names - set(payload) - set(tags)
                               - {bag.TAG_MANIFEST, SIGNATURE, UNSIGNED_TOKEN})
    if bag.BAG_INFO in names:
        oxum = bag.Oxum.parse(bag.parse_bag_info(reader.read(bag.BAG_INFO))
                              .get("Payload-Oxum", ""))
        if oxum != bag.Oxum(octets, len(payload)) and not (report.missing or report.altered):
            report.errors.append(f"Payload-Oxum {oxum} does not match the payload "
                                 f"({octets} bytes in {len(payload)} files)")
    if DESCRIPTION in names:
        description = Manifest.from_bytes(reader.read(DESCRIPTION))
        report.hearing_id = description.hearing_id
        described = {f"{bag.PAYLOAD}{e.path}": e.sha256 for e in description.entries}
        if described != payload:
            report.errors.append(f"{DESCRIPTION} and {bag.MANIFEST} list different files")
    _check_signature(reader, names, tag_manifest, report, verify_signature)


def _check_signature(reader: _Reader, names: set[str], tag_manifest: bytes,
                     report: PackageReport, verify_signature: SignatureVerifier | None) -> None:
    if SIGNATURE not in names:
        report.signature = "missing: the court did not sign this package"
        return
    if verify_signature is None:
        report.signature = "unchecked: no signature verifier (no trust roots)"
        return
    verdict = verify_signature(tag_manifest, reader.read(SIGNATURE))
    report.signer = verdict.signer or None
    if verdict.ok:
        report.signature = "valid"
        report.timestamp = verdict.timestamp or "missing"
    else:
        report.signature = "invalid: " + "; ".join(verdict.problems or ("no reason given",))


def _verify_archive(reader: _Reader, names: set[str], report: PackageReport,
                    verify_token: TokenVerifier | None) -> None:
    body = reader.read(MANIFEST)
    manifest = Manifest.from_bytes(body)
    report.hearing_id = manifest.hearing_id
    for entry in manifest.entries:
        if not bag.safe_payload_path(entry.path):
            report.errors.append(f"manifest names a path outside the package: {entry.path}")
        elif entry.path not in names:
            report.missing.append(entry.path)
        elif reader.digest(entry.path) != (entry.sha256, entry.size):
            report.altered.append(entry.path)
        report.files_checked += 1
    listed = {e.path for e in manifest.entries} | {MANIFEST, TOKEN}
    report.unexpected = sorted(names - listed)
    report.timestamp = _check_token(reader, names, hashlib.sha256(body).digest(), verify_token)


def _check_documents(reader: _Reader, names: set[str], report: PackageReport,
                     verify_document: DocumentVerifier | None) -> None:
    """Each PDF under data/documents/: the manifest's hash, the record's hash, its validity."""
    records: dict[str, str] = {}
    if DOCUMENT_INDEX in names:
        try:
            index = json.loads(reader.read(DOCUMENT_INDEX))
            records = {f"{_DOCUMENTS}{d['file']}": str(d["sha256"]) for d in index["documents"]}
        except (ValueError, KeyError, TypeError) as exc:
            report.errors.append(f"{DOCUMENT_INDEX} is unreadable: {exc}")
    pdfs = sorted(n for n in names if n.startswith(_DOCUMENTS) and n.endswith(".pdf"))
    for name in sorted(set(pdfs) | set(records)):
        if name not in names:
            report.documents[name] = "missing"
        elif name in report.altered or name in report.unexpected:
            report.documents[name] = "altered"
        elif name in records and reader.digest(name)[0] != records[name]:
            report.documents[name] = "record_mismatch"
        else:
            problems = verify_document(reader.read(name)) if verify_document else None
            report.documents[name] = ("unchecked" if problems is None else
                                      "invalid: " + "; ".join(problems) if problems else "valid")


def _check_token(
    reader: _Reader, names: set[str], digest: bytes, verify_token: TokenVerifier | None
) -> str:
    if TOKEN not in names:
        return "missing"
    token = reader.read(TOKEN)
    if verify_token is not None:
        return "valid" if verify_token(digest, token) else "invalid"
    imprint = token_imprint(token)
    if imprint is None:
        return "unchecked"  # not RFC 3161: say so, do not guess (and do not pass)
    return "imprint_ok" if imprint == digest else "imprint_mismatch"
