"""SDP (RFC 8866), just enough to relay safely: parse into sections, serialise, media direction.

Pure. Signaling does not rewrite SDP; it checks the shape (so that garbage is
refused with a clear message rather than handed to a browser) and reads each
media section's direction (so that an observer cannot publish).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from signaling.errors import MessageInvalid

__all__ = ["MediaSection", "SessionDescription", "parse_sdp", "serialise_sdp"]

_LINE = re.compile(r"^[a-z]=[^\r\n]*$")
_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


@dataclass(frozen=True)
class MediaSection:
    kind: str  # audio | video | application | ...
    port: int
    lines: tuple[str, ...]  # the m= line first

    @property
    def direction(self) -> str:
        for line in self.lines:
            if line[2:] in _DIRECTIONS:
                return line[2:]
        return "sendrecv"  # RFC 8866 §6.7: the default

    @property
    def mid(self) -> str | None:
        return next((line[6:] for line in self.lines if line.startswith("a=mid:")), None)


@dataclass(frozen=True)
class SessionDescription:
    session: tuple[str, ...]
    media: tuple[MediaSection, ...] = field(default=())

    @property
    def session_direction(self) -> str | None:
        return next((line[2:] for line in self.session if line[2:] in _DIRECTIONS), None)

    def publishes(self) -> bool:
        """Would this description send audio or video?"""
        for m in self.media:
            if m.kind not in ("audio", "video") or m.port == 0:
                continue
            direction = m.direction
            if not any(line[2:] in _DIRECTIONS for line in m.lines):
                direction = self.session_direction or direction
            if direction in ("sendrecv", "sendonly"):
                return True
        return False


def parse_sdp(text: str) -> SessionDescription:
    lines = text.split("\r\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) == 1 and "\n" in text:
        lines = text.rstrip("\n").split("\n")  # tolerate bare LF, as browsers do
    if not lines or lines[0] != "v=0":
        raise MessageInvalid("SDP must start with the line v=0")
    for number, line in enumerate(lines, 1):
        if not _LINE.match(line):
            raise MessageInvalid(f"SDP line {number} must look like x=value (got {line[:40]!r})")
    if not any(line.startswith("o=") for line in lines[:3]):
        raise MessageInvalid("SDP must have an o= line after v=0")
    session: list[str] = []
    media: list[list[str]] = []
    for line in lines:
        if line.startswith("m="):
            media.append([line])
        elif media:
            media[-1].append(line)
        else:
            session.append(line)
    return SessionDescription(tuple(session), tuple(_media(m) for m in media))


def _media(lines: list[str]) -> MediaSection:
    parts = lines[0][2:].split(" ")
    if len(parts) < 4 or not parts[1].split("/")[0].isdigit():
        raise MessageInvalid(f"SDP media line must be m=<media> <port> <proto> <fmt> "
                             f"(got {lines[0][:40]!r})")
    return MediaSection(parts[0], int(parts[1].split("/")[0]), tuple(lines))


def serialise_sdp(sdp: SessionDescription) -> str:
    lines = list(sdp.session)
    for m in sdp.media:
        lines.extend(m.lines)
    return "\r\n".join(lines) + "\r\n"
