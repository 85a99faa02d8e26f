"""Evidence packages: recordings + manifest + timestamp token, verifiable offline.

Layout (a directory, or the same tree in a stored ZIP):

    manifest.json        canonical JSON, every other file with SHA-256 and size
    manifest.tsr         timestamp token over SHA-256(manifest.json)
    recordings/<participant>/seg-00001.mkv, .json   as recorded
    recordings/composite.mp4, gaps.jsonl
    documents/           signed PDFs handed in by the caller (docforge's), with
    documents/index.json the caller's records of them: file, id, kind, state, sha256
    audit/               the audit-log extract handed in by the caller
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from media.errors import PackageError
from media.manifest import Manifest, Timestamper, sha256_file

__all__ = [
    "PackageReport", "build_package", "build_package_sync", "token_imprint", "verify_package",
]

MANIFEST = "manifest.json"
TOKEN = "manifest.tsr"
DOCUMENT_INDEX = "documents/index.json"
# (digest, token) → valid: e.g. docforge's full RFC 3161 validation, injected by the web layer.
TokenVerifier = Callable[[bytes, bytes], bool]
# (pdf bytes) → problems, [] when every signature validates (docforge, injected by web), or
# None when it cannot say (e.g. no trust roots on this machine).
DocumentVerifier = Callable[[bytes], "list[str] | None"]


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


def build_package_sync(
    hearing_dir: Path, destination: Path, *, hearing_id: str, timestamp: Timestamper,
    documents: Iterable[Path] = (), audit_extract: Iterable[Path] = (), as_zip: bool = False,
) -> Path:
    """Blocking: copies, hashes every file, timestamps the manifest. Prefer `build_package`."""
    if not hearing_dir.is_dir():
        raise PackageError(f"no recordings at {hearing_dir}")
    if destination.exists():
        raise PackageError(f"{destination} already exists")
    tree = destination.with_name(destination.name + ".building") if as_zip else destination
    tree.mkdir(parents=True)
    _copy_tree(hearing_dir, tree)
    _copy_into(documents, tree / "documents")
    _copy_into(audit_extract, tree / "audit")
    files = [p for p in sorted(tree.rglob("*")) if p.is_file()]
    manifest = Manifest.build(hearing_id, tree, files)
    body = manifest.to_bytes()
    (tree / MANIFEST).write_bytes(body)
    (tree / TOKEN).write_bytes(timestamp(hashlib.sha256(body).digest()))
    if not as_zip:
        return destination
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tree).as_posix())
    shutil.rmtree(tree)
    return destination


async def build_package(
    hearing_dir: Path, destination: Path, *, hearing_id: str, timestamp: Timestamper,
    documents: Iterable[Path] = (), audit_extract: Iterable[Path] = (), as_zip: bool = False,
) -> Path:
    """Build the package on a worker thread (copying and hashing hours of video blocks)."""
    return await asyncio.to_thread(
        build_package_sync, hearing_dir, destination, hearing_id=hearing_id, timestamp=timestamp,
        documents=list(documents), audit_extract=list(audit_extract), as_zip=as_zip,
    )


@dataclass
class PackageReport:
    path: str
    hearing_id: str | None = None
    files_checked: int = 0
    altered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    # missing | imprint_mismatch | imprint_ok | valid | invalid | unchecked
    timestamp: str = "missing"
    errors: list[str] = field(default_factory=list)
    # documents/<file>.pdf → "hash_ok" (matches manifest and record), "valid" (and every
    # signature validates), "unchecked" (signatures not validated here), or a problem:
    # "altered", "missing", "record_mismatch" (not the bytes its record names), "invalid: …"
    documents: dict[str, str] = field(default_factory=dict)

    @property
    def document_problems(self) -> list[str]:
        return [f"{name}: {state}" for name, state in self.documents.items()
                if state not in ("hash_ok", "valid", "unchecked")]

    @property
    def ok(self) -> bool:
        return not (self.altered or self.missing or self.unexpected or self.errors
                    or self.document_problems) and (
            self.timestamp in ("valid", "imprint_ok", "unchecked")
        )


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
                   verify_document: DocumentVerifier | None = None) -> PackageReport:
    """Check a package offline; the report names every altered, missing or unexpected file,
    and every signed document whose bytes or signatures do not hold."""
    report = PackageReport(str(path))
    try:
        reader = _Reader(path)
        names = reader.names()
        if MANIFEST not in names:
            raise PackageError(f"{MANIFEST} is missing")
        body = reader.read(MANIFEST)
        manifest = Manifest.from_bytes(body)
    except (OSError, zipfile.BadZipFile, PackageError) as exc:
        report.errors.append(str(exc))
        return report
    report.hearing_id = manifest.hearing_id
    for entry in manifest.entries:
        if PurePosixPath(entry.path).is_absolute() or ".." in PurePosixPath(entry.path).parts:
            report.errors.append(f"manifest names a path outside the package: {entry.path}")
        elif entry.path not in names:
            report.missing.append(entry.path)
        elif reader.digest(entry.path) != (entry.sha256, entry.size):
            report.altered.append(entry.path)
        report.files_checked += 1
    listed = {e.path for e in manifest.entries} | {MANIFEST, TOKEN}
    report.unexpected = sorted(names - listed)
    report.timestamp = _check_token(reader, names, hashlib.sha256(body).digest(), verify_token)
    _check_documents(reader, names, report, verify_document)
    return report


def _check_documents(reader: _Reader, names: set[str], report: PackageReport,
                     verify_document: DocumentVerifier | None) -> None:
    """Each PDF under documents/: the manifest's hash, the record's hash, its signatures."""
    records: dict[str, str] = {}
    if DOCUMENT_INDEX in names:
        try:
            index = json.loads(reader.read(DOCUMENT_INDEX))
            records = {f"documents/{d['file']}": str(d["sha256"]) for d in index["documents"]}
        except (ValueError, KeyError, TypeError) as exc:
            report.errors.append(f"{DOCUMENT_INDEX} is unreadable: {exc}")
    pdfs = sorted(n for n in names if n.startswith("documents/") and n.endswith(".pdf"))
    for name in sorted(set(pdfs) | set(records)):
        if name not in names:
            report.documents[name] = "missing"
            continue
        if name in report.altered:
            report.documents[name] = "altered"
            continue
        if name in records and reader.digest(name)[0] != records[name]:
            report.documents[name] = "record_mismatch"
            continue
        if verify_document is None:
            report.documents[name] = "hash_ok"
            continue
        problems = verify_document(reader.read(name))
        if problems is None:
            report.documents[name] = "unchecked"
        else:
            report.documents[name] = "valid" if not problems else "invalid: " + "; ".join(problems)


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
        return "unchecked"  # not RFC 3161 (e.g. a development HMAC token): say so, do not guess
    return "imprint_ok" if imprint == digest else "imprint_mismatch"
