"""Tables, and the imperative mapping of the domain's classes onto them (cosmicpython style)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, registry, relationship
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.util import identity_key

from hearings.domain.audit import AuditEntry
from hearings.domain.bookings import Booking, Service, Slot
from hearings.domain.cases import Case, CaseType
from hearings.domain.confirmation import ApplicationState, DutyShift, JudicialConfirmation
from hearings.domain.courts import Court, Site, SiteKind
from hearings.domain.documents import Delivery, DeliveryHow, Document, DocumentKind
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.inquiry import CaseInquiry, FactorKind, InquiryFactor
from hearings.domain.mediation import Mediation
from hearings.domain.participants import Participant, Role
from hearings.domain.plea import PleaStatement
from hearings.domain.staff import StaffRole, StaffSession, StaffUser
from hearings.domain.states import (
    DocumentState,
    HearingState,
    MediationState,
    ParticipantState,
    PleaState,
    RecordingState,
    TranscriptState,
)
from hearings.domain.tokens import JoinToken
from hearings.domain.transcript import Transcript
from hearings.services.kiosks import Kiosk, KioskCode
from hearings.services.notifications import Notification

__all__ = ["mapper_registry", "metadata", "start_mappers", "touch_aggregate_roots"]

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
mapper_registry = registry(metadata=metadata)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _enum(cls: type[StrEnum]) -> sa.Enum:
    return sa.Enum(cls, native_enum=False, length=32, validate_strings=True,
                   values_callable=lambda e: [m.value for m in e])


def _id(name: str = "id", **kw: Any) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), primary_key=True, **kw)


def _ref(name: str, target: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), sa.ForeignKey(target), nullable=nullable, index=True)


def _row_version() -> sa.Column[int]:
    """The optimistic version of a row that concurrent commands change: every UPDATE says
    `WHERE row_version = <what was read>` and counts it up, so a writer that read before
    another's commit matches no row and its whole unit of work fails as a Conflict."""
    return sa.Column("row_version", sa.Integer(), nullable=False, server_default=sa.text("1"))


courts = sa.Table(
    "courts", metadata, _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("code", sa.String(16), nullable=False, unique=True),
)
sites = sa.Table(
    "sites", metadata, _id(), _ref("court_id", "courts.id"),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", _enum(SiteKind), nullable=False),
    sa.Column("device_profile", sa.String(32), nullable=False),
)
cases = sa.Table(
    "cases", metadata, _id(), _ref("court_id", "courts.id"),
    sa.Column("number", sa.String(64), nullable=False, unique=True),
    sa.Column("case_type", _enum(CaseType), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("juvenile", sa.Boolean(), nullable=False, default=False),
)
# One Case, One Code (hearings/domain/inquiry.py): the code is stored as it is printed (staff
# reprint it); the parties' last 4 digits only as digests.
case_inquiries = sa.Table(
    "case_inquiries", metadata, _id(),
    sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), nullable=False,
              unique=True),
    sa.Column("code", sa.String(16), nullable=False, unique=True),
    sa.Column("enabled", sa.Boolean(), nullable=True),
)
inquiry_factors = sa.Table(
    "inquiry_factors", metadata, _id(), _ref("case_id", "cases.id"),
    _ref("participant_id", "participants.id"),
    sa.Column("kind", _enum(FactorKind), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.UniqueConstraint("participant_id", "kind"),
)
# Clinic kiosks and short kiosk codes (hearings/services/kiosks.py): digests only.
kiosks = sa.Table(
    "kiosks", metadata, _id(), _ref("site_id", "sites.id"),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("revoked_at", UTCDateTime()),
)
kiosk_codes = sa.Table(
    "kiosk_codes", metadata, _id(), _ref("hearing_id", "hearings.id"),
    _ref("participant_id", "participants.id"), _ref("site_id", "sites.id"),
    # the join token issued with it (no foreign key: both are added in one flush)
    sa.Column("token_id", sa.String(32), nullable=False, index=True),
    sa.Column("digest", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)
staff_users = sa.Table(
    "staff_users", metadata, _id(), _ref("court_id", "courts.id", nullable=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("role", _enum(StaffRole), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("on_duty", sa.Boolean(), nullable=False, default=False),
    sa.Column("active", sa.Boolean(), nullable=False, default=True),
    sa.Column("must_change_password", sa.Boolean(), nullable=False, default=False),
)
staff_sessions = sa.Table(
    "staff_sessions", metadata, _id(), _ref("user_id", "staff_users.id"),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
)
hearings = sa.Table(
    "hearings", metadata, _id(), _ref("case_id", "cases.id"),
    _ref("presiding_user_id", "staff_users.id", nullable=True),
    sa.Column("kind", _enum(HearingKind), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("scheduled_at", UTCDateTime(), nullable=False, index=True),
    sa.Column("state", _enum(HearingState), nullable=False),
    sa.Column("recording_state", _enum(RecordingState), nullable=False),
    sa.Column("suspend_reason", sa.String(500)),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("started_at", UTCDateTime()),
    sa.Column("closed_at", UTCDateTime()),
    _row_version(),
)
participants = sa.Table(
    "participants", metadata, _id(), _ref("hearing_id", "hearings.id"),
    _ref("site_id", "sites.id", nullable=True),
    _ref("staff_user_id", "staff_users.id", nullable=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", _enum(Role), nullable=False),
    sa.Column("state", _enum(ParticipantState), nullable=False),
    sa.Column("return_to", _enum(ParticipantState)),
    sa.Column("muted", sa.Boolean(), nullable=False),
    sa.Column("mute_locked", sa.Boolean(), nullable=False),
    sa.Column("invited_at", UTCDateTime(), nullable=False),
    sa.Column("email", sa.String(254)),
    sa.Column("mobile", sa.String(11)),  # normalised digits (migration 0013)
    sa.Column("consent_electronic_service", sa.Boolean(), nullable=False,
              server_default=sa.false()),
    sa.Column("minor", sa.Boolean(), nullable=False, server_default=sa.false()),
    _row_version(),
)
join_tokens = sa.Table(
    "join_tokens", metadata, _id(), _ref("hearing_id", "hearings.id"),
    _ref("participant_id", "participants.id"),
    sa.Column("role", _enum(Role), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Column("revoked_at", UTCDateTime()),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)
audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(64), nullable=False, index=True),
    sa.Column("hearing_id", sa.String(32), index=True),
    sa.Column("payload", sa.JSON(), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("tag", sa.String(64), nullable=False),
)

mediations = sa.Table(
    "mediations", metadata, _id(),
    sa.Column("hearing_id", sa.String(32), sa.ForeignKey("hearings.id"), nullable=False,
              unique=True),
    _ref("case_id", "cases.id"),
    sa.Column("state", _enum(MediationState), nullable=False),
    sa.Column("facts", sa.Text()),
    sa.Column("terms", sa.JSON(), nullable=False),
    sa.Column("signing", sa.JSON(), nullable=False),
    sa.Column("document_id", sa.String(32)),
    sa.Column("application_id", sa.String(32)),
    sa.Column("refusal", sa.String(1000)),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    _row_version(),
)
documents = sa.Table(
    "documents", metadata, _id(), _ref("hearing_id", "hearings.id"), _ref("case_id", "cases.id"),
    sa.Column("kind", _enum(DocumentKind), nullable=False),
    sa.Column("state", _enum(DocumentState), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("signatures", sa.JSON(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("sealed_at", UTCDateTime()),
    _row_version(),
)
document_deliveries = sa.Table(
    "document_deliveries", metadata, _id(), _ref("document_id", "documents.id"),
    sa.Column("hearing_id", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(80), nullable=False),
    sa.Column("recipient_name", sa.String(200), nullable=False),
    sa.Column("how", _enum(DeliveryHow), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
)
confirmations = sa.Table(
    "confirmations", metadata, _id(), _ref("court_id", "courts.id"), _ref("case_id", "cases.id"),
    sa.Column("case_number", sa.String(64), nullable=False),
    _ref("mediation_hearing_id", "hearings.id"),
    sa.Column("agreement_document_id", sa.String(32), nullable=False),
    sa.Column("application_document_id", sa.String(32)),
    sa.Column("ruling_document_id", sa.String(32)),
    sa.Column("state", _enum(ApplicationState), nullable=False, index=True),
    sa.Column("decision", sa.String(16)),
    sa.Column("grounds", sa.JSON(), nullable=False),
    sa.Column("reasons", sa.Text()),
    sa.Column("taken_by", sa.String(32), sa.ForeignKey("staff_users.id")),
    sa.Column("withdraw_reason", sa.String(1000)),
    sa.Column("applied_at", UTCDateTime(), nullable=False),
    sa.Column("taken_at", UTCDateTime()),
    sa.Column("judge_joined_at", UTCDateTime()),
    sa.Column("decided_at", UTCDateTime()),
    sa.Column("delivered_at", UTCDateTime()),
    sa.Column("decide_to_delivered_ms", sa.Float()),
    _row_version(),
)
duty_shifts = sa.Table(
    "duty_shifts", metadata, _id(), _ref("court_id", "courts.id"),
    _ref("judge_user_id", "staff_users.id"),
    sa.Column("starts_at", UTCDateTime(), nullable=False),
    sa.Column("ends_at", UTCDateTime()),
)
notifications = sa.Table(
    "notifications", metadata, _id(), _ref("hearing_id", "hearings.id"),
    sa.Column("recipient", sa.String(80), nullable=False),
    sa.Column("recipient_name", sa.String(200), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("document_id", sa.String(32)),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("sent_at", UTCDateTime(), index=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.String(500)),
    sa.Column("claimed_by", sa.String(32)),
    sa.Column("claimed_until", UTCDateTime()),
    sa.Column("address", sa.String(254)),
    sa.Column("delivery_token", sa.String(64), unique=True),
    sa.Column("next_attempt_at", UTCDateTime()),
    sa.Column("undelivered_at", UTCDateTime(), index=True),
    sa.Column("opened_at", UTCDateTime()),
    sa.Column("opened_from", sa.String(64)),
    sa.Column("opened_user_agent", sa.String(300)),
    # What it announces (invitation, reminder_day, reminder_hour, …); its dedupe key makes a
    # second reminder of one kind to one recipient for one time a duplicate (migration 0011).
    sa.Column("kind", sa.String(32)),
    sa.Column("dedupe_key", sa.String(200), unique=True),
    sa.Column("join_token_id", sa.String(32)),  # the join link minted for it at send time
    sa.Column("mobile", sa.String(11)),  # where it goes by SMS (migration 0013)
)
# e+ clinic bookings (hearings/domain/bookings.py): one booking per slot, by a unique slot_id.
booking_slots = sa.Table(
    "booking_slots", metadata, _id(), _ref("court_id", "courts.id"),
    _ref("host_user_id", "staff_users.id"),
    sa.Column("starts_at", UTCDateTime(), nullable=False, index=True),
    sa.Column("ends_at", UTCDateTime(), nullable=False),
    sa.Column("services", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("withdrawn_at", UTCDateTime()),
)
bookings = sa.Table(
    "bookings", metadata, _id(),
    sa.Column("slot_id", sa.String(32), sa.ForeignKey("booking_slots.id"), nullable=False,
              unique=True),
    _ref("hearing_id", "hearings.id"), _ref("site_id", "sites.id"),
    sa.Column("service", _enum(Service), nullable=False),
    sa.Column("person_name", sa.String(200), nullable=False),
    sa.Column("participant_id", sa.String(32), nullable=False),
    sa.Column("booked_by", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("mediation_hearing_id", sa.String(32)),
)
hearing_records = sa.Table(
    "hearing_records", metadata, _id(),
    sa.Column("hearing_id", sa.String(32), sa.ForeignKey("hearings.id"), nullable=False,
              unique=True),
    _ref("case_id", "cases.id"),
    sa.Column("state", _enum(TranscriptState), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("clerk_user_id", sa.String(32)),
    sa.Column("clerk_name", sa.String(200)),
    sa.Column("signing", sa.JSON(), nullable=False),
    sa.Column("document_id", sa.String(32)),
    sa.Column("updated_by", sa.String(80)),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("frozen_at", UTCDateTime()),
    sa.Column("rights_acknowledged_at", UTCDateTime()),
    _row_version(),
)
# A remote interrogation's plea statements (hearings/domain/plea.py): one row per draft (0014).
plea_statements = sa.Table(
    "plea_statements", metadata, _id(), _ref("hearing_id", "hearings.id"),
    _ref("case_id", "cases.id"),
    sa.Column("state", _enum(PleaState), nullable=False),
    sa.Column("charges", sa.Text(), nullable=False),
    sa.Column("facts", sa.Text(), nullable=False),
    sa.Column("sentencing_proposal", sa.Text(), nullable=False),
    sa.Column("procedure", sa.String(200), nullable=False),
    sa.Column("drafted_by", sa.String(80), nullable=False),
    sa.Column("signing", sa.JSON(), nullable=False),
    sa.Column("document_id", sa.String(32), nullable=False),
    sa.Column("refusal", sa.JSON()),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    _row_version(),
)

_started = False


def start_mappers() -> None:
    """Map the domain classes once per process (idempotent)."""
    global _started
    if _started:
        return
    _started = True
    m = mapper_registry.map_imperatively
    m(Court, courts)
    m(Site, sites)
    m(Case, cases)
    m(StaffUser, staff_users)
    m(StaffSession, staff_sessions)
    # Rows that concurrent commands change carry an optimistic version (see _row_version):
    # the hearing row (its state and the recording state that follows it), each
    # participant, the mediation, the application, each document, the transcript.
    m(Participant, participants, version_id_col=participants.c.row_version)
    m(Hearing, hearings, version_id_col=hearings.c.row_version, properties={
        "participants": relationship(Participant, lazy="selectin",
                                     order_by=participants.c.invited_at,
                                     cascade="all, delete-orphan"),
    })
    m(JoinToken, join_tokens)
    m(AuditEntry, audit_log)
    m(Mediation, mediations, version_id_col=mediations.c.row_version)
    m(Document, documents, version_id_col=documents.c.row_version)
    m(Delivery, document_deliveries)
    m(JudicialConfirmation, confirmations, version_id_col=confirmations.c.row_version)
    m(DutyShift, duty_shifts)
    m(Notification, notifications)
    m(Transcript, hearing_records, version_id_col=hearing_records.c.row_version)
    m(PleaStatement, plea_statements, version_id_col=plea_statements.c.row_version)
    m(CaseInquiry, case_inquiries)
    m(InquiryFactor, inquiry_factors)
    m(Kiosk, kiosks)
    m(KioskCode, kiosk_codes)
    m(Slot, booking_slots)
    m(Booking, bookings)


def touch_aggregate_roots(session: Session, _context: object, _instances: object) -> None:
    """Before a flush: a participant added to a hearing changes the hearing aggregate, so
    the hearing's row is written too and its version checked and counted up. An
    invitation that read the hearing before a concurrent close then fails as a conflict
    instead of seating someone in a closed hearing."""
    for obj in list(session.new):
        if isinstance(obj, Participant):
            hearing = session.identity_map.get(identity_key(Hearing, obj.hearing_id))
            if hearing is not None and hearing not in session.new:
                flag_modified(hearing, "state")
