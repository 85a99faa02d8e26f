"""What each kind of document must carry to be valid: the court seal, then the signatures
its kind requires (docs/docforge.md, "What a valid document carries").

Signatures that validate are not enough: a PDF rendered without the seal and given only a
document timestamp has one valid "signature". The kind is read from the title of the
revision the court seal certified (the seal covers it, so it cannot be changed afterwards);
a document whose kind cannot be told does not verify.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .labels import LABELS

__all__ = ["ACCESS_LOG", "EFILE", "REQUIRED", "SERVICE_PROOF", "Requirement", "document_kind",
           "kind_problems"]

SEAL_FIELD = "court_seal"
EFILE = "case_efile"
EFILE_TITLE = "电子卷宗"
ACCESS_LOG = "access_log"  # a court's access log (docforge.access_report)
ACCESS_LOG_TITLE = "访问日志"
SERVICE_PROOF = "service_proof"  # a proof of electronic service (docforge.service_proof)
SERVICE_PROOF_TITLE = "电子送达回证"


@dataclass(frozen=True)
class Requirement:
    """Beyond the court seal (always the first signature, certifying the document):
    ``parties`` party signatures at least (fields ``party1``…; ``handwritten``: each made on
    the pad, with its biometric record) and the named fields signed."""

    parties: int
    people: tuple[str, ...]
    handwritten: bool = True
    locked: bool = False  # the seal forbids every later change (DocMDP NO_CHANGES)

    def describe(self) -> str:
        parts = ["court seal"]
        if self.parties:
            how = " on the pad" if self.handwritten else ""
            parts.append(f"≥ {self.parties} party signature(s){how}")
        parts += list(self.people)
        return ", ".join(parts) + (" (sealed against any change)" if self.locked else "")


REQUIRED: dict[str, Requirement] = {
    "mediation_agreement": Requirement(2, ("mediator",)),
    # the applicants applied orally in the room: the signing service signs for them
    "confirmation_application": Requirement(1, (), handwritten=False),
    "confirmation_ruling": Requirement(0, ("judge",)),
    "hearing_record": Requirement(0, ("clerk", "judge")),
    # the detainee (and appropriate adult, lawyer, interpreter) by hand, then the
    # interrogator(s) and the recorder; no judge signs an interrogation record
    "interrogation_record": Requirement(1, ("interrogator1", "clerk")),
    # the detainee by hand on the pad, and the lawyer present (刑事诉讼法 第一百七十四条)
    "plea_statement": Requirement(1, ("lawyer",)),
    "proof_of_service": Requirement(1, ("server",), handwritten=False),
    EFILE: Requirement(0, (), locked=True),
    # a summons / notice to appear: the court's alone, nothing may change after the seal
    "summons": Requirement(0, (), locked=True),
    "appearance_notice": Requirement(0, (), locked=True),
    ACCESS_LOG: Requirement(0, (), locked=True),
    # electronic service: the court's record of attempts and receipts, sealed alone
    SERVICE_PROOF: Requirement(0, (), locked=True),
}


def document_kind(title: str) -> str | None:
    """The kind whose label (zh or en) starts the title ``"<label> <case number>"``."""
    if title.startswith(EFILE_TITLE + " "):
        return EFILE
    if title.startswith(ACCESS_LOG_TITLE + " "):
        return ACCESS_LOG
    if title.startswith(SERVICE_PROOF_TITLE + " "):
        return SERVICE_PROOF
    matches = [(len(label), kind) for labels in LABELS.values() for kind, label in labels.items()
               if kind in REQUIRED and title.startswith(label + " ")]
    return max(matches)[1] if matches else None


def _sealed_title(data: bytes, seal: Any) -> str:
    from pyhanko.pdf_utils.reader import PdfFileReader

    _, _, start, length = (int(v) for v in seal.byte_range)
    reader = PdfFileReader(io.BytesIO(data[: start + length]), strict=False)
    return str(reader.trailer_view["/Info"].get_object().get("/Title", ""))


def kind_problems(data: bytes, embedded: Sequence[Any], signed: Sequence[tuple[str, str, bool]]
                  ) -> tuple[str | None, list[str]]:
    """The document's kind and what it lacks. ``embedded`` are pyHanko's signatures in
    revision order; ``signed`` is (field, kind, has a biometric record) for each signature
    that was read (its validity is judged elsewhere)."""
    first = embedded[0] if embedded else None
    if first is None or first.field_name != SEAL_FIELD or first.docmdp_level is None:
        return None, [f"no court seal: the first signature must be the court's certification "
                      f"in field {SEAL_FIELD!r} (found {_name(first)})"]
    try:
        title = _sealed_title(data, first)
    except Exception as exc:  # a broken revision is a failed check, never a crash
        return None, [f"cannot read the sealed revision's title: {exc}"]
    kind = document_kind(title)
    if kind is None:
        return None, [f"unknown document kind (sealed title {title!r}): cannot tell which "
                      "signatures it needs"]
    need = REQUIRED[kind]
    problems = []
    if need.locked != (first.docmdp_level.name == "NO_CHANGES"):
        problems.append(f"the court seal allows {first.docmdp_level.name}, a {kind} needs "
                        f"{'NO_CHANGES' if need.locked else 'FILL_FORMS'}")
    signatures = {field: (sig_kind, record) for field, sig_kind, record in signed}
    parties = sorted(f for f in signatures if f.startswith("party"))
    if len(parties) < need.parties:
        problems.append(f"a {kind} needs at least {need.parties} party signature(s) "
                        f"(found {len(parties)})")
    problems += [f"{field}: a party signs by hand on the pad; no biometric record"
                 for field in parties if need.handwritten and not signatures[field][1]]
    problems += [f"missing the {field} signature a {kind} requires" for field in need.people
                 if signatures.get(field, ("", False))[0] != "signature"]
    return kind, problems


def _name(signature: Any) -> str:
    if signature is None:
        return "no signature"
    kind = "document timestamp" if signature.sig_object_type == "/DocTimeStamp" else "signature"
    return f"a {kind} in field {signature.field_name!r}"
