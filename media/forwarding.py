"""Selective forwarding: each participant's encoded frames to the others' send slots.

One `Forwarder` per hearing. Every server peer that publishes (its upstream audio and
video, the frames the recorder stores) hands each complete frame to `frame()`, which
feeds the `ForwardedTrack`s routed from that publisher — the same bytes, never decoded.
Every server peer that receives has a fixed set of send **slots** (one per `recvonly`
section the page offered): `assign()` decides which publisher feeds which slot, for every
subscriber at once, from

* the room's rules (`Audience`, from web/): the same side of the consultation wall, not
  an observer, not muted (audio), not removed — a peer the audience does not name gets
  nothing and goes to nobody;
* the subscriber's own choice: audio-only receive (`receive_video = False`);
* last-N video: the presiding judge, then the `last_n` most active speakers (speech told
  from the Opus packet sizes, fading over a few seconds, with hysteresis so that two
  people talking at once do not make the pictures flap), within the slots offered.

A slot keeps its publisher while it stays chosen (no needless switching); a subscriber
is told the slot map (`on_slots(hearing_id, participant_id, {"audio": {mid: publisher},
"video": {mid: publisher}})`) whenever it changes.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import av

from media.forwarding_audience import Audience
from media.forwarding_track import ForwardedTrack
from media.passthrough import is_keyframe

__all__ = ["DEFAULT_LAST_N", "Forwarder", "OnSlots", "SlotMap"]

logger = logging.getLogger(__name__)

DEFAULT_LAST_N = 4
SPEECH_BYTES = 40  # an Opus frame this large carries sound (silence packs into a few bytes)
_DECAY_S = 2.0  # speech activity fades with this time constant
_DISPLACE = 1.5  # a speaker replaces a shown one only when this much more active
_KEYFRAME_INTERVAL = 0.25  # at most this often a PLI to one publisher
_SPEAKER_SWITCH_S = 1.0  # last-N follows speech at most this often

SlotMap = dict[str, dict[str, str]]  # {"audio"|"video": {mid: publisher id}}
OnSlots = Callable[[str, str, SlotMap], None]


class ForwardingPeer(Protocol):
    """What the forwarder needs of a server peer (media/peers.py `ServerPeer`)."""

    slots: list[ForwardedTrack]
    publishes: frozenset[str]  # the kinds of its upstream
    receive_video: bool

    async def request_keyframe(self) -> None: ...


class Forwarder:
    def __init__(self, hearing_id: str, peers: dict[str, Any], *, last_n: int = DEFAULT_LAST_N,
                 on_slots: OnSlots | None = None) -> None:
        self.hearing_id = hearing_id
        self.peers: dict[str, ForwardingPeer] = peers  # the hearing's, shared
        self.audience: Audience | None = None
        self.last_n = last_n
        self._on_slots = on_slots
        self._routes: dict[tuple[str, str], list[ForwardedTrack]] = {}
        self._told: dict[str, SlotMap] = {}
        self._asked: dict[str, float] = {}
        self._activity: dict[str, tuple[float, float]] = {}  # publisher → (score, at)
        self._speakers: tuple[str, ...] = ()
        self._reassign_at = 0.0
        self._tasks: set[asyncio.Task[None]] = set()

    # -- frames in --------------------------------------------------------------------
    def frame(self, publisher: str, kind: str, packet: av.Packet, mime_type: str) -> None:
        """A publisher's complete frame (on the event loop, before the recorder sees it)."""
        if kind == "audio" and packet.size >= SPEECH_BYTES:
            self._heard(publisher, packet.size)
        routes = self._routes.get((publisher, kind))
        if not routes:
            return
        data = bytes(packet)
        pts = int(packet.pts or 0)
        keyframe = kind == "audio" or is_keyframe(mime_type, data)
        for track in routes:
            track.feed(publisher, data, pts, keyframe)

    def want_keyframe(self, publisher: str) -> None:
        """A subscriber needs a keyframe of `publisher` (new slot, PLI/FIR): one PLI upstream."""
        now = time.monotonic()
        if now - self._asked.get(publisher, 0.0) < _KEYFRAME_INTERVAL:
            return
        peer = self.peers.get(publisher)
        if peer is None:
            return
        self._asked[publisher] = now
        task = asyncio.ensure_future(peer.request_keyframe())
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("keyframe request failed: %s", task.exception())

    def _heard(self, publisher: str, size: int) -> None:
        """Speech from `publisher`: its activity rises; last-N may change (hysteresis)."""
        now = time.monotonic()
        self._activity[publisher] = (self.activity(publisher, now) + size, now)
        if now < self._reassign_at:
            return
        self._reassign_at = now + _SPEAKER_SWITCH_S
        ranked = self._ranked(now)
        if ranked[: self.last_n] != self._speakers[: self.last_n]:
            self.assign()

    def activity(self, publisher: str, now: float | None = None) -> float:
        score, at = self._activity.get(publisher, (0.0, 0.0))
        now = time.monotonic() if now is None else now
        return score * math.exp(-(now - at) / _DECAY_S)

    def _ranked(self, now: float) -> tuple[str, ...]:
        """Publishers by speech activity; a shown one keeps its place against a newcomer
        until the newcomer is clearly more active."""
        score = {p: self.activity(p, now) for p in self._activity}
        shown = set(self._speakers[: self.last_n])
        boosted = {p: s * (_DISPLACE if p in shown else 1.0) for p, s in score.items()}
        return tuple(sorted(boosted, key=lambda p: (-boosted[p], p)))

    # -- slots ------------------------------------------------------------------------
    def assign(self) -> None:
        """Recompute every subscriber's slots from the audience and the speakers."""
        self._speakers = self._ranked(time.monotonic())
        routes: dict[tuple[str, str], list[ForwardedTrack]] = {}
        for subscriber, peer in list(self.peers.items()):
            if not peer.slots:
                continue
            paired: dict[str, int] = {}  # publisher → its video slot's index
            for kind in ("video", "audio"):
                slots = [t for t in peer.slots if t.kind == kind]
                chosen = self._choose(subscriber, peer, kind, len(slots))
                _place(slots, chosen, paired if kind == "audio" else None)
                if kind == "video":
                    paired = {t.source: i for i, t in enumerate(slots) if t.source is not None}
                for track in slots:
                    if track.source is not None:
                        routes.setdefault((track.source, kind), []).append(track)
            self._tell(subscriber, peer)
        self._routes = routes

    def _choose(self, subscriber: str, peer: ForwardingPeer, kind: str, room: int) -> list[str]:
        audience = self.audience
        if audience is None or room == 0 or (kind == "video" and not peer.receive_video):
            return []
        candidates = [p for p, other in self.peers.items()
                      if kind in other.publishes and audience.may_receive(subscriber, p, kind)]
        order = {p: i for i, p in enumerate(self._speakers)}
        candidates.sort(key=lambda p: order.get(p, len(order)))
        if kind == "audio":
            return candidates[:room]
        presiding = [p for p in candidates if _presiding(audience, p)]
        others = [p for p in candidates if p not in presiding][: self.last_n]
        return (presiding + others)[:room]

    def _tell(self, subscriber: str, peer: ForwardingPeer) -> None:
        slots: SlotMap = {"audio": {}, "video": {}}
        for track in peer.slots:
            if track.source is not None and track.mid is not None:
                slots[track.kind][track.mid] = track.source
        if self._told.get(subscriber) == slots:
            return
        self._told[subscriber] = slots
        if self._on_slots is not None:
            try:
                self._on_slots(self.hearing_id, subscriber, slots)
            except Exception:  # a listener's bug must not stop forwarding
                logger.exception("on_slots callback failed")

    def forget(self, participant_id: str) -> None:
        """A peer went away: nothing more is routed from or told to it."""
        self._told.pop(participant_id, None)
        self._activity.pop(participant_id, None)
        self.assign()

    def slots_of(self, participant_id: str) -> SlotMap:
        return self._told.get(participant_id, {"audio": {}, "video": {}})


def _presiding(audience: Audience, participant_id: str) -> bool:
    seat = audience.seat(participant_id)
    return seat is not None and seat.presiding


def _place(slots: list[ForwardedTrack], chosen: Iterable[str],
           prefer: dict[str, int] | None = None) -> None:
    """Keep each chosen publisher in the slot it has; the others go to the freed slots —
    to the slot of index `prefer[publisher]` when that one is free. (A publisher's audio
    goes beside its video: audio slot n and video slot n are one MediaStream at the
    subscriber, which Chromium keeps in lip sync; media/peers.py `_add_slot`.)"""
    wanted = list(chosen)
    kept = {t.source for t in slots if t.source in wanted}
    free = [i for i, t in enumerate(slots) if t.source not in kept]
    newcomers = [p for p in wanted if p not in kept]
    feeds: dict[int, str | None] = {}
    for publisher in list(newcomers):
        index = (prefer or {}).get(publisher)
        if index is not None and index in free and index not in feeds:
            feeds[index] = publisher
            newcomers.remove(publisher)
    for index in free:
        if index not in feeds:
            feeds[index] = newcomers.pop(0) if newcomers else None
    for index, source in feeds.items():
        slots[index].switch(source)
