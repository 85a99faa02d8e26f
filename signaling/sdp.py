"""SDP (RFC 8866), just enough to relay safely: parse into sections, serialise, media direction.

Pure. Signaling does not rewrite SDP; it checks the shape (so that garbage is
refused with a clear message rather than handed to a browser) and reads each
media section's direction (so that an observer cannot publish).

The direction must be the one the peer acts on, so whatever two peers could read
differently is refused rather than guessed: aiortc (the server's media peer) and
Chrome keep the *last* of two directions, aiortc splits lines with
`str.splitlines()` and reads `a=sendrecv:x` as sendrecv, Chrome reads `a=sendrecv x`
too, and both ignore a session-level direction that RFC 8866 makes the default.
Hence: one line break (CRLF, or LF throughout), no control characters, one bare
direction per media section and none at session level, and the attributes that
decide where media goes and who is trusted (mid, setup, ICE credentials,
fingerprints, payload types, header extension ids) once each, agreeing between the
session and the section.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from signaling.errors import MessageInvalid

__all__ = ["MediaSection", "SessionDescription", "parse_sdp", "serialise_sdp"]

_LINE = re.compile(r"^[a-z]=(?! )")
# C0/C1 controls and the separators str.splitlines() breaks at (U+2028, U+2029).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAME_END = re.compile(r"[: ]")  # aiortc ends a name at ':', Chrome at ':' or ' '
_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_SETUP = ("actpass", "active", "passive")
_ONCE = ("mid", "setup", "ice-ufrag", "ice-pwd")  # one value per section (or session)
_SHARED = ("setup", "ice-ufrag", "ice-pwd")  # a session value is the sections' default
_KEYED = ("rtpmap", "fmtp", "extmap")  # once per payload type / extension id
_DECIDING = frozenset(_DIRECTIONS + _ONCE + _KEYED + ("fingerprint",))


@dataclass(frozen=True)
class MediaSection:
    kind: str  # audio | video | application | ...
    port: int
    lines: tuple[str, ...]  # the m= line first

    @property
    def direction(self) -> str:
        """The section's one direction attribute (parse_sdp refuses two); RFC 8866's default."""
        for line in self.lines:
            if line[2:] in _DIRECTIONS:
                return line[2:]
        return "sendrecv"

    @property
    def mid(self) -> str | None:
        return next((line[6:] for line in self.lines if line.startswith("a=mid:")), None)


@dataclass(frozen=True)
class SessionDescription:
    session: tuple[str, ...]
    media: tuple[MediaSection, ...] = field(default=())

    def publishes(self) -> bool:
        """Would this description send audio or video?

        A port-0 section counts too: aiortc receives on it when it is bundled, and
        Chrome does on `a=bundle-only`.
        """
        return any(m.kind in ("audio", "video") and m.direction in ("sendrecv", "sendonly")
                   for m in self.media)


def parse_sdp(text: str) -> SessionDescription:
    lines = text.split("\r\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) == 1 and "\n" in text:
        lines = text.rstrip("\n").split("\n")  # tolerate bare LF, as browsers do
    if not lines or lines[0] != "v=0":
        raise MessageInvalid("SDP must start with the line v=0")
    for number, line in enumerate(lines, 1):
        control = _CONTROL.search(line)
        if control and control.group() not in "\r\n":
            raise MessageInvalid(f"SDP line {number} has a control character or line "
                                 f"separator ({control.group()!r})")
        if control or not _LINE.match(line):
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
    sections = tuple(_media(m) for m in media)
    _check_unambiguous(session, sections)
    return SessionDescription(tuple(session), sections)


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


# -- one reading only ----------------------------------------------------------------------

@dataclass
class _Scope:
    """The deciding attributes of the session or of one media section."""

    where: str
    once: dict[str, str] = field(default_factory=dict)
    direction: str | None = None
    fingerprints: dict[str, str] = field(default_factory=dict)  # algorithm → value
    keys: set[tuple[str, str]] = field(default_factory=set)


def _check_unambiguous(session: Sequence[str], media: Sequence[MediaSection]) -> None:
    top = _attributes(session[1:], _Scope("session"))
    if top.direction is not None:
        raise MessageInvalid(f"SDP direction a={top.direction} must be in a media section "
                             f"(peers ignore it at session level)")
    mids: dict[str, int] = {}
    for number, section in enumerate(media, 1):
        scope = _attributes(section.lines[1:],
                            _Scope(f"media section {number} ({section.kind[:20]})"))
        for name in _SHARED:
            mine, theirs = scope.once.get(name), top.once.get(name)
            if mine is not None and theirs is not None and mine != theirs:
                raise MessageInvalid(f"SDP {scope.where} has a={name}:{mine[:40]}, "
                                     f"the session a={name}:{theirs[:40]}")
        for algorithm, value in top.fingerprints.items():
            if scope.fingerprints.setdefault(algorithm, value) != value:
                raise MessageInvalid(f"SDP {scope.where} has a {algorithm[:20]} fingerprint "
                                     f"that disagrees with the session's")
        mid = scope.once.get("mid")
        if mid is not None:
            if mid in mids:
                raise MessageInvalid(f"SDP mid {mid[:40]!r} names media sections "
                                     f"{mids[mid]} and {number}")
            mids[mid] = number


def _attributes(lines: Sequence[str], scope: _Scope) -> _Scope:
    for line in lines:
        if line.startswith("a="):
            _attribute(line, scope)
    return scope


def _attribute(line: str, scope: _Scope) -> None:
    text = line[2:]
    name = _NAME_END.split(text, maxsplit=1)[0]
    if name not in _DECIDING:
        if name.lower() in _DECIDING:
            raise MessageInvalid(f"SDP attribute names are lower case (got {line[:40]!r})")
        return
    if name in _DIRECTIONS:
        if text != name:
            raise MessageInvalid(f"SDP direction must be the bare attribute a={name} "
                                 f"(got {line[:40]!r})")
        if scope.direction is not None:
            raise MessageInvalid(f"SDP {scope.where} has a second direction a={name} after "
                                 f"a={scope.direction}: peers disagree on which one counts")
        scope.direction = name
        return
    value = text[len(name) + 1:]
    if not text.startswith(name + ":") or not value.strip():
        raise MessageInvalid(f"SDP attribute must be a={name}:<value> (got {line[:40]!r})")
    if name in _ONCE:
        if name in scope.once:
            raise MessageInvalid(f"SDP {scope.where} has a={name} twice")
        if name == "setup" and value not in _SETUP:
            raise MessageInvalid(f"SDP a=setup must be one of {', '.join(_SETUP)} "
                                 f"(got {value[:20]!r})")
        scope.once[name] = value
    elif name == "fingerprint":
        algorithm, _, digest = value.partition(" ")
        algorithm = algorithm.lower()
        if scope.fingerprints.setdefault(algorithm, digest.upper()) != digest.upper():
            raise MessageInvalid(f"SDP {scope.where} has two {algorithm[:20]} fingerprints "
                                 f"that disagree")
    else:
        key = value.split(" ", 1)[0].split("/", 1)[0]
        if (name, key) in scope.keys:
            if name == "rtpmap":
                raise MessageInvalid(f"SDP {scope.where} maps payload type {key[:10]} twice")
            raise MessageInvalid(f"SDP {scope.where} has a={name}:{key[:10]} twice")
        scope.keys.add((name, key))
