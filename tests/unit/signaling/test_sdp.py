"""SDP: real captures round-trip byte for byte; directions are read right; junk is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signaling.errors import MessageInvalid
from signaling.sdp import parse_sdp, serialise_sdp

FIXTURES = Path(__file__).parent / "sdp"
CAPTURES = sorted(FIXTURES.glob("*.sdp"))


def test_fixtures_present() -> None:
    names = {p.name for p in CAPTURES}
    assert {"chromium_offer.sdp", "chromium_answer.sdp", "chromium_recvonly.sdp",
            "firefox99_offer.sdp"} <= names


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_round_trip(path: Path) -> None:
    raw = path.read_bytes().decode()
    sdp = parse_sdp(raw)
    assert serialise_sdp(sdp) == raw
    assert [m.kind for m in sdp.media][:2] == ["audio", "video"]


@pytest.mark.parametrize(("name", "publishes"), [
    ("chromium_offer.sdp", True), ("chromium_answer.sdp", False),  # answerer had no tracks
    ("chromium_recvonly.sdp", False), ("firefox99_offer.sdp", True)])
def test_publishes(name: str, publishes: bool) -> None:
    assert parse_sdp((FIXTURES / name).read_text()).publishes() is publishes


def test_default_direction_is_sendrecv() -> None:
    sdp = parse_sdp("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n")
    assert sdp.publishes()


@pytest.mark.parametrize(("text", "message"), [
    ("hello", "SDP must start with the line v=0"),
    ("v=0\r\ns=-\r\n", "SDP must have an o= line after v=0"),
    ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nbad line\r\n",
     "SDP line 3 must look like x=value (got 'bad line')"),
    ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nm=audio\r\n",
     "SDP media line must be m=<media> <port> <proto> <fmt> (got 'm=audio')"),
])
def test_refusals(text: str, message: str) -> None:
    with pytest.raises(MessageInvalid) as refused:
        parse_sdp(text)
    assert refused.value.message == message


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=12), st.sampled_from(["\r\n", "\n"]))
def test_fuzz(lines: list[str], end: str) -> None:
    text = end.join(["v=0", "o=- 1 1 IN IP4 0.0.0.0", *lines]) + end
    try:
        sdp = parse_sdp(text)
    except MessageInvalid:
        return
    assert parse_sdp(serialise_sdp(sdp)) == sdp
