"""A page learns its slot map even when its web process never saw the hearing's roster."""

from __future__ import annotations

import asyncio
from typing import Any

from web.bridges.media_audience import MediaAudience, identity_of
from web.bridges.recording import media_id


def test_identity_of_inverts_media_id() -> None:
    for identity in ("staff:3f9a", "p_01HZX", "participant-7"):
        assert identity_of(media_id(identity)) == identity


class _Hub:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str, Any]] = []

    async def emit_person(self, hearing_id: str, identity: str, event: str, payload: Any) -> None:
        self.sent.append((hearing_id, identity, event, payload))


class _Signaling:
    def __init__(self) -> None:
        self.hub = _Hub()


async def test_slots_reach_a_page_whose_roster_another_process_saw() -> None:
    audience = MediaAudience(media=None)  # type: ignore[arg-type]
    audience.signaling = _Signaling()
    audience.on_slots("h1", "staff-42", {"audio": {"1": "p_9"}, "video": {"2": "staff-7"}})
    await asyncio.sleep(0)
    assert audience.signaling.hub.sent == [
        ("h1", "staff:42", "media.slots", {"audio": {"1": "p_9"}, "video": {"2": "staff:7"}})]
