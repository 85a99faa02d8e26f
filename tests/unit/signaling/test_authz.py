from __future__ import annotations

import pytest

from signaling import messages
from signaling.authz import TABLE, Standing, authorise, may_address
from signaling.errors import NotAllowed

HOST_ONLY = ["hearing.control", "lobby.admit", "lobby.deny", "lobby.send_back", "witness.call",
             "witness.dismiss", "participant.remove", "participant.mute", "session.resolve",
             "hand.clear"]


def test_every_event_has_a_rule_and_every_rule_an_event() -> None:
    assert set(TABLE) == set(messages.EVENTS)


@pytest.mark.parametrize("event", HOST_ONLY)
@pytest.mark.parametrize("standing", [s for s in Standing if s is not Standing.HOST])
def test_host_controls_refused_to_everyone_else(event: str, standing: Standing) -> None:
    with pytest.raises(NotAllowed, match=f"{event} is not allowed for a connection that is "
                                         f"{standing.value}"):
        authorise(event, standing)


def test_observer_never_publishes_or_speaks() -> None:
    allowed = {e for e, who in TABLE.items() if Standing.OBSERVER in who}
    assert allowed == {"snapshot.request", "heartbeat", "rtc.offer", "rtc.answer",
                       "rtc.candidate", "media.audio_only"}
    with pytest.raises(NotAllowed, match="only with the server's media peer"):
        may_address(Standing.OBSERVER, target_is_media=False, same_room=True)


def test_held_connection_may_only_ask_for_a_snapshot() -> None:
    assert {e for e, who in TABLE.items() if Standing.HELD in who} == {"snapshot.request"}


def test_consultation_wall() -> None:
    with pytest.raises(NotAllowed, match="not in the same room"):
        may_address(Standing.PARTY, target_is_media=False, same_room=False)
    with pytest.raises(NotAllowed, match="a consultation is private"):
        may_address(Standing.CONSULTING, target_is_media=True, same_room=True)
    may_address(Standing.CONSULTING, target_is_media=False, same_room=True)


def test_waiting_room_cannot_negotiate_media() -> None:
    for event in ("rtc.offer", "rtc.answer", "rtc.candidate"):
        with pytest.raises(NotAllowed):
            authorise(event, Standing.WAITING)
