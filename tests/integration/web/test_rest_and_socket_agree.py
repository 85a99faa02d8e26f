"""The judge's transitions over REST and over the socket: the room hears the same thing.

One run per path on its own court (the real app, media off): the doors open, then the
judge starts, pauses, resumes and closes over the chosen path (a Bearer join token for REST). Every event each socket
receives from the start on is recorded; ids and times aside, the two runs must agree, and
in both every participant is told `hearing.closed` and let go.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.integration.signaling.conftest import Client, admit
from tests.integration.web.conftest import Court

PEOPLE = ("defendant", "lawyer")
# What changes from one court to the next without meaning anything: times and generated ids.
_VOLATILE = frozenset({"at", "since", "id", "hearing_id", "title"})


def _plain(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v, ids) for k, v in sorted(value.items()) if k not in _VOLATILE}
    if isinstance(value, list):
        return [_plain(v, ids) for v in value]
    if isinstance(value, str):
        return ids.get(value, value)
    return value


async def _run(court: Court, over_rest: bool) -> dict[str, list[tuple[str, Any]]]:
    judge = await court.join("judge")
    clients: dict[str, Client] = {"judge": judge}
    for key in PEOPLE:
        clients[key] = await admit(court, judge, key)
    ack = await judge.call("hearing.control", {"action": "open_doors"})
    assert ack["ok"], ack
    for c in clients.values():
        await c.wait("hearing.state", lambda d: d["state"] == "waiting")
    await court.settle()
    marks = {key: len(c.events) for key, c in clients.items()}

    async def transition(action: str) -> str:
        if over_rest:
            r = await court.http.post(
                f"/api/hearings/{court.hearing_id}/transitions", json={"action": action},
                headers={"Authorization": f"Bearer {court.trial.links['judge']}"})
            assert r.status == 200, await r.text()
            return str((await r.json())["state"])
        ack = await judge.call("hearing.control", {"action": action})
        assert ack["ok"], ack
        return str(ack["state"])

    assert await transition("start") == "in_session"
    for c in clients.values():
        await c.wait("recording.state", lambda d: d["state"] == "recording")
        await c.wait("hearing.state", lambda d: d["state"] == "in_session")
    assert await transition("pause") == "paused"
    for c in clients.values():
        await c.wait("recording.state", lambda d: d["state"] == "paused")
    assert await transition("resume") == "in_session"
    for c in clients.values():
        await c.wait("hearing.state", lambda d: d["action"] == "resume")
    assert await transition("close") == "closed"
    for key, c in clients.items():
        assert (await c.wait("hearing.closed"))["reason"] == "hearing_closed", key
        await c.disconnected.wait()
    ids = {p.id: key for key, p in court.trial.people.items()}
    ids |= {f"participant:{p.id}": key for key, p in court.trial.people.items()}
    return {key: [(e, _plain(d, ids)) for e, d in c.events[marks[key]:]]
            for key, c in clients.items()}


async def test_close_over_rest_is_heard_as_over_the_socket(
        court_factory: Callable[..., Awaitable[Court]]) -> None:
    by_socket = await _run(await court_factory(media_enabled=False), over_rest=False)
    by_rest = await _run(await court_factory(media_enabled=False), over_rest=True)
    for key in ("judge", *PEOPLE):
        heard = [e for e, _ in by_socket[key]]
        assert "hearing.closed" in heard and "recording.state" in heard, (key, heard)
    assert by_rest == by_socket
