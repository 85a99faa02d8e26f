"""Who may send which event: the one table every incoming message is checked against.

A connection has exactly one standing at a time. The domain still checks its own
rules (only the presiding judge hosts, a locked microphone stays muted, ...); this
table refuses early and uniformly, and is what docs/protocol.md prints.
"""

from __future__ import annotations

from enum import StrEnum

from signaling.errors import NotAllowed

__all__ = ["TABLE", "Standing", "authorise", "may_address"]


class Standing(StrEnum):
    HOST = "host"  # the presiding judge (or the mediator of a mediation)
    STAFF = "staff"  # other court staff in the room: clerk, assessor
    PARTY = "party"  # an admitted participant who publishes
    CONSULTING = "consulting"  # a party inside a lawyer–client consultation room
    WAITING = "waiting"  # in the lobby, not yet admitted
    OBSERVER = "observer"  # the public: receives, never publishes, not listed
    HELD = "held"  # a second connection of one identity, until the judge decides


H, S, P, C, W, OB, X = (Standing.HOST, Standing.STAFF, Standing.PARTY, Standing.CONSULTING,
                        Standing.WAITING, Standing.OBSERVER, Standing.HELD)
_PRESENT = frozenset({H, S, P, C, W, OB})
_SPEAKING = frozenset({H, S, P, C})

TABLE: dict[str, frozenset[Standing]] = {
    "snapshot.request": frozenset({*_PRESENT, X}),
    "hearing.control": frozenset({H}),
    "recording.control": frozenset({H}),
    "lobby.admit": frozenset({H}),
    "lobby.deny": frozenset({H}),
    "lobby.send_back": frozenset({H}),
    "witness.call": frozenset({H}),
    "witness.dismiss": frozenset({H}),
    "participant.remove": frozenset({H}),
    "participant.mute": frozenset({H}),
    "self.mute": _SPEAKING,
    "session.resolve": frozenset({H}),
    "consultation.request": frozenset({P}),
    "consultation.accept": frozenset({P}),
    "consultation.reject": frozenset({P}),
    "consultation.leave": frozenset({C}),
    "hand.raise": frozenset({P}),
    "hand.lower": frozenset({P}),
    "hand.clear": frozenset({H}),
    "chat.send": frozenset({P, C, W}),
    "chat.reply": frozenset({H, S}),
    "help.request": frozenset({P, C, W}),
    "heartbeat": _PRESENT,
    # Observers negotiate receive-only media with the server's peer (see may_address).
    "rtc.offer": frozenset({*_SPEAKING, OB}),
    "rtc.answer": frozenset({*_SPEAKING, OB}),
    "rtc.candidate": frozenset({*_SPEAKING, OB}),
    "media.audio_only": frozenset({*_SPEAKING, OB}),
}


def authorise(event: str, standing: Standing) -> None:
    allowed = TABLE.get(event, frozenset())
    if standing not in allowed:
        raise NotAllowed(f"{event} is not allowed for a connection that is {standing.value}")


def may_address(
    standing: Standing, *, target_is_media: bool, same_room: bool
) -> None:
    """Check an rtc.* target: the consultation wall and the observer's one peer.

    `same_room` is whether sender and target are on the same side of the wall
    (both in the hearing, or both in one consultation room).
    """
    if target_is_media:
        if standing is Standing.CONSULTING:
            # The server's peer records the hearing: a consultation is not recorded.
            raise NotAllowed("a consultation is private: no media to the server's peer")
        return
    if standing is Standing.OBSERVER:
        raise NotAllowed("an observer negotiates only with the server's media peer")
    if not same_room:
        raise NotAllowed("the target is not in the same room as you")
