"""Verify a signed document: every signature (pyHanko, diff analysis always on), every
handwritten signature's biometric record (binding, and contents if the court key is given),
and what its kind requires (the court seal first, then its signers: ``docforge.required``)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.asymmetric import ec

from .biometric import BiometricRecord, open_record, read_header
from .errors import BiometricRecordError, VerificationFailed
from .required import kind_problems
from .trust import TrustRoots, carried_certificates


@dataclass(frozen=True)
class RecordCheck:
    present: bool
    bound: bool = False  # header names this field and signer and hashes the prior document
    decrypted: bool | None = None  # None: no court key given
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return not self.present or (self.bound and self.decrypted is not False)


@dataclass(frozen=True)
class SignatureReport:
    field: str
    kind: str  # "signature", "certification" or "timestamp"
    signer: str
    certificate: str
    role: str
    signing_time: dt.datetime | None
    timestamp_time: dt.datetime | None
    intact: bool
    valid: bool
    trusted: bool
    coverage: str
    modification_level: str | None
    docmdp_ok: bool | None
    record: RecordCheck
    summary: str

    @property
    def ok(self) -> bool:
        return (
            self.intact
            and self.valid
            and self.trusted
            and self.docmdp_ok is not False
            and self.record.ok
        )


@dataclass(frozen=True)
class VerificationReport:
    signatures: tuple[SignatureReport, ...]
    problems: tuple[str, ...] = field(default=())
    kind: str | None = None  # from the title the court seal certified; None: not known

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and not self.problems and all(s.ok for s in self.signatures)

    def text(self) -> str:
        return render_text(self)

    def failures(self) -> list[str]:
        """Why the document is not valid, one line each (empty when it is)."""
        lines = list(self.problems)
        lines += [f"{s.field}: {s.summary}" for s in self.signatures if not s.ok]
        return lines or ([] if self.ok else ["no signature"])

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO 8601) for ``yunting verify --json`` and the web app."""

        def plain(value: Any) -> Any:
            return value.isoformat() if isinstance(value, dt.datetime) else value

        signatures = []
        for s in self.signatures:
            item = {k: plain(v) for k, v in dataclasses.asdict(s).items()}
            item["ok"] = s.ok
            item["record"]["ok"] = s.record.ok
            signatures.append(item)
        return {"ok": self.ok, "kind": self.kind, "signatures": signatures,
                "problems": list(self.problems)}


def _record_bytes(sig_field: Any) -> bytes | None:
    try:
        appearance = sig_field["/AP"]["/N"]
    except KeyError:
        return None
    if "/AF" not in appearance:
        return None
    spec = appearance["/AF"][0]
    return bytes(spec["/EF"]["/F"].data)


def _prior_document(data: bytes, embedded: Any) -> list[bytes]:
    # The record hashes the file as it was before this signature's incremental update.
    start = int(embedded.byte_range[1])
    eof = data.rfind(b"%%EOF", 0, start)
    if eof < 0:
        return []
    end = eof + 5
    return [data[:end], data[: end + 1], data[: end + 2]]


def _check_record(data: bytes, embedded: Any, court_key: Any) -> tuple[RecordCheck, Any]:
    envelope = _record_bytes(embedded.sig_field)
    if envelope is None:
        return RecordCheck(present=False), None
    try:
        header = read_header(envelope)
    except BiometricRecordError as exc:
        return RecordCheck(True, problem=str(exc)), None
    hashes = {hashlib.sha256(d).hexdigest() for d in _prior_document(data, embedded)}
    name = str(embedded.sig_object.get("/Name", ""))
    problems = []
    if header["field"] != embedded.field_name:
        problems.append(f"record is for field {header['field']!r}")
    if header["signer"]["name"] != name:
        problems.append(f"record names signer {header['signer']['name']!r}")
    if header["document_sha256"] not in hashes:
        problems.append("record is bound to a different document")
    record = None
    decrypted = None
    if court_key is not None:
        try:
            record = open_record(envelope, court_key)
            decrypted = True
        except BiometricRecordError as exc:
            decrypted = False
            problems.append(str(exc))
    return RecordCheck(True, not problems, decrypted, "; ".join(problems) or None), record


async def _one(data: bytes, embedded: Any, vc_factory: Any, court_key: Any) -> SignatureReport:
    from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp

    is_ts = embedded.sig_object_type == "/DocTimeStamp"
    if is_ts:
        status: Any = await async_validate_pdf_timestamp(embedded, validation_context=vc_factory())
        ts_time = status.timestamp
    else:
        status = await async_validate_pdf_signature(
            embedded, signer_validation_context=vc_factory(), ts_validation_context=vc_factory()
        )
        ts_time = status.timestamp_validity.timestamp if status.timestamp_validity else None
    cert: asn1_x509.Certificate = embedded.signer_cert
    subject = cert.subject.native
    kind = "timestamp" if is_ts else ("certification" if embedded.docmdp_level else "signature")
    record, _ = (RecordCheck(False), None) if is_ts else _check_record(data, embedded, court_key)
    tsv = None if is_ts else status.timestamp_validity
    ts_ok = tsv is None or (tsv.intact and tsv.valid and tsv.trusted)
    return SignatureReport(
        field=str(embedded.field_name),
        kind=kind,
        signer=str(embedded.sig_object.get("/Name", subject.get("common_name", ""))),
        certificate=str(subject.get("common_name", "")),
        role=str(subject.get("organizational_unit_name", "")),
        signing_time=None if is_ts else status.signer_reported_dt,
        timestamp_time=ts_time,
        intact=bool(status.intact),
        valid=bool(status.valid) and bool(ts_ok),
        trusted=bool(status.trusted),
        coverage=status.coverage.name if status.coverage else "UNKNOWN",
        modification_level=status.modification_level.name if status.modification_level else None,
        docmdp_ok=status.docmdp_ok,
        record=record,
        summary=status.summary(),
    )


async def async_verify_pdf(
    source: bytes | str,
    trust_roots: list[asn1_x509.Certificate],
    crls: list[asn1_crl.CertificateList] | None = None,
    court_key: ec.EllipticCurvePrivateKey | None = None,
) -> VerificationReport:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko_certvalidator import ValidationContext

    data = source if isinstance(source, bytes) else await asyncio.to_thread(_read, source)

    def vc_factory() -> ValidationContext:
        return ValidationContext(trust_roots=trust_roots, crls=crls or [], allow_fetching=False)

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = sorted(reader.embedded_signatures, key=lambda e: e.signed_revision)
    except Exception as exc:
        return VerificationReport((), (f"not a readable PDF: {exc}",))
    reports = []
    problems = [] if embedded else ["no signatures"]
    unsigned = _unsigned_fields(reader)
    if unsigned:
        problems.append(f"unsigned field(s): {unsigned}")
    for sig in embedded:
        try:
            reports.append(await _one(data, sig, vc_factory, court_key))
        except Exception as exc:  # a malformed signature must yield a failed report
            problems.append(f"{sig.field_name}: {exc}")
    signed = [(r.field, r.kind, r.record.present) for r in reports]
    kind, missing = kind_problems(data, embedded, signed) if embedded else (None, [])
    return VerificationReport(tuple(reports), tuple(problems + missing), kind)


def _unsigned_fields(reader: Any) -> list[str]:
    from pyhanko.sign.fields import enumerate_sig_fields

    try:
        return [name for name, value, _ in enumerate_sig_fields(reader) if value is None]
    except Exception:  # a broken form is reported by the signatures themselves
        return []


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def verify_pdf(
    source: bytes | str,
    trust_roots: list[asn1_x509.Certificate],
    crls: list[asn1_crl.CertificateList] | None = None,
    court_key: ec.EllipticCurvePrivateKey | None = None,
) -> VerificationReport:
    """Blocking; from async code use ``async_verify_pdf``."""
    return asyncio.run(async_verify_pdf(source, trust_roots, crls, court_key))


def carried_pdf_certificates(data: bytes) -> list[asn1_x509.Certificate]:
    """Every certificate the document's signatures carry (candidates for a pinned root)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    found = []
    try:
        for sig in PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures:
            found += carried_certificates(sig.signed_data)
    except Exception:  # an unreadable document fails in verification itself
        return []
    return found


def verify_pdf_trusting(data: bytes, trust: TrustRoots, pins: Sequence[str] = (),
                        court_key: ec.EllipticCurvePrivateKey | None = None
                        ) -> VerificationReport:
    """Blocking. Verify against exactly ``trust`` plus the carried roots matching ``pins``;
    with no trust root at all the report fails naming that (fail closed)."""
    if pins:
        trust = trust.plus(TrustRoots.pinned(pins, carried_pdf_certificates(data)))
    if not trust:
        return VerificationReport((), (trust.missing(),))
    return verify_pdf(data, list(trust.roots), list(trust.crls), court_key)


def open_capture_record(
    pdf: bytes, field_name: str, court_key: ec.EllipticCurvePrivateKey
) -> BiometricRecord:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    for sig in reader.embedded_signatures:
        if sig.field_name == field_name:
            envelope = _record_bytes(sig.sig_field)
            if envelope is None:
                break
            return open_record(envelope, court_key)
    raise BiometricRecordError(f"no biometric record for field {field_name!r}")


def require_ok(report: VerificationReport) -> VerificationReport:
    if not report.ok:
        raise VerificationFailed("document did not verify", report)
    return report


def _yes(flag: bool | None) -> str:
    return {True: "是 yes", False: "否 NO", None: "—"}[flag]


def render_text(report: VerificationReport) -> str:
    lines = [f"验证结果 Result: {'通过 OK' if report.ok else '未通过 FAILED'}",
             f"文书种类 Kind: {report.kind or '未知 unknown'}"]
    for i, s in enumerate(report.signatures, 1):
        lines += [
            f"#{i} {s.field} [{s.kind}]",
            f"  签名人 Signer: {s.signer}（{s.role}） cert: {s.certificate}",
            f"  签名时间 Signing time: {s.signing_time}  时间戳 Timestamp: {s.timestamp_time}",
            f"  完整 Intact: {_yes(s.intact)}  有效 Valid: {_yes(s.valid)}  "
            f"可信 Trusted: {_yes(s.trusted)}",
            f"  覆盖 Coverage: {s.coverage}  之后修改 Modifications after: "
            f"{s.modification_level}  DocMDP: {_yes(s.docmdp_ok)}",
        ]
        if s.record.present:
            lines.append(
                f"  生物特征记录 Biometric record: 绑定 bound {_yes(s.record.bound)}, "
                f"解密 decrypted {_yes(s.record.decrypted)}"
                + (f" — {s.record.problem}" if s.record.problem else "")
            )
    lines += [f"问题 Problem: {p}" for p in report.problems]
    return "\n".join(lines)
