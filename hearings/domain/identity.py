"""Identifiers and time: random ids for entities, aware UTC timestamps."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

__all__ = ["new_id", "utcnow"]


def new_id() -> str:
    # 128 random bits, hex: ids appear in URLs and logs, so keep them unguessable.
    return secrets.token_hex(16)


def utcnow() -> datetime:
    return datetime.now(UTC)
