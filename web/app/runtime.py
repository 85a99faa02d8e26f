"""What every yunting process installs before its event loop runs (`install`).

Python 3.11's `asyncio.wait_for` loses a cancellation that arrives as the awaited operation
completes: it returns the result and the task runs on as if never cancelled (CPython
gh-86296, fixed in 3.12 by building `wait_for` on `asyncio.timeout`). aiosmtplib waits for
every SMTP reply that way, so the outbox sender cancelled at shutdown as the relay answered
went on sending, and the server's shutdown waited for it for ever. 3.12's `wait_for`
replaces 3.11's here, once, for every library of the process; on 3.12 this does nothing.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["install", "wait_for"]

T = TypeVar("T")


async def wait_for(awaitable: Awaitable[T], timeout: float | None) -> T:  # noqa: ASYNC109
    """Python 3.12's `asyncio.wait_for`: a cancellation is never lost."""
    async with asyncio.timeout(timeout):
        return await awaitable


def install() -> None:
    if sys.version_info < (3, 12):
        asyncio.wait_for = asyncio.tasks.wait_for = wait_for  # type: ignore[assignment]
