"""What crosses Redis between the web processes and a `yunting media` worker: which
`MediaService` methods are called remotely, which of its callbacks come back as events, and
how their arguments travel (JSON with tagged value objects; never pickle).

Proxying one more `MediaService` method is one entry in `CALLS`; one more callback of its
constructor, one entry in `EVENTS`. Arguments may be JSON values, `ParticipantInfo` or
`RecordingEvent` (more in `_TAGGED`); the first argument names the hearing (its id, or an
object with a `hearing_id`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from media.participant import ParticipantInfo
from media.recorder import RecordingEvent

__all__ = [
    "CALLS",
    "EVENTS",
    "VERSION",
    "ProtocolError",
    "Proxied",
    "decode_args",
    "encode_args",
    "hearing_of",
]

VERSION = 1


class ProtocolError(ValueError):
    """A message on the media channels that is not one of ours."""


@dataclass(frozen=True)
class Proxied:
    """How the web process calls one `MediaService` method on the hearing's worker.

    `waits`: the method is a coroutine and the caller awaits the worker's reply (else it is
    a synchronous switch, sent in order and not awaited). `places`: the call needs the
    hearing on a worker (placing it if it has none); otherwise a hearing that is on no
    worker has nothing to do. `switch`: the recording switch after the call, given the
    one before (the web side keeps it, and hands it to a worker the hearing moves to).
    """

    waits: bool = True
    places: bool = False
    switch: Callable[[str], str] | None = None
    # Kept and replayed on every worker the hearing moves to: the latest call per hearing
    # ("hearing"), or per hearing and participant (its second argument: "participant").
    remember: str = ""


def _switch(to: str, *, when: tuple[str, ...]) -> Callable[[str], str]:
    return lambda now: to if now in when else now


CALLS: dict[str, Proxied] = {
    "answer": Proxied(places=True),
    "close_participant": Proxied(),
    "start": Proxied(waits=False, switch=_switch("recording", when=("standby",))),
    "pause": Proxied(waits=False, switch=_switch("paused", when=("recording",))),
    "resume": Proxied(waits=False, switch=_switch("recording", when=("paused",))),
    "stop": Proxied(switch=lambda now: "stopped"),
    "set_audience": Proxied(remember="hearing"),
    "set_audio_only": Proxied(waits=False, remember="participant"),
}

# Event name → the `MediaService` attribute (and constructor argument) that is its callback;
# the web side calls its own attribute of that name, in the hearing's home process.
EVENTS: dict[str, str] = {
    "recording": "on_recording_event",
    "slots": "on_slots",
}

_TAGGED: dict[str, tuple[type, Callable[[Any], dict[str, Any]]]] = {
    "participant": (ParticipantInfo, lambda p: p.as_dict()),
    "recording_event": (RecordingEvent, lambda e: e.as_dict()),
}


def _encode(value: Any) -> Any:
    for tag, (kind, as_dict) in _TAGGED.items():
        if isinstance(value, kind):
            return {"$": tag, "v": as_dict(value)}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if "$" in value:
            raise ProtocolError("a plain object may not have a '$' key")
        return {str(k): _encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ProtocolError(f"cannot send a {type(value).__name__} to a media worker")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "$" in value:
            tagged = _TAGGED.get(value["$"])
            if tagged is None or not isinstance(value.get("v"), dict):
                raise ProtocolError(f"unknown value tag {value['$']!r}")
            try:
                return tagged[0](**value["v"])
            except (TypeError, ValueError) as exc:
                raise ProtocolError(f"bad {value['$']}: {exc}") from None
        return {k: _decode(v) for k, v in value.items()}
    return value


def encode_args(args: tuple[Any, ...]) -> list[Any]:
    return [_encode(a) for a in args]


def decode_args(raw: Any) -> tuple[Any, ...]:
    if not isinstance(raw, list):
        raise ProtocolError("'args' must be a list")
    return tuple(_decode(a) for a in raw)


def encode_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {str(k): _encode(v) for k, v in kwargs.items()}


def decode_kwargs(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) and k.isidentifier()
                                            for k in raw):
        raise ProtocolError("'kwargs' must be an object of argument names")
    return {k: _decode(v) for k, v in raw.items()}


def remembered_as(name: str, call: Proxied, args: tuple[Any, ...]) -> str:
    """The field a remembered call is kept under (a later one of the same field replaces it)."""
    if call.remember == "participant" and len(args) > 1:
        return f"{name}:{args[1]}"
    return name


def hearing_of(args: tuple[Any, ...]) -> str:
    """The hearing a call or an event is about: its first argument names it."""
    first = args[0] if args else None
    hearing_id = first if isinstance(first, str) else getattr(first, "hearing_id", None)
    if not isinstance(hearing_id, str) or not hearing_id:
        raise ProtocolError("the first argument must name the hearing")
    return hearing_id
