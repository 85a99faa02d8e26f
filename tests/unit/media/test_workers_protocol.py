"""What crosses Redis to media workers travels as JSON with tagged value objects, and the
placement picks the emptiest live worker (media/worker_protocol.py, media/placement.py)."""

from __future__ import annotations

import json

import pytest

from media.participant import ParticipantInfo
from media.placement import Lease, WorkerLoad, least_loaded
from media.recorder import RecordingEvent
from media.worker_protocol import (
    CALLS,
    ProtocolError,
    decode_args,
    decode_kwargs,
    encode_args,
    encode_kwargs,
    hearing_of,
    remembered_as,
)


def test_calls_and_events_round_trip_through_json() -> None:
    who = ParticipantInfo("h1", "p1", "defendant", "看守所", "张三", "被告人")
    event = RecordingEvent("h1", "p1", "failed", "media_worker_lost", 12.5, detail="w1 lost")
    args = (who, "v=0\r\n", [who], {"audio": {"0": "p2"}}, None, 3, True)
    wire = json.loads(json.dumps(encode_args(args)))
    assert decode_args(wire) == args
    assert decode_args(json.loads(json.dumps(encode_args((event,))))) == (event,)
    assert decode_kwargs(json.loads(json.dumps(encode_kwargs({"video": False})))) == {
        "video": False}
    assert hearing_of((who, "sdp")) == hearing_of(("h1", "p1")) == "h1"


@pytest.mark.parametrize("bad", [
    {"$": "pickle", "v": {}},  # only our tags
    {"$": "participant", "v": {"hearing_id": "../x", "participant_id": "p"}},  # checked ids
    {"$": "participant", "v": {"hearing_id": "h", "participant_id": "p", "evil": 1}},
    {"$": "participant", "v": "not an object"},
])
def test_a_value_that_is_not_ours_is_refused(bad: object) -> None:
    with pytest.raises(ProtocolError):
        decode_args([bad])


def test_what_cannot_be_sent_is_refused_before_it_is_sent() -> None:
    with pytest.raises(ProtocolError):
        encode_args((object(),))
    with pytest.raises(ProtocolError):
        encode_args(({"$": "participant"},))  # a plain object may not pose as a tagged one
    with pytest.raises(ProtocolError):
        decode_kwargs({"not an identifier": 1})
    with pytest.raises(ProtocolError):
        hearing_of(())


def test_only_an_offer_places_a_hearing_and_switches_follow_the_recording() -> None:
    assert [name for name, call in CALLS.items() if call.places] == ["answer"]
    start, pause, resume = CALLS["start"].switch, CALLS["pause"].switch, CALLS["resume"].switch
    assert start and pause and resume
    assert [start("standby"), start("paused"), pause("recording"), pause("standby"),
            resume("paused"), resume("recording")] == [
        "recording", "paused", "paused", "standby", "recording", "recording"]
    assert not CALLS["start"].waits and CALLS["answer"].waits and CALLS["set_audience"].remember
    only = CALLS["set_audio_only"]
    assert remembered_as("set_audio_only", only, ("h1", "p1", True)) != remembered_as(
        "set_audio_only", only, ("h1", "p2", True))


def test_the_emptiest_live_worker_is_chosen_and_a_lost_one_never() -> None:
    idle = WorkerLoad("idle", hearings=3, peers=3, streams=6, cpu=0.05)
    busy = WorkerLoad("busy", hearings=1, peers=6, streams=12, cpu=0.2)
    hot = WorkerLoad("hot", hearings=0, peers=0, streams=0, cpu=0.95)  # hot for another reason
    assert least_loaded([busy, idle, hot]) == idle
    assert least_loaded([busy, idle, hot], excluding=["idle"]) == busy
    assert least_loaded([], excluding=[]) is None
    assert WorkerLoad.from_json(idle.to_json()) == idle


def test_a_lease_names_its_epoch_and_worker() -> None:
    lease = Lease(7, "host-12-ab:c")
    assert Lease.decode(lease.encode()) == lease
    assert Lease.decode(lease.encode().encode()) == lease
    assert Lease.decode(None) is None and Lease.decode("x:w") is None
