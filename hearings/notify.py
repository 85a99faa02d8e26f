"""Notifying people who are not in the room: an outbox of notifications, sent by a Notifier.

A handler adds `Notification` rows in its own unit of work (so a notification exists if
and only if what it announces was committed); `Outbox.dispatch` later hands unsent ones
to whichever `Notifier` is configured (SMS, e-mail); without one they wait in the table,
where a clerk sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hearings.actors import Actor, require_staff
from hearings.errors import PermissionDenied
from hearings.identity import new_id, utcnow
from hearings.ports import Notifier, UnitOfWork

__all__ = ["Notification", "Outbox"]


@dataclass(eq=False)
class Notification:
    hearing_id: str
    recipient: str  # participant id
    recipient_name: str
    subject: str
    body: str
    document_id: str | None = None
    channel: str = "outbox"  # which notifier sent it, once sent
    created_at: datetime = field(default_factory=utcnow)
    sent_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    # A sender's lease on the row while it sends (several processes send the outbox): no
    # other sender takes it before `claimed_until`; a crashed sender's lease just expires.
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    id: str = field(default_factory=new_id)


# How long a sender holds the notifications it took: far longer than a round of sends
# (the gateway's timeout is 5 s each), so that only a crashed sender's lease runs out.
CLAIM_LEASE = timedelta(minutes=5)


class Outbox:
    def __init__(self, uow: Callable[[], UnitOfWork], notifier: Notifier | None = None) -> None:
        self._uow = uow
        self._notifier = notifier
        self.sender = new_id()  # this process's name on the rows it claims

    async def of_hearing(self, actor: Actor, hearing_id: str) -> list[Notification]:
        """What was (or is still to be) sent about a hearing: staff of its court only."""
        require_staff(actor)
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            if actor.court_id not in (None, case.court_id):
                raise PermissionDenied("this hearing belongs to another court")
            return await uow.outbox.of_hearing(hearing_id)

    async def dispatch(self, limit: int = 100) -> int:
        """Send what is waiting, each notification by one sender only; a failure is recorded
        on the row and retried next time.

        Several processes run this: each first claims the rows it will send (a lease, in a
        transaction of its own), sends them with no transaction open, then records the
        outcome of each row it still holds. A row claimed by a sender that died is taken
        again once its lease has run out.
        """
        notifier = self._notifier
        if notifier is None:
            return 0
        async with self._uow() as uow:
            notes = await uow.outbox.claim(self.sender, utcnow() + CLAIM_LEASE, limit)
            await uow.commit()
        outcome: dict[str, str | None] = {}
        for note in notes:
            try:
                await notifier.send(note)
            except Exception as exc:  # an adapter's failure must not stop the others
                outcome[note.id] = f"{type(exc).__name__}: {exc}"[:500]
            else:
                outcome[note.id] = None
        if not outcome:
            return 0
        sent = 0
        async with self._uow() as uow:
            for note in await uow.outbox.claimed(self.sender, list(outcome)):
                note.attempts += 1
                error = outcome[note.id]
                if error is None:
                    note.sent_at, note.channel = utcnow(), notifier.channel
                    sent += 1
                else:
                    note.last_error = error
                note.claimed_by = note.claimed_until = None
            await uow.commit()
        return sent
