"""The socket.io staff join reads the hearing through the access policy (hearings/domain/policy.py):
another court's staff, an account without a court and a mediator without a seat stay out;
an administrator without a court comes in (issue 11's matrix, on the socket side)."""

from __future__ import annotations

import pytest
import socketio

from hearings.domain.actors import SYSTEM
from hearings.domain.commands import CreateStaffUser
from tests.factories import make_trial
from tests.integration.signaling.conftest import Room_


async def _session(room: Room_, username: str, role: str, court_id: str | None) -> str:
    await room.services.access.create_staff_user(SYSTEM, CreateStaffUser(
        username, username, role, f"{username}-password-1", court_id))  # type: ignore[arg-type]
    return (await room.services.access.login(username, f"{username}-password-1")).secret


async def _refusal(room: Room_, secret: str) -> str:
    c = room.client("refused")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await c.connect({"session": secret, "hearing_id": room.trial.hearing.id})
    assert c.refusal is not None
    return str(c.refusal["data"]["code"])


async def test_staff_join_follows_the_policy(room: Room_) -> None:
    court = room.trial.court.id
    other = await make_trial(room.services)
    b_clerk = (await room.services.access.login(other.clerk.username, "clerk-password-1")).secret
    assert await _refusal(room, b_clerk) == "wrong_hearing"  # another court's clerk
    n = other.court.code[1:]
    assert await _refusal(room, await _session(room, f"courtless{n}", "clerk", None)) \
        == "wrong_hearing"  # an account without a court acts in none
    assert await _refusal(room, await _session(room, f"mediator{n}", "mediator", court)) \
        == "forbidden"  # the court's, but no seat in this trial and no host
    admin = room.client("admin")
    await admin.connect({"session": await _session(room, f"root{n}", "admin", None),
                         "hearing_id": room.trial.hearing.id})
    snap = await admin.wait("snapshot")
    assert snap["you"]["standing"] == "staff"
