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


async def _caught_up(court: Court, clients: dict[str, Client]) -> None:
    """Everything the server has sent so far has arrived: the events of one connection keep
    their order, so a snapshot asked for now comes after all of them (on a busy machine a
    coalesced `participants` list may still be on its way when the server is drained)."""
    await court.settle()
    for c in clients.values():
        n = len(c.seen("snapshot"))
        ack = await c.call("snapshot.request")
        assert ack["ok"], ack
        await c.wait("snapshot", lambda d, c=c, n=n: len(c.seen("snapshot")) > n)


async def _run(court: Court, over_rest: bool) -> dict[str, list[tuple[str, Any]]]:
    judge = await court.join("judge")
    clients: dict[str, Client] = {"judge": judge}
    for key in PEOPLE:
        clients[key] = await admit(court, judge, key)
    ack = await judge.call("hearing.control", {"action": "open_doors"})
    assert ack["ok"], ack
    for c in clients.values():
        await c.wait("hearing.state", lambda d: d["state"] == "waiting")
    await _caught_up(court, clients)
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


async def _participants(court: Court, over_rest: bool) -> dict[str, list[tuple[str, Any]]]:
    """The judge admits the defendant, mutes and locks them, sends them back to the lobby
    and removes the lawyer — over the chosen path; what each socket hears is recorded."""
    judge = await court.join("judge")
    lawyer = await admit(court, judge, "lawyer")
    defendant = await court.join("defendant")
    dpid, lpid = court.trial.people["defendant"].id, court.trial.people["lawyer"].id
    await judge.wait("lobby", lambda d: any(p["id"] == dpid for p in d["waiting"]))
    clients = {"judge": judge, "lawyer": lawyer, "defendant": defendant}
    await _caught_up(court, clients)
    marks = {key: len(c.events) for key, c in clients.items()}

    async def act(event: str, pid: str, **fields: Any) -> dict[str, Any]:
        if over_rest:
            path = f"/api/hearings/{court.hearing_id}/participants/{pid}"
            bearer = {"Authorization": f"Bearer {court.trial.links['judge']}"}
            if event == "participant.mute":
                r = await court.http.put(f"{path}/mute", json=fields, headers=bearer)
            else:
                action = {"lobby.admit": "admit", "lobby.send_back": "send_back",
                          "participant.remove": "remove"}[event]
                r = await court.http.post(f"{path}/transitions", json={"action": action},
                                          headers=bearer)
            assert r.status == 200, await r.text()
            body = await r.json()
        else:
            body = await judge.call(event, {"participant_id": pid, **fields})
            assert body["ok"], body
        await court.settle()
        return dict(body)

    def listed(pid: str, state: str) -> Callable[[Any], bool]:
        return lambda d: any(p["id"] == pid and p["state"] == state for p in d["participants"])

    assert (await act("lobby.admit", dpid))["state"] == "in_hearing"
    await defendant.wait("participant.state", lambda d: d["state"] == "in_hearing")
    await judge.wait("participants", listed(dpid, "in_hearing"))
    await act("participant.mute", dpid, muted=True, locked=True)
    assert (await defendant.wait("mute"))["locked"] is True
    await judge.wait("participants", lambda d: any(
        p["id"] == dpid and p["mute_locked"] for p in d["participants"]))
    assert (await act("lobby.send_back", dpid))["state"] == "waiting"
    await defendant.wait("participant.state", lambda d: d["state"] == "waiting")
    await judge.wait("lobby", lambda d: any(p["id"] == dpid for p in d["waiting"]))
    assert (await act("participant.remove", lpid))["state"] == "removed"
    assert (await lawyer.wait("removed"))["reason"] == "remove"
    await lawyer.disconnected.wait()
    await judge.wait("participants", listed(lpid, "removed"))
    await _caught_up(court, {"judge": judge, "defendant": defendant})
    ids = {p.id: key for key, p in court.trial.people.items()}
    ids |= {f"participant:{p.id}": key for key, p in court.trial.people.items()}
    return {key: [(e, _plain(d, ids)) for e, d in c.events[marks[key]:] if e != "snapshot"]
            for key, c in clients.items()}


async def test_participant_changes_over_rest_are_heard_as_over_the_socket(
        court_factory: Callable[..., Awaitable[Court]]) -> None:
    by_socket = await _participants(await court_factory(media_enabled=False), over_rest=False)
    by_rest = await _participants(await court_factory(media_enabled=False), over_rest=True)
    assert ("removed", {"reason": "remove"}) in by_socket["lawyer"]
    assert any(e == "mute" for e, _ in by_socket["defendant"])
    assert by_rest == by_socket
