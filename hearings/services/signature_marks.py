"""The port through which a signature's moment reaches the hearing's recording: where each
participant's recorded track is at a given time (for the audit entry), and the mark itself
once the signature is committed (media writes it into the recording's evidence; web wires
it, web/bridges/recording.py `RecordingDriver`)."""

from __future__ import annotations

from typing import Any, Protocol

from hearings.domain.errors import Conflict
from hearings.domain.identity import utcnow
from hearings.domain.states import RecordingState
from hearings.services.signing import Signature

__all__ = ["ON_CAMERA", "NoMarks", "OffCamera", "SignatureMarks", "mark_on_camera", "no_marks"]

# Recording states in which a signature is made on camera (its moment goes into the evidence).
ON_CAMERA = frozenset({RecordingState.RECORDING, RecordingState.PAUSED, RecordingState.FAILED})


class OffCamera(Conflict):
    """The signer's own track was not being recorded when they signed (a gap: camera or
    connection lost, media stalled): the signature is not kept; sign again once it is back."""

    code = "off_camera"

    def __init__(self) -> None:
        super().__init__("your recording is interrupted: the signature was not kept; "
                         "sign again once your camera is recorded again")


class SignatureMarks(Protocol):
    async def offsets(self, hearing_id: str, at: float) -> dict[str, Any]:
        """Per participant track recording at `at` (epoch seconds): its segment and the
        offset into it and into the track; {} when nothing is being recorded."""
        ...

    async def on_camera(self, hearing_id: str, mark: dict[str, Any]) -> bool:
        """Whether the signer's own track (the mark's participant or staff account) is
        being recorded at the mark's time; True when the signer has no track at all."""
        ...

    async def signed(self, hearing_id: str, mark: dict[str, Any]) -> None:
        """Keep the committed signature's mark with the recording."""
        ...


class NoMarks:
    """No recording to mark (tests of the transcript alone, a hearing without media)."""

    async def offsets(self, hearing_id: str, at: float) -> dict[str, Any]:
        return {}

    async def on_camera(self, hearing_id: str, mark: dict[str, Any]) -> bool:
        return True

    async def signed(self, hearing_id: str, mark: dict[str, Any]) -> None:
        return None


no_marks = NoMarks()


async def mark_on_camera(marks: SignatureMarks, hearing_id: str, signed: Signature[Any],
                         participant_id: str | None, staff_user_id: str | None,
                         capture: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """A signature made while the hearing is recorded (`ON_CAMERA`): its mark (what
    `signed` keeps with the recording once committed) and the audit entry's `media` (where
    every participant's track is at that moment). `OffCamera` when the signer's own track
    is not being recorded then: the signature is not kept."""
    document = signed.document
    at = utcnow().timestamp()
    mark = {"field": signed.slot.field, "signer": signed.slot.signer,
            "participant_id": participant_id, "staff_user_id": staff_user_id,
            "document_id": document.id, "kind": document.kind.value, "title": document.title,
            "sha256": signed.sha256, "at": at, "captured_at": _captured_at(capture)}
    if not await marks.on_camera(hearing_id, mark):
        raise OffCamera()
    return mark, {"at": at, "tracks": await marks.offsets(hearing_id, at)}


def _captured_at(capture: object) -> str | None:
    """When the pad says the signature (and its camera snapshot) was taken."""
    value = capture.get("signed_at") if isinstance(capture, dict) else None
    return value if isinstance(value, str) else None
