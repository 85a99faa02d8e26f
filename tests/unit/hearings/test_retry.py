"""A command the system issues on its own reads and tries again after a lost race."""

from __future__ import annotations

import pytest

from hearings.domain.errors import ConcurrentChange, Conflict
from hearings.services.retry import ATTEMPTS, retried


async def test_a_lost_race_is_tried_again_until_it_wins() -> None:
    calls: list[int] = []

    @retried
    async def command(value: int) -> int:
        calls.append(value)
        if len(calls) < 3:
            raise ConcurrentChange("hearing changed meanwhile")
        return value * 2

    assert await command(21) == 42
    assert calls == [21, 21, 21]


async def test_it_gives_up_after_the_last_attempt() -> None:
    calls = 0

    @retried
    async def command() -> None:
        nonlocal calls
        calls += 1
        raise ConcurrentChange("always")

    with pytest.raises(ConcurrentChange):
        await command()
    assert calls == ATTEMPTS


async def test_a_duplicate_is_not_retried() -> None:
    calls = 0

    @retried
    async def command() -> None:
        nonlocal calls
        calls += 1
        raise Conflict("case exists already")

    with pytest.raises(Conflict):
        await command()
    assert calls == 1
