"""The event bus: domain events reach their subscribers after the unit of work commits.

Subscribers are registered in the one wiring place (web/app.py; tests' fixtures do the
same): signaling tells the room, the recording driver follows the recording, the
transcript freezes at close. `publish` calls them in order of subscription, one event
after the other in the order they were recorded; a subscriber's error is logged and
goes no further — the change is committed, the request that made it succeeded, and the
other subscribers still hear of it.

In this process only, for now: with Redis, the next step is a bridge (in web/) that
publishes each event's JSON envelope (hearings.events.envelope) on a channel and hands
what other processes publish to this bus's subscribers that follow every process
(the media workers), while room pushes stay with the process that made the change
(socket.io's manager already reaches every process's sockets).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from hearings.events import Event

__all__ = ["Bus", "Subscriber"]

log = logging.getLogger("yunting.bus")

E = TypeVar("E", bound=Event)
Subscriber = Callable[[Any], Awaitable[None]]


class Bus:
    def __init__(self) -> None:
        self._subscribers: dict[type[Event], list[Subscriber]] = {}

    def subscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        self._subscribers.setdefault(event_type, []).append(handler)

    def subscribers(self, event_type: type[Event]) -> list[Subscriber]:
        return list(self._subscribers.get(event_type, ()))

    async def publish(self, events: Iterable[Event]) -> None:
        """Never raises: a failing subscriber is logged and the others still run."""
        for event in events:
            for handler in self._subscribers.get(type(event), ()):
                try:
                    await handler(event)
                except Exception:
                    log.exception("subscriber %s failed on %s for hearing %s",
                                  getattr(handler, "__qualname__", handler), event.event_type,
                                  event.hearing_id)
