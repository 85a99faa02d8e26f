"""Ending a staff account's open connections at once: disabled, or its password reset.

The account's session rows are deleted first (hearings.services.accounts), so no reconnection
gets in; this ends the sockets that are open now. Each is told why (`session.ended`),
then disconnected: its hearings' connections (/hearing: the connection's actor is the
account) and its consoles (/court: the account's room). With Redis, every other
process is asked to do the same for its own (`HearingChannels.end_user`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from signaling.config import NAMESPACE
from signaling.court import COURT_NAMESPACE, user_room
from signaling.manager import HearingChannels

if TYPE_CHECKING:
    from signaling.server import Signaling

__all__ = ["SESSION_ENDED", "SessionEnder"]

log = logging.getLogger("yunting.signaling")
SESSION_ENDED = "session.ended"


class SessionEnder:
    def __init__(self, signaling: Signaling) -> None:
        self._signaling = signaling
        self._tasks: set[asyncio.Task[int]] = set()
        manager = signaling.sio.manager
        if isinstance(manager, HearingChannels):
            manager.on_end_user = self._from_elsewhere

    async def end_user(self, user_id: str) -> None:
        """End `user_id`'s connections here and on every other process."""
        await self.end_here(user_id)
        manager = self._signaling.sio.manager
        if isinstance(manager, HearingChannels):
            await manager.end_user(user_id)

    async def end_here(self, user_id: str) -> int:
        """This process's connections of `user_id`; how many were ended."""
        sio = self._signaling.sio
        ended = 0
        payload = {"reason": "account_disabled_or_reset"}
        hearing = [sid for sid, conn in list(self._signaling.namespace.connections.items())
                   if conn.actor.kind == "staff" and conn.actor.id == user_id]
        for sid in hearing:
            await sio.emit(SESSION_ENDED, payload, to=sid, namespace=NAMESPACE)
            await sio.disconnect(sid, NAMESPACE, ignore_queue=True)
            ended += 1
        room = user_room(user_id)
        if room in sio.manager.rooms.get(COURT_NAMESPACE, {}):
            consoles = [sid for sid, _ in sio.manager.get_participants(COURT_NAMESPACE, room)]
            for sid in consoles:
                await sio.emit(SESSION_ENDED, payload, to=sid, namespace=COURT_NAMESPACE)
                await sio.disconnect(sid, COURT_NAMESPACE, ignore_queue=True)
                ended += 1
        if ended:
            log.info("ended %d connection(s) of staff account %s", ended, user_id)
        return ended

    def _from_elsewhere(self, user_id: str) -> None:
        """Another process asked (from the Redis listener: do not hold it up)."""
        task = asyncio.ensure_future(self.end_here(user_id))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[int]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("ending connections failed: %s", task.exception())
