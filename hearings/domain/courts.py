"""Courts and the registered places (sites) participants join from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from hearings.domain.errors import InvalidInput
from hearings.domain.identity import new_id
from hearings.domain.values import member, text

__all__ = ["DEVICE_PROFILES", "Court", "Site", "SiteKind"]

# The court's code in case numbers: a province abbreviation and four digits (渝0113).
COURT_CODE = re.compile(r"^[\u4e00-\u9fff]\d{4}\Z")


class SiteKind(StrEnum):
    COURTROOM = "courtroom"
    DETENTION_CENTRE = "detention_centre"
    JUDGE_CLINIC = "judge_clinic"  # 法官e站
    MEDIATION_ROOM = "mediation_room"
    REMOTE = "remote"


# What a site's terminal is: a kiosk gets big buttons, audio-only hints, etc.
DEVICE_PROFILES = ("standard", "kiosk", "interrogation")


@dataclass(eq=False)
class Court:
    name: str
    code: str
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        self.name = text(self.name, "name")
        if not isinstance(self.code, str) or not COURT_CODE.match(self.code):
            raise InvalidInput(
                f"'code' must be a province abbreviation and four digits, e.g. 渝0113 "
                f"(got {self.code!r})"
            )


@dataclass(eq=False)
class Site:
    court_id: str
    name: str
    kind: SiteKind
    # What the site's terminal is: a kiosk gets big buttons, audio-only hints, etc.
    device_profile: str = "standard"
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        self.name = text(self.name, "name")
        self.kind = member(SiteKind, self.kind, "kind")
        if self.device_profile not in DEVICE_PROFILES:
            raise InvalidInput(f"'device_profile' must be in {list(DEVICE_PROFILES)} "
                               f"(got {self.device_profile!r})")
