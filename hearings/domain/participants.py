"""Participants of a hearing: who they are, their role, where they join from, their state."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from hearings.domain.errors import InvalidInput
from hearings.domain.identity import new_id, utcnow
from hearings.domain.states import PARTICIPANT, ParticipantState
from hearings.domain.values import member, text

__all__ = ["HOST_ROLES", "PUBLISHING_ROLES", "Participant", "Role", "valid_email", "valid_mobile"]

# An address a mail relay will take: one @, a dotted domain, no spaces or angle brackets
# (nothing that could break out of a header); 254 characters at most (RFC 5321).
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def valid_email(value: object) -> str | None:
    """A participant's e-mail address, checked (None or "" for none)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL.fullmatch(value):
        raise InvalidInput("email must be an e-mail address like name@example.cn")
    return value


# A mainland China mobile number: 11 digits, 1 then 3-9; "+86"/"86" and spaces or dashes
# are accepted on the way in and dropped, so only the 11 digits are stored.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_MOBILE_DECORATION = re.compile(r"[ \-]")


def valid_mobile(value: object) -> str | None:
    """A participant's mobile number as its 11 digits (None or "" for none)."""
    if value is None or value == "":
        return None
    digits = _MOBILE_DECORATION.sub("", value) if isinstance(value, str) and len(value) <= 32 \
        else ""
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not _MOBILE.fullmatch(digits):
        raise InvalidInput("mobile must be a mainland China mobile number: 11 digits starting "
                           "with 13-19, like 138 0013 8000 (an optional +86 in front)")
    return digits


class Role(StrEnum):
    JUDGE = "judge"
    ASSESSOR = "assessor"
    CLERK = "clerk"
    PROSECUTOR = "prosecutor"
    INVESTIGATOR = "investigator"  # 侦查人员: interrogates in a remote interrogation
    DEFENDANT = "defendant"
    DEFENCE_LAWYER = "defence_lawyer"
    PLAINTIFF = "plaintiff"
    AGENT_AD_LITEM = "agent_ad_litem"
    WITNESS = "witness"
    INTERPRETER = "interpreter"
    APPROPRIATE_ADULT = "appropriate_adult"
    DETENTION_OFFICER = "detention_officer"
    MEDIATOR = "mediator"
    PARTY = "party"
    OBSERVER = "observer"


# Who runs the room: the presiding judge of a hearing, the mediator of a mediation.
HOST_ROLES = frozenset({Role.JUDGE, Role.MEDIATOR})
# Everyone except a public observer may send audio and video.
PUBLISHING_ROLES = frozenset(Role) - {Role.OBSERVER}
# Staff go straight in; everyone else waits in the lobby until admitted.
STAFF_ROLES = frozenset({Role.JUDGE, Role.ASSESSOR, Role.CLERK, Role.MEDIATOR})


@dataclass(eq=False)
class Participant:
    hearing_id: str
    name: str
    role: Role
    site_id: str | None = None
    staff_user_id: str | None = None
    state: ParticipantState = ParticipantState.INVITED
    # Where a dropped participant returns to when they reconnect.
    return_to: ParticipantState | None = None
    muted: bool = False
    mute_locked: bool = False
    id: str = field(default_factory=new_id)
    invited_at: datetime = field(default_factory=utcnow)
    # Contact for electronic service (电子送达): used only with the party's consent.
    email: str | None = None
    mobile: str | None = None  # 11 digits, for service by SMS (the webhook gateway)
    consent_electronic_service: bool = False
    # A minor (未成年人): in an interrogation the appropriate adult signs the transcript too.
    minor: bool = False

    def __post_init__(self) -> None:
        self.name = text(self.name, "name")
        self.email = valid_email(self.email)
        self.mobile = valid_mobile(self.mobile)
        self.role = member(Role, self.role, "role")
        self.state = member(ParticipantState, self.state, "state")
        if not isinstance(self.minor, bool):
            raise InvalidInput(f"'minor' must be true or false (got {self.minor!r})")

    @property
    def service_address(self) -> str | None:
        """Where documents may be served by e-mail: only with the party's consent."""
        return self.email if self.consent_electronic_service else None

    @property
    def service_mobile(self) -> str | None:
        """Where notices may be served by SMS: only with the party's consent."""
        return self.mobile if self.consent_electronic_service else None

    @property
    def reachable(self) -> bool:
        """Whether electronic service reaches them at all (e-mail, SMS or both)."""
        return self.service_address is not None or self.service_mobile is not None

    def set_contact(self, email: object, consent: object, mobile: object = None) -> None:
        if not isinstance(consent, bool):
            raise InvalidInput("consent_electronic_service must be true or false")
        email, mobile = valid_email(email), valid_mobile(mobile)
        self.email, self.mobile, self.consent_electronic_service = email, mobile, consent

    @property
    def is_host(self) -> bool:
        return self.role in HOST_ROLES

    @property
    def publishes(self) -> bool:
        return self.role in PUBLISHING_ROLES

    @property
    def goes_straight_in(self) -> bool:
        return self.role in STAFF_ROLES

    def apply(self, action: str) -> ParticipantState:
        self.state = PARTICIPANT.next(self.state, action)
        return self.state

    def drop(self) -> None:
        previous = self.state
        self.apply("drop")
        self.return_to = (
            ParticipantState.IN_HEARING
            if previous in (ParticipantState.IN_HEARING, ParticipantState.IN_CONSULTATION)
            else ParticipantState.WAITING
        )

    def rejoin(self) -> None:
        """A dropped participant reconnects and is put back where they were."""
        if self.return_to is ParticipantState.IN_HEARING:
            self.apply("rejoin_hearing")
        else:
            self.apply("rejoin_lobby")
        self.return_to = None

    def set_mute(self, muted: bool, *, locked: bool = False) -> None:
        if not self.publishes:
            raise InvalidInput("an observer has no microphone to mute")
        self.muted = muted
        self.mute_locked = locked and muted
