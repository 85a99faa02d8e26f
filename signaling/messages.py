"""Wire messages a client sends: one pydantic model per event, parsed and serialised here.

Pure: no I/O, no socket.io. `parse(event, payload)` returns the typed message or
raises `MessageInvalid` with an exact message naming the field; `serialise(msg)`
gives back the payload, so that `parse(e, serialise(m)) == m`; `json_schema(event)`
writes the event's JSON Schema from the same model.

Each field's type carries a `Rule`: the check pydantic runs (in Rust, but for the
domain's text rule) and the refusal in the protocol's words, which `parse` gives the
client instead of pydantic's own ("Input should be a valid string"). A model declares
its fields in the order they are checked, so the first refusal is the one it gets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, ErrorDetails, PydanticCustomError, core_schema

from hearings.domain import values
from hearings.domain.errors import InvalidInput
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
    "json_schema",
    "measure",
    "parse",
    "serialise",
]

# The address of the server's own media peer in rtc.* messages.
MEDIA_PEER = "media"
HEARING_ACTIONS = ("open_doors", "start", "pause", "suspend", "resume", "close")
# The judge's own switch on the recording; the rest of its states follow the hearing.
RECORDING_ACTIONS = ("pause", "resume")
# pydantic's regex engine (Rust) anchors `$` at the end of the text only, as Python's `\Z`:
# Python's `$` would let an id end in a line feed.
ID_PATTERN = r"^[A-Za-z0-9_:.-]{1,80}$"
MAX_TEXT = 2000
MAX_CANDIDATE = 1024
# The error type of a refusal already in the protocol's words (a rule across fields, the
# domain's text rule): `parse` passes its message through.
_REFUSED = "refused"


def _refused(message: str) -> PydanticCustomError:
    return PydanticCustomError(_REFUSED, "{message}", {"message": message})


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


# -- field rules ------------------------------------------------------------------------
class Rule:
    """A kind of field: the core schema pydantic validates it with, and `refusal`, the
    message the client gets when pydantic refuses it, from pydantic's error type and the
    value sent (None when the field is missing)."""

    def schema(self) -> CoreSchema:
        raise NotImplementedError

    def refusal(self, field: str, kind: str, value: object) -> str:
        raise NotImplementedError

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler
                                     ) -> CoreSchema:
        return self.schema()


class _Id(Rule):
    def schema(self) -> CoreSchema:
        return core_schema.str_schema(pattern=ID_PATTERN, strict=True)

    def refusal(self, field: str, kind: str, value: object) -> str:
        return f"'{field}' must be an id of 1-80 letters, digits or _:.- (got {_show(value)})"


class _Flag(Rule):
    def schema(self) -> CoreSchema:
        return core_schema.bool_schema(strict=True)

    def refusal(self, field: str, kind: str, value: object) -> str:
        if kind == "missing":
            return f"'{field}' is required"
        return f"'{field}' must be true or false (got {_show(value)})"


@dataclass(frozen=True)
class Number(Rule):
    """A measurement: an int or a float, finite (no NaN, no infinity), never a JSON true."""

    low: float
    high: float

    def schema(self) -> CoreSchema:
        return core_schema.float_schema(ge=self.low, le=self.high, allow_inf_nan=False,
                                        strict=True)

    def refusal(self, field: str, kind: str, value: object) -> str:
        if kind in ("greater_than_equal", "less_than_equal"):
            return (f"'{field}' must be between {self.low:g} and {self.high:g} "
                    f"(got {value:g})")
        return f"'{field}' must be a number (got {_show(value)})"


@dataclass(frozen=True)
class OneOf(Rule):
    choices: tuple[str, ...]

    def schema(self) -> CoreSchema:
        return core_schema.literal_schema(list(self.choices))

    def refusal(self, field: str, kind: str, value: object) -> str:
        return f"'{field}' must be in {list(self.choices)} (got {_show(value)})"


@dataclass(frozen=True)
class Text(Rule):
    """A text field under the domain's one rule for text (hearings/domain/values.py): one
    line, or with `lines` several (chat). The domain words its refusals itself."""

    max_length: int
    lines: bool = False

    def schema(self) -> CoreSchema:
        return core_schema.with_info_after_validator_function(
            self._validate, core_schema.str_schema(strict=True))

    def refusal(self, field: str, kind: str, value: object) -> str:
        try:
            self._check(value, field)
        except InvalidInput as exc:
            return exc.message
        return f"'{field}' must be text ({kind})"  # pydantic refuses no str the domain takes

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler
                                     ) -> JsonSchemaValue:
        shape = "several lines" if self.lines else "one line"
        return {**handler(schema), "maxLength": self.max_length,
                "description": f"{shape} under the domain's text rule: valid Unicode, no "
                               "control or bidirectional characters, not blank"}

    def _validate(self, value: str, info: ValidationInfo) -> str:
        try:
            return self._check(value, str(info.field_name))
        except InvalidInput as exc:
            raise _refused(exc.message) from None

    def _check(self, value: object, field: str) -> str:
        if self.lines:
            return values.long_text(value, field, max_length=self.max_length)
        return values.text(value, field, max_length=self.max_length)


def _lone_surrogate(field: str, value: object) -> str | None:
    """Today's sdp and candidate checks took any str; pydantic refuses a lone surrogate in one
    first (so does `measure`, before `parse`)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return (f"'{field}' must be valid Unicode: lone surrogate "
                    f"U+{ord(value[exc.start]):04X} at character {exc.start}")
    return None


class _Sdp(Rule):
    def schema(self) -> CoreSchema:
        return core_schema.str_schema(pattern=r"^v=0", strict=True)

    def refusal(self, field: str, kind: str, value: object) -> str:
        return (_lone_surrogate(field, value)
                or f"'{field}' must be an SDP string starting with v=0 (got {_show(value)})")


class _Candidate(Rule):
    """"" marks the end of candidates, as in the browser's API."""

    def schema(self) -> CoreSchema:
        return core_schema.str_schema(max_length=MAX_CANDIDATE, strict=True,
                                      pattern=r"^(?:(?:a=)?candidate:|$)")

    def refusal(self, field: str, kind: str, value: object) -> str:
        if kind == "string_pattern_mismatch":
            return f"'{field}' must start with 'candidate:' (got {_show(value)})"
        return (_lone_surrogate(field, value)
                or f"'{field}' must be a string of at most {MAX_CANDIDATE} characters "
                   f"(got {_show(value)})")


class _MLineIndex(Rule):
    def schema(self) -> CoreSchema:
        return core_schema.int_schema(ge=0, lt=64, strict=True)

    def refusal(self, field: str, kind: str, value: object) -> str:
        return f"'{field}' must be an integer from 0 to 63 (got {_show(value)})"


Id = Annotated[str, _Id()]
Flag = Annotated[bool, _Flag()]
_REASON = Text(500)


# -- messages ---------------------------------------------------------------------------
class Message(BaseModel):
    """Base of every client message: frozen (hashable), strict (no "1" for 1, no true for
    1), closed (an unknown field is refused)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    # field → its rule, for the refusal's wording; filled in for every subclass.
    rules: ClassVar[dict[str, Rule]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.rules = {name: rule for name, info in cls.model_fields.items()
                     if (rule := _rule_of([info.annotation, *info.metadata])) is not None}


def _rule_of(annotations: list[Any]) -> Rule | None:
    """The Rule in a field's annotation, inside `Annotated[...]` and `... | None` alike."""
    for annotation in annotations:
        if isinstance(annotation, Rule):
            return annotation
        if (rule := _rule_of(list(get_args(annotation)))) is not None:
            return rule
    return None


class Empty(Message):
    pass


class HearingControl(Message):
    action: Annotated[str, OneOf(HEARING_ACTIONS)]
    # Required for a suspension, which the parties see; checked when absent too.
    reason: Annotated[str, _REASON] | None = Field(default=None, validate_default=True)

    @field_validator("reason")
    @classmethod
    def _suspend_needs_reason(cls, reason: str | None, info: ValidationInfo) -> str | None:
        if reason is None and info.data.get("action") == "suspend":
            raise _refused(_REASON.refusal("reason", "missing", None))
        return reason


class RecordingControl(Message):
    action: Annotated[str, OneOf(RECORDING_ACTIONS)]


class ParticipantCommand(Message):
    participant_id: Id


class MuteCommand(Message):
    muted: Flag = True
    locked: Flag = False
    participant_id: Id

    @field_validator("locked")
    @classmethod
    def _locked_is_muted(cls, locked: bool, info: ValidationInfo) -> bool:
        if locked and info.data.get("muted") is False:
            raise _refused("'locked' needs 'muted': a microphone is locked muted")
        return locked


class SelfMute(Message):
    muted: Flag


class MediaAudioOnly(Message):
    on: Flag


class ConsultationRequest(Message):
    participant_id: Id


class ConsultationAnswer(Message):
    request_id: Id


class HandClear(Message):
    participant_id: Id


class ChatSend(Message):
    text: Annotated[str, Text(MAX_TEXT, lines=True)]


class ChatReply(Message):
    to: Id
    text: Annotated[str, Text(MAX_TEXT, lines=True)]


class HelpRequest(Message):
    text: Annotated[str, Text(500, lines=True)] | None = None


class Heartbeat(Message):
    loss_pct: Annotated[float, Number(0, 100)]
    rtt_ms: Annotated[float, Number(0, 60_000)]
    bitrate_kbps: Annotated[float, Number(0, 1_000_000)]


class RtcSdp(Message):
    """An offer or an answer; `to` is a participant id or "media" (the server's peer)."""

    sdp: Annotated[str, _Sdp()]
    to: Id
    ice_restart: Flag = False


class RtcCandidate(Message):
    candidate: Annotated[str, _Candidate()]
    sdp_mid: Annotated[str, Text(64)] | None = None
    sdp_mline_index: Annotated[int, _MLineIndex()] | None = None
    to: Id


class SessionResolve(Message):
    """The judge decides which of several connections of one identity stays."""

    identity: Id
    keep: Id  # the sid that stays; the others are disconnected


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
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise MessageInvalid(f"payload must be an object (got {type(payload).__name__})")
    kind = EVENTS[event]
    try:
        return kind.model_validate(payload)
    except ValidationError as exc:
        raise MessageInvalid(_refusal(kind, event, exc.errors(include_url=False))) from None


def _refusal(kind: type[Message], event: str, errors: list[ErrorDetails]) -> str:
    """The one message the client gets: an unknown field first, else the first refusal."""
    unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden")
    if unknown:
        return f"unknown field {unknown[0]!r} in {event}"
    first = errors[0]
    if first["type"] == _REFUSED:
        return str(first.get("ctx", {})["message"])
    field = str(first["loc"][0])
    value = None if first["type"] == "missing" else first["input"]
    return kind.rules[field].refusal(field, first["type"], value)


def serialise(message: Message) -> dict[str, Any]:
    return message.model_dump(exclude_none=True)


def json_schema(event: str) -> dict[str, Any]:
    """The JSON Schema of an event's payload, written from the model that validates it."""
    return EVENTS[event].model_json_schema()
