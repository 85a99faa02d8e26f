"""A console opened or reloaded while someone's recording fails names them: the live
`recording.alert` went to the page open then, so the page asks
`GET /api/recordings/{id}/failing` (the audit log's open interruptions) — issue 13.8."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.integration.signaling.conftest import in_session
from tests.integration.web.conftest import Court, until
from tests.integration.web.test_recording_reconnect import consent_expires
from web.keys import MEDIA, RECORDING


async def failing(court: Court, key: str) -> tuple[int, Any]:
    r = await court.http.get(f"/api/recordings/{court.hearing_id}/failing",
                             headers={"Authorization": f"Bearer {court.trial.links[key]}"})
    return r.status, await r.json()


async def test_the_judge_can_ask_whose_recording_is_failing(court: Court,
                                                             source_webm: Path) -> None:
    judge, people = await in_session(court, "defendant", "lawyer")
    media, hid = court.app[MEDIA], court.hearing_id
    defendant = court.trial.people["defendant"].id
    first = await court.publish(people["defendant"], source_webm)
    await court.publish(people["lawyer"], source_webm)
    await until(lambda: bool(court.segments("defendant") and court.segments("lawyer")), 10,
                "both recorded")
    status, body = await failing(court, "judge")
    assert (status, body["failing"]) == (200, [])

    await consent_expires(court, defendant)
    await judge.wait("recording.alert", lambda d: d["reason"] == "connection_lost")
    await judge.wait("recording.state", lambda d: d["state"] == "failed")
    await court.app[RECORDING].drain()
    status, body = await failing(court, "judge")
    assert status == 200
    assert [(f["participant_id"], f["reason"]) for f in body["failing"]] == [
        (defendant, "connection_lost")]
    assert isinstance(body["failing"][0]["since"], float)

    # Only the one who runs the recording asks: a participant is refused.
    status, body = await failing(court, "lawyer")
    assert status == 403, body

    await first.close()
    await asyncio.sleep(1)
    await court.publish(people["defendant"], source_webm)  # the page's new connection
    await judge.wait("recording.recovered", lambda d: d["participant_id"] == defendant,
                     within=10)
    await until(lambda: media.states(hid).get(defendant) == "recording", 10, "recorded again")
    await court.app[RECORDING].drain()
    status, body = await failing(court, "judge")
    assert (status, body["failing"]) == (200, [])
