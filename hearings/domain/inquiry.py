"""One Case, One Code (一案一码): a case's public inquiry code, the parties' second factors,
and what an inquiry discloses — the case's stage and its next date, nothing else.

The code is 12 characters of Crockford's base 32 (no I, L, O, U; 60 random bits), printed
in groups of four: `7KQ2-M9XD-4HFT`. Typed input is forgiving: case, spaces and dashes are
ignored, O reads as 0 and I/L as 1. The second factor is the last 4 digits of a party's ID
number or phone; only a digest of them is stored (THREAT_MODEL.md says what that is worth).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from hearings.domain.cases import Case
from hearings.domain.confirmation import ApplicationState, JudicialConfirmation
from hearings.domain.errors import HearingsError, InvalidInput, NotFound
from hearings.domain.hearing import Hearing
from hearings.domain.identity import new_id
from hearings.domain.mediation import Mediation
from hearings.domain.states import HearingState, MediationState

__all__ = ["CODE_ALPHABET", "CaseInquiry", "FactorKind", "InquiryFactor", "InquiryRefused",
           "Progress", "Stage", "factor_digest", "format_code", "new_code", "normalize_code",
           "progress_of"]

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32
CODE_LENGTH = 12
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


class InquiryRefused(NotFound):
    """No case answers that code and those digits. One refusal for every reason — unknown
    code, wrong digits, inquiry turned off, a juvenile case — so none can be told apart."""

    code = "inquiry_not_found"

    def __init__(self) -> None:
        HearingsError.__init__(self, "no case matches that code and those digits")
        self.kind = "case"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(typed: object) -> str | None:
    """The code as stored, from what someone typed; None if it cannot be one."""
    if not isinstance(typed, str) or len(typed) > 64:
        return None
    code = typed.upper().translate(_READS_AS)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def format_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def factor_digest(case_id: str, digits: str) -> str:
    """What is stored of a party's last 4 digits: salted by the case, so equal digits of two
    cases differ. Only 10,000 values: this keeps them out of dumps, not from a thief."""
    return hashlib.sha256(f"yunting-inquiry:{case_id}:{digits}".encode()).hexdigest()


def last4(value: object, name: str) -> str:
    if not isinstance(value, str) or len(value) != 4 or not value.isascii() \
            or not (value.isdigit() or (value[:3].isdigit() and value[3] in "xX")):
        raise InvalidInput(f"'{name}' must be the last 4 digits (got {value!r})")
    return value.upper()  # an ID number may end in X


class FactorKind(StrEnum):
    ID_NUMBER = "id_number"
    PHONE = "phone"


@dataclass(eq=False)
class CaseInquiry:
    """The inquiry of one case. `enabled` None is the default: on, except for a juvenile
    case; True or False is a clerk's explicit choice."""

    case_id: str
    code: str = field(default_factory=new_code)
    enabled: bool | None = None
    id: str = field(default_factory=new_id)

    def is_open(self, case: Case) -> bool:
        return self.enabled if self.enabled is not None else not case.juvenile


@dataclass(eq=False)
class InquiryFactor:
    case_id: str
    participant_id: str
    kind: FactorKind
    digest: str
    id: str = field(default_factory=new_id)


def matches(digits: str, case_id: str, digests: Iterable[str]) -> bool:
    """Compare against every digest (at least one): the same work whatever matches."""
    given = factor_digest(case_id, digits)
    found = False
    for digest in digests:
        found |= hmac.compare_digest(given, digest)
    return found


class Stage(StrEnum):
    FILED = "filed"  # 立案
    SCHEDULED = "scheduled"  # 排期
    HEARD = "heard"  # 已开庭
    MEDIATED = "mediated"  # 已调解
    CONCLUDED = "concluded"  # 已结案


@dataclass(frozen=True)
class Progress:
    """All that an inquiry discloses."""

    stage: Stage
    next_date: datetime | None


_MEDIATED = (MediationState.SIGNED, MediationState.CONFIRMATION_REQUESTED)
_CONCLUDED = (MediationState.CONFIRMED, MediationState.REJECTED)
_HELD = (HearingState.IN_SESSION, HearingState.PAUSED, HearingState.SUSPENDED,
         HearingState.CLOSED)


def progress_of(hearings: list[Hearing], mediations: list[Mediation],
                confirmations: list[JudicialConfirmation], now: datetime) -> Progress:
    """The furthest stage the case has reached, and the next hearing still to come."""
    upcoming = sorted(h.scheduled_at for h in hearings
                      if h.state is HearingState.SCHEDULED and h.scheduled_at >= now)
    next_date = upcoming[0] if upcoming else None
    if any(c.state is ApplicationState.DECIDED for c in confirmations) \
            or any(m.state in _CONCLUDED for m in mediations):
        return Progress(Stage.CONCLUDED, next_date)
    if any(m.state in _MEDIATED for m in mediations):
        return Progress(Stage.MEDIATED, next_date)
    if any(h.state in _HELD for h in hearings):
        return Progress(Stage.HEARD, next_date)
    if next_date is not None:
        return Progress(Stage.SCHEDULED, next_date)
    return Progress(Stage.FILED, None)
