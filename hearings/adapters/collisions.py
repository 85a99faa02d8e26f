"""What a concurrent writer's collision means to the domain: a `Conflict` naming what collided.

The unit of work translates here, and only here, the database's ways of saying "someone
else got there first" — a unique or foreign key violation, an optimistic version check
that matched no row, a deadlock or serialisation failure — into the domain's 409.
"""

from __future__ import annotations

import re
from functools import cache

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from hearings.adapters import orm
from hearings.domain.errors import ConcurrentChange, Conflict

__all__ = ["as_conflict"]

# What a duplicate of each unique column means; {value} only where the value is no secret.
_DUPLICATE = {
    ("courts", "code"): "a court with code {value!r} exists already",
    ("cases", "number"): "case {value} exists already",
    ("staff_users", "username"): "a staff user named {value!r} exists already",
    ("staff_sessions", "digest"): "that session secret is in use already; log in again",
    ("join_tokens", "digest"): "that join secret is in use already; issue the link again",
    ("mediations", "hearing_id"): "this hearing has its mediation already",
    ("hearing_records", "hearing_id"): "this hearing has its transcript already",
}
_NOUN = {
    "hearings": "hearing", "participants": "participant", "mediations": "mediation",
    "confirmations": "application", "documents": "document",
    "hearing_records": "transcript",
}
# SQLSTATE: unique and foreign key violations; serialisation failure and deadlock.
_UNIQUE, _FOREIGN_KEY, _RACES = "23505", "23503", ("40001", "40P01")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+)\.(\w+)")
_PG_KEY = re.compile(r"Key \((\w+)\)=\((.*)\) already exists", re.S)
_STALE_TABLE = re.compile(r"on table '(\w+)'")
_INSERT = re.compile(r"\s*INSERT INTO \S+ \(([^)]*)\) VALUES", re.I)


@cache
def _constraints() -> dict[str, tuple[str, str]]:
    """Constraint name (the metadata's naming convention) → (table, first column)."""
    names: dict[str, tuple[str, str]] = {}
    for table in orm.metadata.tables.values():
        for constraint in table.constraints:
            columns = list(getattr(constraint, "columns", ()))
            if constraint.name and columns:
                names[str(constraint.name)] = (table.name, columns[0].name)
    return names


def as_conflict(exc: BaseException) -> Conflict | None:
    """The domain's Conflict for a collision, or None when `exc` is something else.

    A lost race (version mismatch, deadlock, serialisation failure) is a ConcurrentChange,
    which is worth retrying; a duplicate is a plain Conflict, which is not.
    """
    if isinstance(exc, StaleDataError):
        match = _STALE_TABLE.search(str(exc))
        noun = _NOUN.get(match.group(1), "record") if match else "record"
        return ConcurrentChange(
            f"the {noun} was changed by someone else meanwhile; reload and retry")
    if isinstance(exc, IntegrityError):
        return _integrity(exc)
    if isinstance(exc, DBAPIError) and _sqlstate(exc) in _RACES:
        return ConcurrentChange("a concurrent change collided with this one; retry")
    return None


def _integrity(exc: IntegrityError) -> Conflict | None:
    state, text = _sqlstate(exc), str(exc.orig)
    if state == _FOREIGN_KEY or "FOREIGN KEY constraint failed" in text:
        return Conflict("something this change refers to was removed meanwhile; reload and retry")
    where = _unique_column(exc, state, text)
    if where is None:
        return None  # NOT NULL, CHECK: a bug, not a race — let it surface
    table, column = where
    if where == ("audit_log", "seq"):  # two appenders raced for the chain's next entry
        return ConcurrentChange("the audit log moved on meanwhile; retry")
    template = _DUPLICATE.get(where, f"that {table} exists already")
    value = _duplicate_value(exc, column, text)
    if "{value" in template and value is None:
        template = f"a {table} row with that {column} exists already"
    return Conflict(template.format(value=value))


def _unique_column(exc: IntegrityError, state: str | None, text: str) -> tuple[str, str] | None:
    if state == _UNIQUE:
        name = getattr(exc.orig, "constraint_name", None) or getattr(
            _driver_error(exc), "constraint_name", None)
        return _constraints().get(str(name), ("record", ""))
    match = _SQLITE_UNIQUE.search(text)  # SQLite says this of primary keys too
    return (match.group(1), match.group(2)) if match else None


def _duplicate_value(exc: IntegrityError, column: str, text: str) -> str | None:
    detail = getattr(_driver_error(exc), "detail", None) or text
    match = _PG_KEY.search(str(detail))
    if match and match.group(1) == column:
        return match.group(2)
    params, insert = exc.params, _INSERT.match(exc.statement or "")
    if isinstance(params, dict):
        found = params.get(column)
    elif isinstance(params, (tuple, list)) and insert:  # one row, positional (SQLite)
        columns = [c.strip().strip('"') for c in insert.group(1).split(",")]
        found = dict(zip(columns, params, strict=False)).get(column) \
            if len(columns) == len(params) else None
    else:
        found = None
    return found if isinstance(found, str) else None


def _driver_error(exc: DBAPIError) -> BaseException | None:
    """asyncpg's own exception (constraint name, detail) behind SQLAlchemy's adapter."""
    return getattr(exc.orig, "__cause__", None)


def _sqlstate(exc: DBAPIError) -> str | None:
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return str(state) if state else None
