"""A cancellation that arrives as the awaited reply does is not lost (web/app/runtime.py): the
outbox sender, cancelled at shutdown as the SMTP relay answered, ran on for ever and the
server never stopped (CI: test_reminders_server hung 300 s)."""

from __future__ import annotations

import asyncio

import pytest

from web.app import runtime


async def _cancelled_as_the_reply_arrives() -> asyncio.Task[int]:
    reply: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def wait_for_reply() -> int:
        return await asyncio.wait_for(reply, 10)

    task = asyncio.create_task(wait_for_reply())
    await asyncio.sleep(0)  # the task waits for the reply
    reply.set_result(250)  # the relay answers ...
    task.cancel()  # ... in the same turn of the loop as the shutdown cancels the sender
    return task


async def test_the_installed_wait_for_keeps_a_cancellation_that_meets_the_reply() -> None:
    runtime.install()
    task = await _cancelled_as_the_reply_arrives()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_installed_wait_for_still_times_out_and_returns() -> None:
    runtime.install()
    never: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(never, 0.01)
    assert never.cancelled()
    assert await asyncio.wait_for(asyncio.sleep(0, "done"), 1) == "done"
