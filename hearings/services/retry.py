"""Running a command again when a concurrent writer committed first.

Rows that commands race on carry optimistic versions (hearings/adapters): the loser's
whole unit of work rolls back and raises `ConcurrentChange`. State-machine commands (a
connection came or went, the recorder failed, the judge paused) are read and tried again:
the state table re-decides on fresh state, so a lost race is never a spurious 409. Edits
of free text (the transcript) are not retried: the clerk must see the other change.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from hearings.domain.errors import ConcurrentChange

__all__ = ["ATTEMPTS", "retried"]

ATTEMPTS = 5
P = ParamSpec("P")
T = TypeVar("T")


def retried(command: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """`command` again (up to ATTEMPTS in all, with a short random backoff) on a lost race.

    Only for commands that push nothing before their commit: a retry re-reads and
    re-decides, so nothing is done twice.
    """

    @functools.wraps(command)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await command(*args, **kwargs)
            except ConcurrentChange:
                if attempt == ATTEMPTS:
                    raise
                await asyncio.sleep(random.uniform(0, 0.01 * 2 ** attempt))
        raise AssertionError("unreachable")

    return run
