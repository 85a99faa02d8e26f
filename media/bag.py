"""BagIt (RFC 8493) bags: write the tag files of a tree whose payload is under ``data/``, and
read them back to check every payload and tag file.

Only what evidence packages use: version 1.0, UTF-8 tag files, SHA-256 manifests. Every file
a package carries is reached from ``tagmanifest-sha256.txt`` (which the court signs): the
payload through ``manifest-sha256.txt``, the tag files directly. The bag can be checked
without yunting: ``sha256sum -c manifest-sha256.txt`` and ``sha256sum -c tagmanifest-sha256.txt``
in the bag's folder, or any BagIt validator.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

__all__ = [
    "BAGIT", "BAG_INFO", "MANIFEST", "PAYLOAD", "TAG_MANIFEST", "BagError", "Oxum", "bag_info",
    "bagit_txt", "manifest_text", "parse_bag_info", "parse_manifest", "safe_payload_path",
    "sha256_hex",
]

BAGIT = "bagit.txt"
BAG_INFO = "bag-info.txt"
MANIFEST = "manifest-sha256.txt"
TAG_MANIFEST = "tagmanifest-sha256.txt"
PAYLOAD = "data/"


class BagError(ValueError):
    """A tag file that cannot be read as RFC 8493 says it must be written."""


def bagit_txt() -> bytes:
    return b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def bag_info(fields: Sequence[tuple[str, str]]) -> bytes:
    lines = []
    for label, value in fields:
        if ":" in label or "\n" in value or "\r" in value:
            raise BagError(f"bag-info field {label!r} cannot be written on one line")
        lines.append(f"{label}: {value}\n")
    return "".join(lines).encode()


def _encode(path: str) -> str:
    # RFC 8493 §2.1.3: CR, LF and % in a file path are percent-encoded.
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _decode(path: str) -> str:
    return path.replace("%0D", "\r").replace("%0d", "\r").replace("%0A", "\n") \
        .replace("%0a", "\n").replace("%25", "%")


def manifest_text(entries: Iterable[tuple[str, str]]) -> bytes:
    """``<sha256>  <path>`` lines (two spaces: also what ``sha256sum -c`` reads), sorted."""
    return "".join(f"{digest}  {_encode(path)}\n" for path, digest in sorted(entries)).encode()


def safe_payload_path(path: str) -> bool:
    """Relative, inside the bag, no ``..``: a manifest line may not point elsewhere."""
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts \
        and "\\" not in path and "\0" not in path


def parse_manifest(body: bytes, name: str) -> dict[str, str]:
    """{path: sha256} of a manifest; ``BagError`` naming the file and line otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BagError(f"{name} is not UTF-8: {exc}") from None
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, _, path = line.partition(" ")
        path = _decode(path.lstrip(" *"))
        digest = digest.lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest) or not path:
            raise BagError(f"{name} line {number} is not '<sha256> <path>'")
        if not safe_payload_path(path):
            raise BagError(f"{name} line {number} names a path outside the bag: {path!r}")
        if path in entries:
            raise BagError(f"{name} lists {path!r} twice")
        entries[path] = digest
    return entries


def parse_bag_info(body: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    label = None
    for line in body.decode("utf-8", errors="replace").splitlines():
        if line[:1] in (" ", "\t") and label is not None:  # a continued value
            fields[label] += " " + line.strip()
            continue
        label, _, value = line.partition(":")
        label = label.strip()
        fields[label] = value.strip()
    return fields


@dataclass(frozen=True)
class Oxum:
    """``Payload-Oxum``: total payload bytes and file count (a quick completeness check)."""

    octets: int
    files: int

    def __str__(self) -> str:
        return f"{self.octets}.{self.files}"

    @classmethod
    def parse(cls, text: str) -> Oxum | None:
        octets, _, files = text.partition(".")
        return cls(int(octets), int(files)) if octets.isdigit() and files.isdigit() else None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
