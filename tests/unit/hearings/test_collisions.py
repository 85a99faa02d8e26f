"""The one map from a database collision to the domain's Conflict, on the errors as raised."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from hearings.adapters.collisions import as_conflict
from hearings.domain.errors import ConcurrentChange, Conflict


def sqlite_integrity(message: str, statement: str, params: tuple[object, ...]) -> IntegrityError:
    return IntegrityError(statement, params, sqlite3.IntegrityError(message))


def test_a_duplicate_names_what_was_duplicated_and_is_not_worth_retrying() -> None:
    exc = sqlite_integrity("UNIQUE constraint failed: courts.code",
                           "INSERT INTO courts (id, name, code) VALUES (?, ?, ?)",
                           ("c1", "某法院", "渝0113"))
    conflict = as_conflict(exc)
    assert type(conflict) is Conflict
    assert conflict.message == "a court with code '渝0113' exists already"
    assert conflict.code == "conflict"


def test_a_secret_that_collides_is_not_repeated_in_the_message() -> None:
    exc = sqlite_integrity("UNIQUE constraint failed: join_tokens.digest",
                           "INSERT INTO join_tokens (id, digest) VALUES (?, ?)", ("t", "ab" * 32))
    conflict = as_conflict(exc)
    assert conflict is not None and "ab" * 32 not in conflict.message


def test_a_lost_race_is_a_concurrent_change() -> None:
    stale = StaleDataError("UPDATE statement on table 'participants' expected to update "
                           "1 row(s); 0 were matched.")
    conflict = as_conflict(stale)
    assert isinstance(conflict, ConcurrentChange)
    assert conflict.message.startswith("the participant was changed by someone else")

    class Deadlock(Exception):
        sqlstate = "40P01"

    assert isinstance(as_conflict(OperationalError("UPDATE …", {}, Deadlock())), ConcurrentChange)


def test_a_bug_is_not_dressed_up_as_a_conflict() -> None:
    exc = sqlite_integrity("NOT NULL constraint failed: cases.title",
                           "INSERT INTO cases (id, title) VALUES (?, ?)", ("k", None))
    assert as_conflict(exc) is None
    assert as_conflict(ValueError("nope")) is None
