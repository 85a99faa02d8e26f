"""Who a recording belongs to: the little the media layer needs to know about a participant."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["NON_PUBLISHING_ROLES", "ParticipantInfo"]

# Roles whose audio and video the server never takes: the complement of the domain's
# `hearings.domain.participants.PUBLISHING_ROLES` (media imports no other yunting package; a
# test holds the two together). web/ passes `Role.value` as `role`.
NON_PUBLISHING_ROLES = frozenset({"observer"})
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")


@dataclass(frozen=True)
class ParticipantInfo:
    """Identity the signaling layer hands over with an offer; ids become directory names."""

    hearing_id: str
    participant_id: str
    role: str = ""
    site: str = ""
    display_name: str = ""
    role_label: str = ""  # the role as the archive's name plate shows it ("被告人")

    def __post_init__(self) -> None:
        for name in ("hearing_id", "participant_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _SAFE_ID.match(value) or ".." in value:
                raise ValueError(
                    f"'{name}' must be 1-128 of [A-Za-z0-9_.-], not starting with a dot"
                    f" (got {value!r})"
                )

    @property
    def may_publish(self) -> bool:
        return self.role not in NON_PUBLISHING_ROLES

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
