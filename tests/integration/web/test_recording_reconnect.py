"""A server peer whose connection is lost (aioice: "Consent to send expired") fails that
participant's recording with the reason, the judge is told who; the participant's new offer
is the same participant's recording again — a new segment, the gap in the audit log and the
manifest, and the judge told it is back (issue 13.2)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.integration.signaling.conftest import in_session
from tests.integration.web.conftest import Court, until
from web.keys import MEDIA, RECORDING


async def consent_expires(court: Court, participant_id: str) -> None:
    """What aioice does when consent expires: the ICE connection is closed under aiortc."""
    peer = court.app[MEDIA].hearing(court.hearing_id).peers[participant_id]
    transport = peer.pc.getTransceivers()[0].receiver.transport.transport
    await transport._connection.close()


async def test_a_lost_server_peer_is_failed_named_and_replaced_by_the_next_offer(
        court: Court, source_webm: Path) -> None:
    judge, people = await in_session(court, "defendant", "lawyer")
    media, hid = court.app[MEDIA], court.hearing_id
    person = court.trial.people["defendant"]
    defendant, lawyer = person.id, court.trial.people["lawyer"].id
    first = await court.publish(people["defendant"], source_webm)
    await court.publish(people["lawyer"], source_webm)
    await until(lambda: bool(court.segments("defendant") and court.segments("lawyer")), 10,
                "both recorded")

    await consent_expires(court, defendant)
    alert = await judge.wait("recording.alert", lambda d: d["reason"] == "connection_lost")
    assert alert["participant_id"] == defendant
    assert alert["name"] == person.name and alert["role"] == "defendant"
    assert media.states(hid) == {defendant: "failed", lawyer: "recording"}
    await judge.wait("recording.state", lambda d: d["state"] == "failed")
    await until(lambda: media.hearing(hid).peers[defendant].pc.connectionState == "closed", 5,
                "the lost peer hung up")
    before = court.segments("defendant")
    await until(lambda: json.loads(before[-1].with_suffix(".json").read_text())["complete"], 5,
                "the segment closed when the connection was lost")

    await first.close()
    await asyncio.sleep(2)  # the page notices and backs off before it connects again
    await court.publish(people["defendant"], source_webm)  # the page's new connection
    back = await judge.wait("recording.recovered", within=10)
    assert back["participant_id"] == defendant and back["reason"] == "connection_lost"
    assert back["name"] == person.name and back["gap_seconds"] > 0
    await until(lambda: len(court.segments("defendant")) > len(before), 10, "a new segment")
    assert media.states(hid) == {defendant: "recording", lawyer: "recording"}
    await court.app[RECORDING].drain()
    assert await court.recording_state() == "recording"

    assert (await judge.call("hearing.control", {"action": "close"}))["state"] == "closed"
    await judge.wait("recording.state", lambda d: d["state"] == "processing")
    await court.app[RECORDING].drain()
    assert await court.recording_state() == "incomplete"
    extra = json.loads((court.archive / "manifest.json").read_bytes())["extra"]
    assert extra["missing_seconds"][defendant] > 0
    assert [g["participant_id"] for g in extra["gaps"]] == [defendant]
    [gap] = extra["interruptions"]
    assert gap["participant_id"] == defendant and gap["reason"] == "connection_lost"
    assert gap["because"] == "reconnected" and gap["seconds"] >= 2
    entries = {e.action: e for e in await court.audit()}
    assert entries["recording.gap"].payload["participant_id"] == defendant
    assert entries["recording.gap"].payload["reason"] == "connection_lost"
    assert entries["recording.resumed"].payload["participant_id"] == defendant


async def test_a_server_peer_whose_packets_stop_arriving_is_found_lost_at_once(
        court: Court, source_webm: Path) -> None:
    """Nothing arrives any more (a blocked port): aioice would notice after ~30 s; the
    media timeout's consent check finds it unanswered, and the page is told to reconnect.
    A frozen camera answers it (test_recording_flow: the reason stays media_timeout)."""
    judge, people = await in_session(court, "defendant")
    media, hid = court.app[MEDIA], court.hearing_id
    defendant = court.trial.people["defendant"].id
    await court.publish(people["defendant"], source_webm)
    await until(lambda: bool(court.segments("defendant")), 10, "recorded")

    peer = media.hearing(hid).peers[defendant]
    connection = peer.pc.getTransceivers()[0].receiver.transport.transport._connection
    for protocol in connection._protocols:
        protocol.datagram_received = lambda data, addr: None  # a blocked UDP port
    alert = await judge.wait("recording.alert", lambda d: d["reason"] == "connection_lost")
    assert alert["participant_id"] == defendant
    assert alert["detail"] == "no answer to a consent check"
    lost = await people["defendant"].wait("media.lost")
    assert lost == {"hearing_id": hid, "participant_id": defendant}
    await until(lambda: peer.pc.connectionState == "closed", 5, "the lost peer hung up")
