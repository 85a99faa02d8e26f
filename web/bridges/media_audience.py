"""The media forwarder's audience, computed in one place (issue 15.2).

Who may see and hear whom follows from the hearing (each participant's state, mute,
removal; from the database) and from signaling's presence (who is connected, on which
side of a consultation's wall, who hosts, who only watches). Signaling calls `refresh`
after every change of the participant list (`Hub.on_roster`, the same moment the room is
sent `participants`); the media answer calls it too, so a peer made after a restart
starts with the rules. `MediaService.set_audience` then applies them in the forwarder.

`on_slots` turns the forwarder's slot map (media ids) into the page's `media.slots`
event (identities), sent to that person's connections only.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from hearings.domain.actors import SYSTEM
from hearings.domain.hearing import Hearing
from hearings.domain.participants import Role
from hearings.domain.states import ParticipantState
from media.forwarding import SlotMap
from media.forwarding_audience import MAIN_SIDE, Audience, Seat
from media.peers import MediaService
from signaling.presence import Routing
from web.bridges.recording import media_id

__all__ = ["MediaAudience", "audience_of", "identity_of"]

log = logging.getLogger(__name__)


def audience_of(hearing: Hearing, routing: Routing) -> Audience:
    """Seats by media id: the hearing's participants as presence sees them now."""
    seats: dict[str, Seat] = {}
    for p in hearing.participants:
        if p.state is ParticipantState.REMOVED:
            seats[media_id(p.id)] = Seat(removed=True)
    for identity, member in routing.members.items():
        mid = media_id(identity)
        if mid in seats:
            continue
        cid = routing.consultation.get(identity)
        seat = None
        if member.participant_id is not None:
            seat = next((p for p in hearing.participants if p.id == member.participant_id),
                        None)
        if member.participant_id is None:  # staff without a seat: always inside
            side: str | None = cid or MAIN_SIDE
        elif seat is None:
            side = None
        elif seat.state is ParticipantState.IN_CONSULTATION:
            side = cid  # None while presence has not caught up: nothing flows meanwhile
        elif seat.state is ParticipantState.IN_HEARING:
            side = MAIN_SIDE
        else:
            side = None
        seats[mid] = Seat(
            side=side,
            publishes=not member.observer and (seat is None or seat.role is not Role.OBSERVER),
            # The judge's mute is the hearing's: inside a consultation the microphone is
            # the party's own (as signaling's self.mute says).
            muted=bool(seat is not None and seat.muted and side == MAIN_SIDE),
            presiding=member.host)
    return Audience(seats)


def identity_of(media: str) -> str:
    """The signaling identity a media id was made from: "staff-<id>" was "staff:<id>"."""
    return f"staff:{media[6:]}" if media.startswith("staff-") else media


class MediaAudience:
    """Feeds `MediaService.set_audience` and sends pages their slot maps."""

    def __init__(self, media: MediaService) -> None:
        self.media = media
        self.signaling: Any = None  # web.app.application sets the Signaling once it exists
        self.services: Any = None  # the app's services, once the database is open
        self._identities: dict[str, dict[str, str]] = {}  # hearing → media id → identity
        self._tasks: set[asyncio.Task[None]] = set()

    async def on_roster(self, hearing_id: str, hearing: Hearing, routing: Routing) -> None:
        audience = audience_of(hearing, routing)
        names = self._identities.setdefault(hearing_id, {})
        names.update({media_id(i): i for i in routing.members})
        names.update({media_id(p.id): p.id for p in hearing.participants})
        # A media plane without a forwarder yet (another process's proxy) records as before.
        set_audience = getattr(self.media, "set_audience", None)
        if set_audience is not None:
            await set_audience(hearing_id, audience.to_json())

    async def refresh(self, hearing_id: str) -> None:
        """Read the hearing and presence now and apply them (before a media answer)."""
        if self.services is None or self.signaling is None:
            return
        hearing = await self.services.scheduling.hearing(SYSTEM, hearing_id)
        routing = await self.signaling.hub.presence.routing(hearing_id, fresh=True)
        await self.on_roster(hearing_id, hearing, routing)

    def on_slots(self, hearing_id: str, participant_id: str, slots: SlotMap) -> None:
        """Called by the forwarder on the loop: the page learns which mid carries whom."""
        if self.signaling is None:
            return
        # With media workers the roster may have been seen by another web process: the
        # identity then follows from the media id itself (media_id's inverse).
        names = self._identities.get(hearing_id, {})
        identity = names.get(participant_id) or identity_of(participant_id)
        payload = {kind: {mid: names.get(pub) or identity_of(pub) for mid, pub in by_mid.items()}
                   for kind, by_mid in slots.items()}
        task = asyncio.ensure_future(self.signaling.hub.emit_person(
            hearing_id, identity, "media.slots", payload))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("media.slots not sent: %s", task.exception())
