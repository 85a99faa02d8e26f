"""Tables, and the imperative mapping of the domain's classes onto them (cosmicpython style)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import registry, relationship

from hearings.audit import AuditEntry
from hearings.cases import Case, CaseType
from hearings.courts import Court, Site, SiteKind
from hearings.hearing import Hearing, HearingKind
from hearings.participants import Participant, Role
from hearings.staff import StaffRole, StaffSession, StaffUser
from hearings.states import HearingState, ParticipantState, RecordingState
from hearings.tokens import JoinToken

__all__ = ["mapper_registry", "metadata", "start_mappers"]

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
)
staff_users = sa.Table(
    "staff_users", metadata, _id(), _ref("court_id", "courts.id", nullable=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("role", _enum(StaffRole), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("on_duty", sa.Boolean(), nullable=False, default=False),
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
    m(Participant, participants)
    m(Hearing, hearings, properties={
        "participants": relationship(Participant, lazy="selectin",
                                     order_by=participants.c.invited_at,
                                     cascade="all, delete-orphan"),
    })
    m(JoinToken, join_tokens)
    m(AuditEntry, audit_log)
