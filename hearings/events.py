"""Events: what happened, for whoever outside the domain must follow it (the recorder, clients).

They are published after the unit of work commits, so a listener never acts on a change
that was rolled back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hearings.states import HearingState, RecordingState

__all__ = ["Listener", "RecordingChanged", "ignore"]


@dataclass(frozen=True)
class RecordingChanged:
    """The hearing's recording moved: the recorder starts, pauses, resumes or stops with it."""

    hearing_id: str
    state: RecordingState
    previous: RecordingState
    hearing_state: HearingState
    because: str  # e.g. "hearing.start", "recording.pause"
    by: str


Listener = Callable[[RecordingChanged], Awaitable[None]]


async def ignore(event: RecordingChanged) -> None:
    """The default listener: nobody outside the domain follows the recording."""
