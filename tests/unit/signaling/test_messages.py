"""Wire messages: exact refusals, round trips, and a fuzzer that only ever gets MessageInvalid."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from signaling import messages as m
from signaling.errors import MessageInvalid, UnknownEvent


@pytest.mark.parametrize(("event", "payload", "message"), [
    ("hearing.control", {"action": "bogus"},
     "'action' must be in ['open_doors', 'start', 'pause', 'suspend', 'resume', 'close'] "
     "(got 'bogus')"),
    ("hearing.control", {"action": "suspend"}, "'reason' must be a non-empty string (got None)"),
    ("hearing.control", [], "payload must be an object (got list)"),
    ("lobby.admit", {"participant_id": "a b"},
     "'participant_id' must be an id of 1-80 letters, digits or _:.- (got 'a b')"),
    ("lobby.admit", {"participant_id": "x", "extra": 1}, "unknown field 'extra' in lobby.admit"),
    # `$` alone would let an id end in a line feed (re.match: before a final newline)
    ("chat.reply", {"to": "p1\n", "text": "hi"},
     "'to' must be an id of 1-80 letters, digits or _:.- (got 'p1\\n')"),
    ("participant.mute", {"participant_id": "x", "muted": False, "locked": True},
     "'locked' needs 'muted': a microphone is locked muted"),
    ("participant.mute", {"participant_id": "x", "muted": "yes"},
     "'muted' must be true or false (got 'yes')"),
    ("self.mute", {}, "'muted' is required"),
    ("heartbeat", {"loss_pct": 101, "rtt_ms": 1, "bitrate_kbps": 1},
     "'loss_pct' must be between 0 and 100 (got 101)"),
    ("heartbeat", {"loss_pct": True, "rtt_ms": 1, "bitrate_kbps": 1},
     "'loss_pct' must be a number (got True)"),
    ("chat.send", {"text": "x" * 2001}, "'text' must be at most 2000 characters (got 2001)"),
    ("chat.send", {"text": "  "}, "'text' must be a non-empty string (got '  ')"),
    ("rtc.offer", {"to": "media", "sdp": "hello"},
     "'sdp' must be an SDP string starting with v=0 (got 'hello')"),
    ("rtc.candidate", {"to": "p1", "candidate": "bogus"},
     "'candidate' must start with 'candidate:' (got 'bogus')"),
    ("rtc.candidate", {"to": "p1", "candidate": "", "sdp_mline_index": -1},
     "'sdp_mline_index' must be an integer from 0 to 63 (got -1)"),
    ("rtc.candidate", {"to": "p1", "candidate": "", "sdp_mline_index": True},
     "'sdp_mline_index' must be an integer from 0 to 63 (got True)"),
    ("rtc.candidate", {"to": "p1", "candidate": "candidate:" + "x" * 1015},
     "'candidate' must be a string of at most 1024 characters (got 'candidate:xxxxxxxxxxxxxxxxxxxxxxxxxx...)"),
    # pydantic refuses a lone surrogate in any string (today's parser took one in an SDP);
    # `measure` refuses it first on the socket, for every field.
    ("rtc.offer", {"to": "media", "sdp": "v=0\udc80"},
     "'sdp' must be valid Unicode: lone surrogate U+DC80 at character 3"),
    ("chat.send", {"text": "\udc80"},
     "'text' must be valid Unicode: lone surrogate U+DC80 at character 0"),
    ("self.mute", {"muted": None}, "'muted' must be true or false (got None)"),
    ("heartbeat", {"loss_pct": float("nan"), "rtt_ms": 1, "bitrate_kbps": 1},
     "'loss_pct' must be a number (got nan)"),
    # Too large for a float: a refusal, not an OverflowError out of the parser.
    ("heartbeat", {"loss_pct": 10**400, "rtt_ms": 1, "bitrate_kbps": 1},
     "'loss_pct' must be a number (got 1000000000000000000000000000000000000...)"),
    ("heartbeat", {"loss_pct": 1, "rtt_ms": "1", "bitrate_kbps": 1},
     "'rtt_ms' must be a number (got '1')"),
    ("hearing.control", {}, "'action' must be in ['open_doors', 'start', 'pause', 'suspend', "
                            "'resume', 'close'] (got None)"),
    ("hearing.control", {"action": "close", "reason": "a\nb"},
     "'reason' must be one line: no line break or tab (U+000A at character 1)"),
    ("chat.send", {"text": ["hi"]}, "'text' must be a non-empty string (got ['hi'])"),
    # The first refusal is the one the client gets: an unknown field (the first by name),
    # then the fields in the order they are checked.
    ("lobby.admit", {"participant_id": 5, "zz": 1, "aa": 2}, "unknown field 'aa' in lobby.admit"),
    ("participant.mute", {"participant_id": "a b", "muted": False, "locked": True},
     "'locked' needs 'muted': a microphone is locked muted"),
    ("rtc.offer", {"to": "a b", "sdp": "hello"},
     "'sdp' must be an SDP string starting with v=0 (got 'hello')"),
])
def test_refusals_name_the_field(event: str, payload: Any, message: str) -> None:
    with pytest.raises(MessageInvalid) as refused:
        m.parse(event, payload)
    assert refused.value.message == message
    assert refused.value.code == "invalid_message"


def test_unknown_event() -> None:
    with pytest.raises(UnknownEvent, match=r"unknown event 'hearing\.explode'"):
        m.parse("hearing.explode", {})


SAMPLES: dict[str, dict[str, Any]] = {
    "hearing.control": {"action": "suspend", "reason": "网络中断"},
    "lobby.admit": {"participant_id": "abc123"},
    "participant.mute": {"participant_id": "abc", "muted": True, "locked": True},
    "self.mute": {"muted": False},
    "session.resolve": {"identity": "abc", "keep": "sid-1"},
    "consultation.accept": {"request_id": "r1"},
    "chat.reply": {"to": "abc", "text": "请稍候"},
    "help.request": {"text": "听不到声音"},
    "heartbeat": {"loss_pct": 12.5, "rtt_ms": 80.0, "bitrate_kbps": 300.0},
    "rtc.offer": {"to": "media", "sdp": "v=0\r\n", "ice_restart": True},
    "rtc.candidate": {"to": "abc", "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host",
                      "sdp_mid": "0", "sdp_mline_index": 0},
    "hand.raise": {},
}


@pytest.mark.parametrize("event", sorted(SAMPLES))
def test_round_trip(event: str) -> None:
    msg = m.parse(event, SAMPLES[event])
    assert m.serialise(msg) == SAMPLES[event]
    assert m.parse(event, json.loads(json.dumps(m.serialise(msg)))) == msg


@pytest.mark.parametrize("event", sorted(SAMPLES))
def test_samples_meet_the_json_schema(event: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(SAMPLES[event], m.json_schema(event))


@pytest.mark.parametrize("event", sorted(m.EVENTS))
def test_every_event_writes_its_json_schema(event: str) -> None:
    schema = m.json_schema(event)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(m.EVENTS[event].model_fields)
    assert json.loads(json.dumps(schema)) == schema


def test_every_field_words_its_own_refusals() -> None:
    for kind in set(m.EVENTS.values()):
        assert set(kind.rules) == set(kind.model_fields), kind.__name__


def test_messages_are_frozen_and_hashable() -> None:
    msg = m.MuteCommand(participant_id="p1")
    with pytest.raises(ValidationError):
        msg.muted = False
    assert {msg, m.parse("participant.mute", {"participant_id": "p1", "muted": True})} == {msg}
    assert (msg.participant_id, msg.muted, msg.locked) == ("p1", True, False)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(["action", "reason", "participant_id", "muted", "locked", "to",
                               "sdp", "candidate", "sdp_mid", "sdp_mline_index", "text",
                               "loss_pct", "rtt_ms", "bitrate_kbps", "identity", "keep",
                               "request_id", "ice_restart"])


@settings(max_examples=400, deadline=None)
@given(event=st.sampled_from(sorted(m.EVENTS)) | st.text(max_size=20),
       payload=json_values | st.dictionaries(field_names, json_values, max_size=6))
def test_fuzz_parse_only_refuses_cleanly(event: str, payload: Any) -> None:
    try:
        msg = m.parse(event, payload)
    except (MessageInvalid, UnknownEvent):
        return
    # Whatever parses, serialises and parses back to itself.
    assert m.parse(event, m.serialise(msg)) == msg
