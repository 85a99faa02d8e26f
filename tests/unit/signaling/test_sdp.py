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


# -- ambiguity: read the SDP the way the peer will, or refuse it -------------------------
# aiortc (the server's media peer) keeps the *last* direction of a section, splits lines
# with str.splitlines(), reads `a=sendrecv:x` as sendrecv, ignores a session-level
# direction and treats a port-0 section like any other; Chrome keeps the last direction
# too and also reads `a=sendrecv x`. A check that reads the first line, or the session
# default, lets an observer publish.

RECVONLY = (FIXTURES / "chromium_recvonly.sdp").read_bytes().decode()


def _doctor(text: str, after: str, insert: str, section: int = 0) -> str:
    """Insert `insert` (CRLF-terminated lines) after the first `after` line of section n."""
    head, *sections = text.split("\r\nm=")
    body = sections[section]
    at = body.index("\r\n" + after + "\r\n") + len(after) + 4
    sections[section] = body[:at] + insert + body[at:]
    return "\r\nm=".join([head, *sections])


def _aiortc_directions(text: str) -> list[str]:
    from aiortc.sdp import SessionDescription as AiortcDescription

    return [m.direction or "sendrecv" for m in AiortcDescription.parse(text).media
            if m.kind in ("audio", "video")]


def test_recvonly_capture_reads_like_aiortc() -> None:
    sdp = parse_sdp(RECVONLY)
    assert [m.direction for m in sdp.media] == _aiortc_directions(RECVONLY) == ["recvonly"] * 2


@pytest.mark.parametrize(("insert", "message"), [
    ("a=sendrecv\r\n",
     "SDP media section 1 (audio) has a second direction a=sendrecv after a=recvonly: "
     "peers disagree on which one counts"),
    ("a=sendrecv:1\r\n",
     "SDP direction must be the bare attribute a=sendrecv (got 'a=sendrecv:1')"),
    ("a=sendrecv x\r\n",
     "SDP direction must be the bare attribute a=sendrecv (got 'a=sendrecv x')"),
    ("a=SENDRECV\r\n", "SDP attribute names are lower case (got 'a=SENDRECV')"),
    ("a=mid:0\r\n", "SDP media section 1 (audio) has a=mid twice"),
    ("a=setup:active\r\n", "SDP media section 1 (audio) has a=setup twice"),
    ("a=ice-ufrag:other\r\n", "SDP media section 1 (audio) has a=ice-ufrag twice"),
    ("a=ice-pwd:anotherpasswordentirely\r\n", "SDP media section 1 (audio) has a=ice-pwd twice"),
    ("a=fingerprint:sha-256 " + ":".join(["00"] * 32) + "\r\n",
     "SDP media section 1 (audio) has two sha-256 fingerprints that disagree"),
    ("a=rtpmap:111 PCMU/8000\r\n", "SDP media section 1 (audio) maps payload type 111 twice"),
    ("a=extmap:1 urn:example:other\r\n", "SDP media section 1 (audio) has a=extmap:1 twice"),
    ("a=mid\r\n", "SDP attribute must be a=mid:<value> (got 'a=mid')"),
])
def test_duplicate_or_conflicting_attributes_are_refused(insert: str, message: str) -> None:
    doctored = _doctor(RECVONLY, "a=recvonly", insert)
    with pytest.raises(MessageInvalid) as refused:
        parse_sdp(doctored)
    assert refused.value.message == message


def test_the_reported_offer_is_refused_though_aiortc_would_publish() -> None:
    """The issue's offer: a=recvonly then a=sendrecv in the audio section."""
    doctored = _doctor(RECVONLY, "a=recvonly", "a=sendrecv\r\n")
    assert _aiortc_directions(doctored)[0] == "sendrecv"  # what the media peer would do
    with pytest.raises(MessageInvalid, match="second direction"):
        parse_sdp(doctored)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c",
                                       "\x1d", "\x1e"])
def test_line_breaks_other_than_crlf_are_refused(separator: str) -> None:
    """str.splitlines() (aiortc) breaks lines at these: a=sendrecv would hide in a=rtcp-mux."""
    doctored = RECVONLY.replace("a=recvonly\r\na=rtcp-mux\r\n",
                                f"a=recvonly\r\na=rtcp-mux{separator}a=sendrecv\r\n", 1)
    assert _aiortc_directions(doctored)[0] == "sendrecv"
    with pytest.raises(MessageInvalid) as refused:
        parse_sdp(doctored)
    assert refused.value.message == (f"SDP line 22 has a control character or line separator "
                                     f"({separator!r})")


def test_setup_values_are_the_three_aiortc_knows() -> None:
    doctored = RECVONLY.replace("a=setup:actpass\r\na=mid:0", "a=setup:holdconn\r\na=mid:0")
    with pytest.raises(MessageInvalid) as refused:
        parse_sdp(doctored)
    assert refused.value.message == ("SDP a=setup must be one of actpass, active, passive "
                                     "(got 'holdconn')")


def test_session_level_direction_is_refused() -> None:
    """RFC 8866 makes it the default; aiortc and Chrome ignore it: the two readings differ."""
    text = ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=recvonly\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n")
    with pytest.raises(MessageInvalid) as refused:
        parse_sdp(text)
    assert refused.value.message == ("SDP direction a=recvonly must be in a media section "
                                     "(peers ignore it at session level)")


def test_session_and_media_values_must_agree() -> None:
    text = RECVONLY.replace("t=0 0\r\n", "t=0 0\r\na=ice-ufrag:sess\r\n")
    with pytest.raises(MessageInvalid) as refused:
        parse_sdp(text)
    assert refused.value.message == ("SDP media section 1 (audio) has a=ice-ufrag:zFbL, "
                                     "the session a=ice-ufrag:sess")
    same = RECVONLY.replace("t=0 0\r\n", "t=0 0\r\na=ice-ufrag:zFbL\r\n")
    assert parse_sdp(same).media[0].direction == "recvonly"


def test_mid_names_one_section() -> None:
    doctored = RECVONLY.replace("a=mid:1\r\n", "a=mid:0\r\n")
    with pytest.raises(MessageInvalid) as refused:
        parse_sdp(doctored)
    assert refused.value.message == "SDP mid '0' names media sections 1 and 2"


def test_fingerprints_of_two_algorithms_are_fine() -> None:
    doctored = _doctor(RECVONLY, "a=recvonly", "a=fingerprint:sha-1 " + ":".join(["AB"] * 20)
                       + "\r\n")
    assert parse_sdp(doctored).media[0].direction == "recvonly"


def test_a_port_zero_section_still_counts() -> None:
    """aiortc receives on a bundled port-0 section (and Chrome on a=bundle-only)."""
    doctored = RECVONLY.replace("m=audio 9 ", "m=audio 0 ").replace(
        "a=recvonly\r\na=rtcp-mux", "a=sendrecv\r\na=rtcp-mux", 1)
    assert _aiortc_directions(doctored)[0] == "sendrecv"
    assert parse_sdp(doctored).publishes()


_VOCABULARY = ["a=sendrecv", "a=recvonly", "a=sendonly", "a=inactive", "a=sendrecv:1",
               "a=recvonly x", "a=mid:0", "a=mid:1", "a=setup:actpass", "a=setup:active",
               "a=ice-ufrag:u", "a=ice-pwd:p", "a=rtcp-mux", "a=rtpmap:111 opus/48000/2",
               "a=sendrecv\u2028a=x", "a=x\u2028a=sendrecv", "a=inactive\x85", "a=SENDRECV"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_VOCABULARY), max_size=5), min_size=1, max_size=3),
       st.lists(st.sampled_from(_VOCABULARY), max_size=3))
def test_accepted_sdp_reads_like_aiortc(sections: list[list[str]], session: list[str]) -> None:
    """Whatever is accepted, each section's direction is the one aiortc acts on."""
    lines = ["v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", *session]
    for n, attributes in enumerate(sections):
        lines += [f"m={'audio' if n % 2 == 0 else 'video'} 9 UDP/TLS/RTP/SAVPF 111",
                  *attributes]
    text = "\r\n".join(lines) + "\r\n"
    try:
        sdp = parse_sdp(text)
    except MessageInvalid:
        return
    assert [m.direction for m in sdp.media] == _aiortc_directions(text)
