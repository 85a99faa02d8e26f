from __future__ import annotations

from tests.integration.signaling.conftest import Room_


async def test_judge_and_defendant_join(room: Room_) -> None:
    judge = await room.join("judge")
    snap = judge.seen("snapshot")[-1]
    assert snap["you"]["standing"] == "host"
    defendant = await room.join("defendant")
    assert defendant.seen("snapshot")[-1]["you"]["standing"] == "waiting"
    lobby = await judge.wait("lobby", lambda d: len(d["waiting"]) == 1)
    assert lobby["waiting"][0]["name"] == "张某"
