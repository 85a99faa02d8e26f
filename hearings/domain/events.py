"""Domain events: what happened, for whoever outside the domain must follow it.

A service handler records an event on its unit of work (`uow.record(event)`); the unit of
work hands the events to the bus (hearings/services/bus.py) only after its commit succeeded, so a
subscriber never acts on a change that was rolled back, and the REST and socket paths —
which call the same handler — are heard the same.

Each event is a frozen dataclass of plain values with a JSON envelope,
`{"v": 1, "type": "hearing.changed", "data": {...}}` (`envelope` / `from_envelope`), so that
it can cross to another process (over Redis) without pickle. A new field is added with a
default; a change of meaning is a new `v`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from hearings.domain.participants import Participant
from hearings.domain.states import HearingState, ParticipantState, RecordingState

__all__ = ["ENVELOPE_VERSION", "ApplicationQueued", "ApplicationTaken", "ApplicationWithdrawn",
           "DocumentDelivered", "Event", "EventError", "HearingChanged", "MediationChanged",
           "ParticipantChanged", "PleaChanged", "RecordingChanged", "TranscriptChanged",
           "envelope",
           "from_envelope"]

ENVELOPE_VERSION = 1


class EventError(ValueError):
    """An envelope that is not one of ours (unknown type or version, missing fields)."""


@dataclass(frozen=True)
class Event:
    event_type: ClassVar[str] = ""
    # str-valued enums come back as their enum: {field: enum type}
    _enums: ClassVar[dict[str, type[Any]]] = {}

    hearing_id: str


@dataclass(frozen=True)
class HearingChanged(Event):
    """The hearing moved (open doors, start, pause, suspend, resume, close, cancel)."""

    event_type: ClassVar[str] = "hearing.changed"
    _enums: ClassVar[dict[str, type[Any]]] = {"state": HearingState,
                                              "recording_state": RecordingState}

    action: str  # "start", "close", …
    state: HearingState
    recording_state: RecordingState
    title: str
    kind: str
    suspend_reason: str | None
    by: str  # the actor's name, as the room shows it
    actor: str  # the actor's label, as the audit log has it

    @property
    def is_over(self) -> bool:
        return self.state in (HearingState.CLOSED, HearingState.CANCELLED)


@dataclass(frozen=True)
class ParticipantChanged(Event):
    """A participant moved or was muted by a command: admitted, denied, sent back, removed
    (`action` as the command names it), a witness called or dismissed (`witness.call`,
    `witness.dismiss`), muted or unmuted (`mute`). The participant as it committed, as the
    room lists it; `by` the actor's name. (Connecting, dropping and consultations are the
    connections' own doing: signaling places those as they happen.)"""

    event_type: ClassVar[str] = "participant.changed"
    _enums: ClassVar[dict[str, type[Any]]] = {"state": ParticipantState}

    participant_id: str
    action: str
    name: str
    role: str
    state: ParticipantState
    muted: bool
    mute_locked: bool
    by: str

    @classmethod
    def of(cls, p: Participant, action: str, by: str) -> ParticipantChanged:
        return cls(p.hearing_id, p.id, action, p.name, p.role.value, p.state, p.muted,
                   p.mute_locked, by)

    @property
    def removed(self) -> bool:
        return self.state is ParticipantState.REMOVED


@dataclass(frozen=True)
class RecordingChanged(Event):
    """The hearing's recording moved: the recorder starts, pauses, resumes or stops with it."""

    event_type: ClassVar[str] = "recording.changed"
    _enums: ClassVar[dict[str, type[Any]]] = {"state": RecordingState,
                                              "previous": RecordingState,
                                              "hearing_state": HearingState}

    state: RecordingState
    previous: RecordingState
    hearing_state: HearingState
    because: str  # e.g. "hearing.start", "recording.pause"
    by: str


@dataclass(frozen=True)
class MediationChanged(Event):
    """The mediation moved (drafted, signing opened, signed, refused, applied for
    confirmation, taken, withdrawn, ruled on). `view` is what the mediation console and the
    kiosk show, read in the unit of work that made the change (`MediationView.as_json`)."""

    event_type: ClassVar[str] = "mediation.changed"

    because: str  # the audit action, e.g. "mediation.signed", "application.taken"
    view: dict[str, Any]


@dataclass(frozen=True)
class DocumentDelivered(Event):
    """A signed document went out to the hearing's room (the confirmation ruling, the sealed
    transcript); each receipt of it is proof of service."""

    event_type: ClassVar[str] = "document.delivered"

    document_id: str
    kind: str
    title: str
    url: str
    decision: str | None = None  # the ruling's ("confirmed" / "rejected"); None otherwise


@dataclass(frozen=True)
class TranscriptChanged(Event):
    """The transcript (笔录) was saved, frozen for signing, or signed. `view` is what the
    transcript's readers show, without the text (`TranscriptView.event`)."""

    event_type: ClassVar[str] = "transcript.changed"

    # "record.saved", "record.frozen", "record.signed"; "record.correction_requested" or
    # "record.refused" (sent back, the view's `reopened` says by whom and why), then
    # "record.revised" beside the "record.frozen" of the version sent after it
    because: str
    view: dict[str, Any]


@dataclass(frozen=True)
class PleaChanged(Event):
    """An interrogation's plea statement (认罪认罚具结书) was drafted, signed or refused.
    `view` is what its readers show (`PleaView.as_json`)."""

    event_type: ClassVar[str] = "plea.changed"

    because: str  # "plea.drafted", "plea.signed" or "plea.refused"
    view: dict[str, Any]


@dataclass(frozen=True)
class ApplicationQueued(Event):
    """A judicial-confirmation application joined the court's queue (`hearing_id`: the
    mediation's); `entry` is the queue's row for it."""

    event_type: ClassVar[str] = "application.queued"

    court_id: str
    application_id: str
    entry: dict[str, Any]


@dataclass(frozen=True)
class ApplicationTaken(Event):
    """A duty judge took the application (`by`: the judge's user id)."""

    event_type: ClassVar[str] = "application.taken"

    court_id: str
    application_id: str
    by: str


@dataclass(frozen=True)
class ApplicationWithdrawn(Event):
    """The mediator withdrew the application: it leaves the court's queue."""

    event_type: ClassVar[str] = "application.withdrawn"

    court_id: str
    application_id: str


EVENT_TYPES: dict[str, type[Event]] = {cls.event_type: cls for cls in (
    HearingChanged, ParticipantChanged, RecordingChanged, MediationChanged, DocumentDelivered,
    TranscriptChanged, PleaChanged, ApplicationQueued, ApplicationTaken, ApplicationWithdrawn)}


def envelope(event: Event) -> dict[str, Any]:
    """The event as JSON-ready data: `{"v": 1, "type": …, "data": {…}}`."""
    data = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    return {"v": ENVELOPE_VERSION, "type": event.event_type,
            "data": {k: (v.value if k in event._enums else v) for k, v in data.items()}}


def from_envelope(message: dict[str, Any]) -> Event:
    """The event back from its envelope; anything else raises `EventError`."""
    if not isinstance(message, dict) or message.get("v") != ENVELOPE_VERSION:
        raise EventError(f"not a v{ENVELOPE_VERSION} event envelope")
    cls = EVENT_TYPES.get(str(message.get("type")))
    data = message.get("data")
    if cls is None or not isinstance(data, dict):
        raise EventError(f"unknown event type {message.get('type')!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        values = {k: (cls._enums[k](v) if k in cls._enums else v)
                  for k, v in data.items() if k in names}
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise EventError(f"{cls.event_type}: {exc}") from None
