"""The tamper-evident audit log: a keyed hash chain (see docs/architecture.md, "Audit log").

Each entry's hash is SHA-256(0x00 ‖ previous hash ‖ canonical JSON of the entry), so an
edited, deleted or reordered row breaks the chain at that row; each entry also carries
an HMAC-SHA256 tag over its sequence number and hash under a key the database does not
hold, so a row inserted (or a chain recomputed) by someone with only database access
is named as forged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hearings.domain.identity import utcnow

__all__ = ["GENESIS", "AuditEntry", "AuditVerdict", "chain", "interruptions", "verify_chain"]

GENESIS = "0" * 64


@dataclass(eq=False)
class AuditEntry:
    seq: int
    actor: str
    action: str
    hearing_id: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str = ""
    tag: str = ""
    at: datetime = field(default_factory=utcnow)

    def canonical(self) -> bytes:
        body = {
            "action": self.action,
            "actor": self.actor,
            "at": self.at.isoformat(timespec="microseconds"),
            "hearing_id": self.hearing_id,
            "payload": self.payload,
        }
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    def digest(self) -> str:
        material = b"\x00" + bytes.fromhex(self.prev_hash) + self.canonical()
        return hashlib.sha256(material).hexdigest()

    def expected_tag(self, key: bytes) -> str:
        return hmac.new(key, f"{self.seq}:{self.hash}".encode(), hashlib.sha256).hexdigest()


def chain(entry: AuditEntry, key: bytes) -> AuditEntry:
    """Seal a new entry whose seq and prev_hash are already set."""
    entry.hash = entry.digest()
    entry.tag = entry.expected_tag(key)
    return entry


@dataclass(frozen=True)
class AuditVerdict:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None  # edited | deleted | inserted | reordered | forged

    def describe(self) -> str:
        if self.ok:
            return f"audit log intact: {self.checked} entries"
        return f"audit log broken at entry {self.first_bad_seq}: {self.problem}"


def verify_chain(entries: list[AuditEntry], key: bytes) -> AuditVerdict:
    """Check entries (ordered by seq) and name the first bad one and what happened to it."""
    stored_hashes = {e.hash for e in entries}
    expected_seq, prev = 1, GENESIS
    for checked, entry in enumerate(entries):
        problem = None
        if entry.seq > expected_seq:
            return AuditVerdict(False, checked, expected_seq, "deleted")
        if entry.seq < expected_seq:
            problem = "inserted"
        elif entry.prev_hash != prev:
            if entry.prev_hash in stored_hashes:
                problem = "reordered"
            elif entry.digest() == entry.hash:
                problem = "inserted"
            else:
                problem = "edited"
        elif entry.digest() != entry.hash:
            problem = "edited"
        elif not hmac.compare_digest(entry.tag, entry.expected_tag(key)):
            problem = "forged"
        if problem:
            return AuditVerdict(False, checked, entry.seq, problem)
        expected_seq, prev = entry.seq + 1, entry.hash
    return AuditVerdict(True, len(entries))


def interruptions(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """Each time a participant's recording stopped while it should not have (connection
    lost, no media, disk) and when it was back — from the audit log's `recording.gap` and
    `recording.resumed`, however short (the manifest's `gaps` count only holes > 1 s in
    the files); `to` is None for one that never ended."""
    found: list[dict[str, Any]] = []
    open_: dict[str, dict[str, Any]] = {}
    for e in sorted(entries, key=lambda e: e.seq):
        pid = e.payload.get("participant_id")
        if not isinstance(pid, str):
            continue
        if e.action == "recording.gap" and pid not in open_:
            open_[pid] = {"participant_id": pid, "reason": e.payload.get("reason"),
                          "from": e.payload.get("at"), "to": None, "seconds": None,
                          "because": None}
            found.append(open_[pid])
        elif e.action == "recording.resumed" and pid in open_:
            item = open_.pop(pid)
            item.update(to=e.payload.get("at"), seconds=e.payload.get("gap_seconds"),
                        because=e.payload.get("because"))
    return found
