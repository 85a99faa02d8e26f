"""Hostile text over socket.io: the same text rule as REST, answered with `invalid_message`
(never `unavailable`), and the connection stays."""

from __future__ import annotations

import pytest

from tests.integration.signaling.conftest import Room_, in_session


@pytest.mark.parametrize(("text", "message"), [
    ("\udfff", "payload must be valid Unicode: a string holds a lone surrogate (U+DFFF)"),
    ("看\ud800这里", "payload must be valid Unicode: a string holds a lone surrogate (U+D800)"),
    ("付款\u202e元0001", "'text' must not contain the bidirectional control U+202E (at character "
                       "2): it reorders how the text around it is shown"),
    ("\x1b[2J清屏", "'text' must not contain the control character U+001B (at character 0)"),
    ("a\x00b", "'text' must not contain the control character U+0000 (at character 1)"),
    ("\n\t ", "'text' must be a non-empty string (got '\\n\\t ')"),
])
async def test_hostile_chat_is_an_invalid_message(room: Room_, text: str, message: str) -> None:
    judge, people = await in_session(room, "lawyer")
    lawyer = people["lawyer"]
    for event, payload in [("chat.send", {"text": text}),
                           ("chat.reply", {"to": room.trial.people["lawyer"].id, "text": text})]:
        sender = lawyer if event == "chat.send" else judge
        ack = await sender.call(event, payload)
        assert ack == {"ok": False, "error": {"event": event, "code": "invalid_message",
                                              "message": message}}
    assert judge.seen("chat.message") == []
    ack = await lawyer.call("chat.send", {"text": "第一行\n\t第二行"})
    assert ack["ok"], ack
    said = await judge.wait("chat.message")
    assert said["text"] == "第一行\n\t第二行"


async def test_lone_surrogates_anywhere_in_a_payload_are_refused(room: Room_) -> None:
    _judge, people = await in_session(room, "lawyer")
    lawyer = people["lawyer"]
    for event, payload in [("rtc.offer", {"to": "media", "sdp": "v=0\r\ns=\udfff\r\n"}),
                           ("chat.send", {"\udfff": "x"}),
                           ("help.request", {"text": "帮助\udc00"})]:
        ack = await lawyer.call(event, payload)
        assert ack["error"]["code"] == "invalid_message", ack
        assert "lone surrogate" in ack["error"]["message"]
    assert lawyer.sio.connected


async def test_hostile_suspend_reason_is_an_invalid_message(room: Room_) -> None:
    judge, _people = await in_session(room)
    ack = await judge.call("hearing.control", {"action": "suspend", "reason": "网络\u2067中断"})
    assert ack["error"]["code"] == "invalid_message", ack
    ack = await judge.call("hearing.control", {"action": "suspend", "reason": "网络\n中断"})
    assert ack["error"] == {"event": "hearing.control", "code": "invalid_message",
                            "message": "'reason' must be one line: no line break or tab "
                                       "(U+000A at character 2)"}
    ack = await judge.call("hearing.control", {"action": "suspend", "reason": " 网络中断 "})
    assert ack["ok"], ack


async def test_a_deeply_nested_payload_is_an_invalid_message(room: Room_) -> None:
    """As socket.io hands a decoded packet to the namespace (no client library encodes
    one this deep; socket.io's own decoder drops deeper ones and logs them)."""
    _judge, people = await in_session(room, "lawyer")
    lawyer = people["lawyer"]
    deep: object = "x"
    for _ in range(5_000):
        deep = [deep]
    ack = await room.signaling.namespace.trigger_event("chat.send", lawyer.sid, {"text": deep})
    assert ack == {"ok": False, "error": {
        "event": "chat.send", "code": "invalid_message",
        "message": "payload nests too deep: an event takes one flat object"}}
    assert (await lawyer.call("hand.raise"))["ok"]


async def test_a_deep_packet_on_the_wire_leaves_the_connection_working(room: Room_) -> None:
    """socket.io decodes the packet before our gate: 2,000 levels exceed json's recursion
    guard, socket.io logs and drops the packet, and the connection carries on."""
    _judge, people = await in_session(room, "lawyer")
    lawyer = people["lawyer"]
    await lawyer.sio.eio.send('2/hearing,["chat.send",' + "[" * 2_000 + "]" * 2_000 + "]")
    assert (await lawyer.call("hand.raise"))["ok"]
    assert lawyer.sio.connected
