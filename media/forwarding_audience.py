"""Who may see and hear whom in a hearing: the room's rules as the forwarder applies them.

The web layer computes an `Audience` in one place (web/bridges/media_audience.py) from the
hearing's participants and the signaling presence (sides of the consultation wall, mute)
and hands it to `MediaService.set_audience`. It is plain JSON (`to_json`/`from_json`) so
a media worker in another process can receive it as it is.

A participant's **side** is `"hearing"` while inside, the consultation's id while in a
private consultation, and None otherwise (waiting, outside witness, disconnected,
removed). Media flows only between two different participants on the same side; a
participant who does not publish (an observer) is never forwarded; a muted participant's
audio is not forwarded; only the `"hearing"` side is recorded. A participant the audience
does not name receives nothing and is forwarded to nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAIN_SIDE", "Audience", "Seat"]

MAIN_SIDE = "hearing"
_MAX_ID = 128


@dataclass(frozen=True)
class Seat:
    side: str | None = None  # MAIN_SIDE, a consultation id, or None: outside
    publishes: bool = True  # False for an observer: receives, never forwarded
    muted: bool = False  # the hearing's mute: audio not forwarded
    presiding: bool = False  # always among the videos of last-N
    removed: bool = False  # removed from the hearing: every leg is closed

    def __post_init__(self) -> None:
        if self.side is not None and (not isinstance(self.side, str)
                                      or not 0 < len(self.side) <= _MAX_ID):
            raise ValueError(f"'side' must be None or 1-{_MAX_ID} characters (got {self.side!r})")

    def to_json(self) -> dict[str, Any]:
        return {"side": self.side, "publishes": self.publishes, "muted": self.muted,
                "presiding": self.presiding, "removed": self.removed}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Seat:
        unknown = set(data) - {"side", "publishes", "muted", "presiding", "removed"}
        if unknown:
            raise ValueError(f"unknown seat fields {sorted(unknown)}")
        flags = {k: data[k] for k in ("publishes", "muted", "presiding", "removed") if k in data}
        for name, value in flags.items():
            if not isinstance(value, bool):
                raise ValueError(f"'{name}' must be a bool (got {value!r})")
        return cls(side=data.get("side"), **flags)


@dataclass(frozen=True)
class Audience:
    """Seats by media participant id (the identity with ':' as '-')."""

    seats: dict[str, Seat] = field(default_factory=dict)

    def seat(self, participant_id: str) -> Seat | None:
        return self.seats.get(participant_id)

    def may_receive(self, subscriber: str, publisher: str, kind: str) -> bool:
        """Whether `subscriber` may be sent `publisher`'s `kind` ("audio" or "video")."""
        if subscriber == publisher:
            return False
        sub, pub = self.seats.get(subscriber), self.seats.get(publisher)
        if sub is None or pub is None or sub.removed or pub.removed:
            return False
        if sub.side is None or sub.side != pub.side or not pub.publishes:
            return False
        return not (kind == "audio" and pub.muted)

    def recorded(self, participant_id: str) -> bool:
        seat = self.seats.get(participant_id)
        return seat is not None and seat.side == MAIN_SIDE and not seat.removed

    def to_json(self) -> dict[str, Any]:
        return {"seats": {pid: seat.to_json() for pid, seat in self.seats.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Audience:
        seats = data.get("seats")
        if not isinstance(seats, Mapping):
            raise ValueError("'seats' must be an object of participant id → seat")
        return cls({str(pid): Seat.from_json(seat) for pid, seat in seats.items()})
