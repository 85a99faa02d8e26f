"""Cases and their court-format numbers, e.g. (2026)渝0113民初1234号."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from hearings.domain.errors import InvalidInput
from hearings.domain.identity import new_id, utcnow
from hearings.domain.values import member, text

__all__ = ["CONFIRMATION_CODE", "Case", "CaseNumber", "CaseType"]


class CaseType(StrEnum):
    CIVIL = "civil"
    CRIMINAL = "criminal"
    ADMINISTRATIVE = "administrative"
    ENFORCEMENT = "enforcement"
    MEDIATION = "mediation"
    CONSULTATION = "consultation"  # e+ clinic bookings (hearings/domain/bookings.py)


# Procedure codes a case number may carry, by case type.
PROCEDURE_CODES: dict[str, CaseType] = {
    "民初": CaseType.CIVIL,
    "民终": CaseType.CIVIL,
    "民特": CaseType.CIVIL,  # special procedure: judicial confirmation
    "刑初": CaseType.CRIMINAL,
    "刑终": CaseType.CRIMINAL,
    "行初": CaseType.ADMINISTRATIVE,
    "行终": CaseType.ADMINISTRATIVE,
    "执": CaseType.ENFORCEMENT,
    "执保": CaseType.ENFORCEMENT,
    "民诉前调": CaseType.MEDIATION,
    "咨": CaseType.CONSULTATION,  # the consultation register of e+ clinic bookings
}
CONFIRMATION_CODE = "民特"

_NUMBER = re.compile(
    r"^[(（](\d{4})[)）]([\u4e00-\u9fff]\d{4})([\u4e00-\u9fff]{1,4}?)(\d{1,6})号\Z")


@dataclass(frozen=True)
class CaseNumber:
    year: int
    court_code: str
    procedure: str
    sequence: int

    def __post_init__(self) -> None:
        if not 1990 <= self.year <= 2200:
            raise InvalidInput(f"'year' must be between 1990 and 2200 (got {self.year})")
        if self.procedure not in PROCEDURE_CODES:
            raise InvalidInput(
                f"'procedure' must be in {sorted(PROCEDURE_CODES)} (got {self.procedure!r})"
            )
        if self.sequence < 1:
            raise InvalidInput(f"'sequence' must be positive (got {self.sequence})")

    @classmethod
    def parse(cls, number: str) -> CaseNumber:
        match = _NUMBER.match(number.strip()) if isinstance(number, str) else None
        if not match:
            raise InvalidInput(
                f"case number must look like (2026)渝0113民初1234号 (got {number!r})"
            )
        year, court, procedure, seq = match.groups()
        return cls(int(year), court, procedure, int(seq))

    def __str__(self) -> str:
        return f"({self.year}){self.court_code}{self.procedure}{self.sequence}号"

    @property
    def case_type(self) -> CaseType:
        return PROCEDURE_CODES[self.procedure]


@dataclass(eq=False)
class Case:
    court_id: str
    number: str
    case_type: CaseType
    title: str
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)
    # A juvenile case (未成年人案件): its public progress inquiry is off unless a clerk turns
    # it on (hearings/domain/inquiry.py).
    juvenile: bool = False

    def __post_init__(self) -> None:
        # Normalise to the one spelling the court's documents use.
        self.number = str(CaseNumber.parse(self.number))
        self.case_type = member(CaseType, self.case_type, "case_type")
        self.title = text(self.title, "title", max_length=500)

    @property
    def case_number(self) -> CaseNumber:
        return CaseNumber.parse(self.number)
