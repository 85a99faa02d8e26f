"""Wire messages a client sends: one frozen dataclass per event, parsed and serialised here.

Pure: no I/O, no socket.io. `parse(event, payload)` returns the typed message or
raises `MessageInvalid` with an exact message naming the field; `serialise(msg)`
gives back the payload, so that `parse(e, serialise(m)) == m`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from hearings.domain.errors import InvalidInput
from hearings.domain.values import long_text, text
from signaling.errors import MessageInvalid, UnknownEvent

__all__ = [
    "EVENTS",
    "HEARING_ACTIONS",
    "MEDIA_PEER",
    "RECORDING_ACTIONS",
    "ChatReply",
    "ChatSend",
    "ConsultationAnswer",
    "ConsultationRequest",
    "Empty",
    "HandClear",
    "HearingControl",
    "Heartbeat",
    "HelpRequest",
    "MediaAudioOnly",
    "Message",
    "MuteCommand",
    "ParticipantCommand",
    "RecordingControl",
    "RtcCandidate",
    "RtcSdp",
    "SelfMute",
    "SessionResolve",
    "measure",
    "parse",
    "serialise",
]

# The address of the server's own media peer in rtc.* messages.
MEDIA_PEER = "media"
HEARING_ACTIONS = ("open_doors", "start", "pause", "suspend", "resume", "close")
# The judge's own switch on the recording; the rest of its states follow the hearing.
RECORDING_ACTIONS = ("pause", "resume")
_ID = re.compile(r"^[A-Za-z0-9_:.-]{1,80}\Z")
MAX_TEXT = 2000
MAX_CANDIDATE = 1024


def _object(payload: object) -> dict[str, Any]:
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise MessageInvalid(f"payload must be an object (got {type(payload).__name__})")
    return payload


def _ident(data: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _ID.match(value):
        raise MessageInvalid(f"'{name}' must be an id of 1-80 letters, digits or _:.- "
                             f"(got {_show(value)})")
    return value


def _text(data: dict[str, Any], name: str, max_length: int, *, required: bool = True,
          lines: bool = False) -> str | None:
    """A text field under the domain's one rule for text (hearings/domain/values.py): one line,
    or with `lines` several (chat)."""
    value = data.get(name)
    if value is None and not required:
        return None
    try:
        if lines:
            return long_text(value, name, max_length=max_length)
        return text(value, name, max_length=max_length)
    except InvalidInput as exc:
        raise MessageInvalid(exc.message) from None


def _flag(data: dict[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise MessageInvalid(f"'{name}' must be true or false (got {_show(value)})")
    return value


def _number(data: dict[str, Any], name: str, low: float, high: float) -> float:
    value = data.get(name)
    # bool is an int in Python; a JSON true is not a measurement.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MessageInvalid(f"'{name}' must be a number (got {_show(value)})")
    if not low <= value <= high:
        raise MessageInvalid(f"'{name}' must be between {low:g} and {high:g} (got {value:g})")
    return float(value)


def _show(value: object) -> str:
    if isinstance(value, list | dict):  # never the repr of a nested structure: it recurses
        return f"a {type(value).__name__} of {len(value)}"
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def measure(payload: object) -> int:
    """The payload's size in UTF-8 bytes as JSON, refusing what the JSON and UTF-8 encoders
    downstream (Redis, the database, other clients) would not take."""
    try:
        return len(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise MessageInvalid(f"payload must be valid Unicode: a string holds a lone surrogate "
                             f"(U+{ord(exc.object[exc.start]):04X})") from None
    except RecursionError:
        raise MessageInvalid("payload nests too deep: an event takes one flat object") from None


class Message:
    """Base of every client message; subclasses list their fields as dataclass fields."""

    event: ClassVar[str] = ""

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Message:
        raise NotImplementedError


@dataclass(frozen=True)
class Empty(Message):
    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Empty:
        return cls()


@dataclass(frozen=True)
class HearingControl(Message):
    action: str
    reason: str | None = None

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> HearingControl:
        action = data.get("action")
        if action not in HEARING_ACTIONS:
            raise MessageInvalid(f"'action' must be in {list(HEARING_ACTIONS)} "
                                 f"(got {_show(action)})")
        reason = _text(data, "reason", 500, required=action == "suspend")
        return cls(action, reason)


@dataclass(frozen=True)
class RecordingControl(Message):
    action: str

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> RecordingControl:
        action = data.get("action")
        if action not in RECORDING_ACTIONS:
            raise MessageInvalid(f"'action' must be in {list(RECORDING_ACTIONS)} "
                                 f"(got {_show(action)})")
        return cls(action)


@dataclass(frozen=True)
class ParticipantCommand(Message):
    participant_id: str

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> ParticipantCommand:
        return cls(str(_ident(data, "participant_id")))


@dataclass(frozen=True)
class MuteCommand(Message):
    participant_id: str
    muted: bool = True
    locked: bool = False

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> MuteCommand:
        muted = _flag(data, "muted", True)
        locked = _flag(data, "locked", False)
        if locked and not muted:
            raise MessageInvalid("'locked' needs 'muted': a microphone is locked muted")
        return cls(str(_ident(data, "participant_id")), muted, locked)


@dataclass(frozen=True)
class SelfMute(Message):
    muted: bool

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> SelfMute:
        if "muted" not in data:
            raise MessageInvalid("'muted' is required")
        return cls(_flag(data, "muted", True))


@dataclass(frozen=True)
class MediaAudioOnly(Message):
    on: bool

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> MediaAudioOnly:
        if "on" not in data:
            raise MessageInvalid("'on' is required")
        return cls(_flag(data, "on", True))


@dataclass(frozen=True)
class ConsultationRequest(Message):
    participant_id: str

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> ConsultationRequest:
        return cls(str(_ident(data, "participant_id")))


@dataclass(frozen=True)
class ConsultationAnswer(Message):
    request_id: str

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> ConsultationAnswer:
        return cls(str(_ident(data, "request_id")))


@dataclass(frozen=True)
class HandClear(Message):
    participant_id: str

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> HandClear:
        return cls(str(_ident(data, "participant_id")))


@dataclass(frozen=True)
class ChatSend(Message):
    text: str

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> ChatSend:
        return cls(str(_text(data, "text", MAX_TEXT, lines=True)))


@dataclass(frozen=True)
class ChatReply(Message):
    to: str
    text: str

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> ChatReply:
        return cls(str(_ident(data, "to")), str(_text(data, "text", MAX_TEXT, lines=True)))


@dataclass(frozen=True)
class HelpRequest(Message):
    text: str | None = None

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> HelpRequest:
        return cls(_text(data, "text", 500, required=False, lines=True))


@dataclass(frozen=True)
class Heartbeat(Message):
    loss_pct: float
    rtt_ms: float
    bitrate_kbps: float

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Heartbeat:
        return cls(_number(data, "loss_pct", 0, 100), _number(data, "rtt_ms", 0, 60_000),
                   _number(data, "bitrate_kbps", 0, 1_000_000))


@dataclass(frozen=True)
class RtcSdp(Message):
    """An offer or an answer; `to` is a participant id or "media" (the server's peer)."""

    to: str
    sdp: str
    ice_restart: bool = False

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> RtcSdp:
        sdp = data.get("sdp")
        if not isinstance(sdp, str) or not sdp.startswith("v=0"):
            raise MessageInvalid(f"'sdp' must be an SDP string starting with v=0 "
                                 f"(got {_show(sdp)})")
        return cls(str(_ident(data, "to")), sdp, _flag(data, "ice_restart", False))


@dataclass(frozen=True)
class RtcCandidate(Message):
    to: str
    candidate: str  # "" marks the end of candidates, as in the browser's API
    sdp_mid: str | None = None
    sdp_mline_index: int | None = None

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> RtcCandidate:
        candidate = data.get("candidate")
        if not isinstance(candidate, str) or len(candidate) > MAX_CANDIDATE:
            raise MessageInvalid(f"'candidate' must be a string of at most {MAX_CANDIDATE} "
                                 f"characters (got {_show(candidate)})")
        if candidate and not candidate.startswith(("candidate:", "a=candidate:")):
            raise MessageInvalid(f"'candidate' must start with 'candidate:' "
                                 f"(got {_show(candidate)})")
        mid = _text(data, "sdp_mid", 64, required=False)
        index = data.get("sdp_mline_index")
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)
                                  or not 0 <= index < 64):
            raise MessageInvalid(f"'sdp_mline_index' must be an integer from 0 to 63 "
                                 f"(got {_show(index)})")
        return cls(str(_ident(data, "to")), candidate, mid, index)


@dataclass(frozen=True)
class SessionResolve(Message):
    """The judge decides which of several connections of one identity stays."""

    identity: str
    keep: str  # the sid that stays; the others are disconnected

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> SessionResolve:
        return cls(str(_ident(data, "identity")), str(_ident(data, "keep")))


# Every client → server event and its message type. The authorization table in
# authz.py has exactly these keys (a test holds the two together).
EVENTS: dict[str, type[Message]] = {
    "snapshot.request": Empty,
    "hearing.control": HearingControl,
    "recording.control": RecordingControl,
    "lobby.admit": ParticipantCommand,
    "lobby.deny": ParticipantCommand,
    "lobby.send_back": ParticipantCommand,
    "witness.call": ParticipantCommand,
    "witness.dismiss": ParticipantCommand,
    "participant.remove": ParticipantCommand,
    "participant.mute": MuteCommand,
    "self.mute": SelfMute,
    "session.resolve": SessionResolve,
    "consultation.request": ConsultationRequest,
    "consultation.accept": ConsultationAnswer,
    "consultation.reject": ConsultationAnswer,
    "consultation.leave": Empty,
    "hand.raise": Empty,
    "hand.lower": Empty,
    "hand.clear": HandClear,
    "chat.send": ChatSend,
    "chat.reply": ChatReply,
    "help.request": HelpRequest,
    "heartbeat": Heartbeat,
    "rtc.offer": RtcSdp,
    "rtc.answer": RtcSdp,
    "rtc.candidate": RtcCandidate,
    "media.audio_only": MediaAudioOnly,
}


def parse(event: object, payload: object) -> Message:
    if not isinstance(event, str) or event not in EVENTS:
        raise UnknownEvent(f"unknown event {_show(event)}")
    kind = EVENTS[event]
    data = _object(payload)
    known = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise MessageInvalid(f"unknown field {unknown[0]!r} in {event}")
    return kind.from_payload(data)


def serialise(message: Message) -> dict[str, Any]:
    return {f.name: getattr(message, f.name) for f in fields(message)  # type: ignore[arg-type]
            if getattr(message, f.name) is not None}
