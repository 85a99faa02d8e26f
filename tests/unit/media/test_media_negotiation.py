"""Bad offers get a clear `NegotiationError`, never an aiortc traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from media.errors import MediaError, NegotiationError
from media.participant import ParticipantInfo
from media.peers import MediaService, MediaSettings

AUDIO_ONLY_NO_OPUS = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n"
    "a=rtcp-mux\r\na=rtpmap:111 ISAC/16000\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\na=setup:actpass\r\n"
)

# Opus, but no direction line: RFC 8866's sendrecv, which aiortc only fails on at createAnswer.
NO_DIRECTION = AUDIO_ONLY_NO_OPUS.replace("a=sendrecv\r\n", "").replace(
    "ISAC/16000", "opus/48000/2")


@pytest.mark.parametrize(
    ("offer", "message"),
    [
        ("hello", "must be an SDP string"),
        ("v=0\r\n" + "a=x\r\n" * 20_000, "larger than"),
        ("v=0\r\nm=audio\r\n", "cannot use this offer"),
        (AUDIO_ONLY_NO_OPUS, "cannot use this offer: Failed to set remote audio"),
        (NO_DIRECTION, "cannot use this offer"),
    ],
)
async def test_bad_offers_are_refused(tmp_path: Path, offer: str, message: str) -> None:
    settings = MediaSettings(archive_dir=tmp_path, host_addresses=("127.0.0.1",))
    async with MediaService(settings, lambda event: None) as service:
        with pytest.raises(NegotiationError, match=message) as caught:
            await service.answer(ParticipantInfo("h1", "p1"), offer)
        assert isinstance(caught.value, MediaError)
        assert service.states("h1") == {}


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="'media_timeout' must be in"):
        MediaSettings(archive_dir=Path("x"), media_timeout=0.1)
