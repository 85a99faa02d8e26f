"""The event bus: domain events reach their subscribers after the unit of work commits.

Subscribers are registered in the one wiring place (web/app/application.py; tests' fixtures do the
same): signaling tells the room, the recording driver follows the recording, the
transcript freezes at close. `publish` calls them in order of subscription, one event
after the other in the order they were recorded; a subscriber's error is logged and
goes no further — the change is committed, the request that made it succeeded, and the
other subscribers still hear of it.

A subscriber hears the events of its own process; one subscribed `everywhere=True` hears
every process's too, when the wiring place gives the bus an `outbound` (web/bridges/event_relay.py:
each event's JSON envelope on a Redis channel; `receive` hands what another process sent
to the `everywhere` subscribers only). Pushes into the rooms stay with the process that
made the change — socket.io's manager already reaches every process's sockets — while
whatever runs per process (a media worker's recorders) subscribes everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from hearings.domain.events import Event

__all__ = ["Bus", "Outbound", "Subscriber"]

log = logging.getLogger("yunting.bus")

E = TypeVar("E", bound=Event)
Subscriber = Callable[[Any], Awaitable[None]]


Outbound = Callable[[list[Event]], Awaitable[None]]


class Bus:
    def __init__(self) -> None:
        self._subscribers: dict[type[Event], list[tuple[Subscriber, bool]]] = {}
        self.outbound: Outbound | None = None  # to the other processes (web/bridges/event_relay.py)

    def subscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None]], *,
                  everywhere: bool = False) -> None:
        self._subscribers.setdefault(event_type, []).append((handler, everywhere))

    def subscribers(self, event_type: type[Event]) -> list[Subscriber]:
        return [handler for handler, _ in self._subscribers.get(event_type, ())]

    async def publish(self, events: Iterable[Event]) -> None:
        """This process's events (the unit of work's, after commit). Never raises: a failing
        subscriber is logged and the others still run; then the other processes are told."""
        events = list(events)
        for event in events:
            await self._dispatch(event, only_everywhere=False)
        if self.outbound is not None and events:
            try:
                await self.outbound(events)
            except Exception:
                log.exception("events not sent to the other processes: %s",
                              [e.event_type for e in events])

    async def receive(self, event: Event) -> None:
        """Another process's event: for the subscribers that follow every process."""
        await self._dispatch(event, only_everywhere=True)

    async def _dispatch(self, event: Event, *, only_everywhere: bool) -> None:
        for handler, everywhere in self._subscribers.get(type(event), ()):
            if only_everywhere and not everywhere:
                continue
            try:
                await handler(event)
            except Exception:
                log.exception("subscriber %s failed on %s for hearing %s",
                              getattr(handler, "__qualname__", handler), event.event_type,
                              event.hearing_id)
