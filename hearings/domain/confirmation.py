"""Judicial confirmation (司法确认): the application, the court's duty roster, the legal grounds.

An application is a 民特 case in the court's sequence; it waits in the duty queue, one
duty judge takes it (exactly one, even when two press at once), joins the mediation room,
and decides. Its timings are the product's promise: applied → taken → judge joined →
decided → delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from hearings.domain.errors import InvalidInput
from hearings.domain.identity import new_id, utcnow
from hearings.domain.states import StateMachine
from hearings.domain.values import long_text, text

__all__ = [
    "APPLICATION",
    "APPLICATION_ROLE",
    "CONFIRM_BASIS",
    "CONFIRM_REASONS",
    "GROUNDS",
    "ApplicationState",
    "DutyRoster",
    "DutyShift",
    "Ground",
    "JudicialConfirmation",
    "application_requests",
    "application_title",
    "reject_basis",
    "ruling_notice",
    "ruling_wording",
]


class ApplicationState(StrEnum):
    QUEUED = "queued"
    TAKEN = "taken"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


_A = ApplicationState
APPLICATION: StateMachine[ApplicationState] = StateMachine(
    "application",
    {
        (_A.QUEUED, "take"): _A.TAKEN,
        (_A.TAKEN, "decide"): _A.DECIDED,
        (_A.QUEUED, "withdraw"): _A.WITHDRAWN,
        (_A.TAKEN, "withdraw"): _A.WITHDRAWN,
    },
)


@dataclass(frozen=True)
class Ground:
    """A reason to reject an application, with the provision that names it."""

    code: str
    label: str  # English msgid; the web layer translates it
    label_zh: str  # as printed in the ruling
    basis: str


_INTERPRETATION = "《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》"
_RULES = "《最高人民法院关于人民调解协议司法确认程序的若干规定》"
# 民诉法解释 (2022) 第三百五十八条 lists what makes an agreement unconfirmable; the 2011
# 若干规定 第七条 the same in older words; 第三百五十五条 what a court does not accept.
GROUNDS: dict[str, Ground] = {g.code: g for g in (
    Ground("violates_mandatory_law", "Violates a mandatory provision of law",
           "违反法律强制性规定", f"{_INTERPRETATION}第三百五十八条第一项"),
    Ground("harms_public_interest", "Harms the interests of the state or the public",
           "损害国家利益、社会公共利益", f"{_INTERPRETATION}第三百五十八条第二项"),
    Ground("harms_third_party", "Harms the lawful rights of others",
           "损害案外人合法权益", f"{_INTERPRETATION}第三百五十八条第二项、{_RULES}第七条第三项"),
    Ground("against_public_order", "Violates public order and good morals",
           "违背公序良俗", f"{_INTERPRETATION}第三百五十八条第三项"),
    Ground("not_voluntary", "Not entered into voluntarily",
           "违反自愿原则", f"{_INTERPRETATION}第三百五十八条第四项"),
    Ground("unclear_content", "Content unclear, cannot be confirmed",
           "内容不明确，无法确认", f"{_INTERPRETATION}第三百五十八条第五项"),
    Ground("outside_scope", "Not within the scope of judicial confirmation",
           "不属于司法确认受理范围（如确认身份关系、物权或知识产权确权）",
           f"{_INTERPRETATION}第三百五十五条"),
    Ground("other", "Other circumstances that prevent confirmation",
           "其他不能进行司法确认的情形", f"{_INTERPRETATION}第三百五十八条第六项"),
)}
CONFIRM_BASIS = "《中华人民共和国民事诉讼法》第二百零五条、第二百零六条"


def reject_basis(codes: list[str]) -> str:
    provisions = ["《中华人民共和国民事诉讼法》第二百零六条",
                  *dict.fromkeys(GROUNDS[c].basis for c in codes)]
    return "、".join(provisions)


CONFIRM_REASONS = ("申请人达成的调解协议系双方真实意思表示，内容不违反法律、行政法规的强制性规定，"
                   "不损害国家利益、社会公共利益和他人合法权益，不违背公序良俗，符合司法确认调解协议的"
                   "法定条件。")
# The parties apply orally in the room; each applicant's field is signed naming them and
# saying so (their own hands signed the agreement).
APPLICATION_ROLE = "申请人（当场口头申请，由人民调解员代为提交）"


def application_title(mediation_title: str) -> str:
    return f"申请司法确认调解协议（{mediation_title}）"[:500]


def application_requests(agreement_date: date, organisation: str) -> str:
    return (f"请求依法确认双方于{agreement_date:%Y年%m月%d日}"
            f"经{organisation}主持达成的调解协议有效。")


def ruling_wording(decision: str, codes: list[str], free: str) -> tuple[str, str]:
    """The ruling's reasons (理由) and legal basis (依据) as printed, for `decision`
    (confirm | reject) on the grounds `codes` with the judge's own words `free`."""
    if decision == "confirm":
        return CONFIRM_REASONS + free, CONFIRM_BASIS
    found = "；".join(GROUNDS[c].label_zh for c in codes)
    return f"经审查，该调解协议存在下列情形：{found}。" + free, reject_basis(codes)


def ruling_notice(name: str, case_number: str, decision: str | None, url: str) -> str:
    """The notification to a party who was not in the room when the ruling came."""
    outcome = "已裁定确认有效" if decision == "confirmed" else "已裁定驳回申请"
    return (f"{name}：您申请司法确认的调解协议，{case_number}{outcome}。"
            f"请凭参与码查看、下载：{url}")


def check_grounds(decision: str, codes: object, reasons: object) -> tuple[list[str], str]:
    if decision not in ("confirm", "reject"):
        raise InvalidInput(f"'decision' must be in ['confirm', 'reject'] (got {decision!r})")
    if codes is None:
        codes = []
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise InvalidInput("'grounds' must be a list of ground codes")
    unknown = [c for c in codes if c not in GROUNDS]
    if unknown:
        raise InvalidInput(f"'grounds' must be in {sorted(GROUNDS)} (got {unknown!r})")
    free = "" if reasons is None else long_text(reasons, "reasons", max_length=5000,
                                                  required=False).strip()
    if decision == "reject" and not codes:
        raise InvalidInput("a rejection must name at least one ground")
    if decision == "confirm" and codes:
        raise InvalidInput("a confirmation takes no rejection grounds")
    return list(dict.fromkeys(codes)), free


@dataclass(eq=False)
class DutyShift:
    """One judge on the court's duty roster, from `starts_at` until `ends_at` (open: None)."""

    court_id: str
    judge_user_id: str
    starts_at: datetime
    ends_at: datetime | None = None
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        if self.ends_at is not None and self.ends_at <= self.starts_at:
            raise InvalidInput("'ends_at' must be after 'starts_at'")

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at and (self.ends_at is None or at < self.ends_at)


@dataclass(frozen=True)
class DutyRoster:
    """Who is on duty for a court: shifts covering now, plus judges on standing duty."""

    court_id: str
    shifts: tuple[DutyShift, ...]
    standing: frozenset[str] = frozenset()  # StaffUser.on_duty

    def judges(self, at: datetime | None = None) -> frozenset[str]:
        at = at or utcnow()
        return self.standing | {s.judge_user_id for s in self.shifts if s.covers(at)}

    def on_duty(self, user_id: str, at: datetime | None = None) -> bool:
        return user_id in self.judges(at)


@dataclass(eq=False)
class JudicialConfirmation:
    """An application for judicial confirmation of a signed mediation agreement."""

    court_id: str
    case_id: str  # the 民特 case
    case_number: str
    mediation_hearing_id: str
    agreement_document_id: str
    application_document_id: str | None = None
    ruling_document_id: str | None = None
    state: ApplicationState = ApplicationState.QUEUED
    decision: str | None = None  # confirmed | rejected
    grounds: list[str] = field(default_factory=list)
    reasons: str | None = None
    taken_by: str | None = None
    withdraw_reason: str | None = None
    applied_at: datetime = field(default_factory=utcnow)
    taken_at: datetime | None = None
    judge_joined_at: datetime | None = None
    decided_at: datetime | None = None
    delivered_at: datetime | None = None
    # The system's share: decision received → ruling published into the room.
    decide_to_delivered_ms: float | None = None
    id: str = field(default_factory=new_id)

    def take(self, judge_user_id: str, at: datetime | None = None) -> None:
        self.state = APPLICATION.next(self.state, "take")
        self.taken_by, self.taken_at = judge_user_id, at or utcnow()

    def judge_joined(self, at: datetime | None = None) -> bool:
        """Record the judge's first arrival in the room; False if already recorded."""
        if self.judge_joined_at is not None:
            return False
        self.judge_joined_at = at or utcnow()
        return True

    def decide(self, decision: str, grounds: list[str], reasons: str, ruling_document_id: str,
               received_at: datetime) -> None:
        self.state = APPLICATION.next(self.state, "decide")
        self.decision = "confirmed" if decision == "confirm" else "rejected"
        self.grounds, self.reasons = grounds, reasons or None
        self.ruling_document_id = ruling_document_id
        self.decided_at = received_at

    def delivered(self, at: datetime) -> None:
        if self.decided_at is None:
            raise InvalidInput("a ruling is delivered only after the decision")
        self.delivered_at = at
        self.decide_to_delivered_ms = (at - self.decided_at).total_seconds() * 1000

    def withdraw(self, reason: str | None) -> None:
        self.state = APPLICATION.next(self.state, "withdraw")
        self.withdraw_reason = text(reason, "reason", max_length=1000) if reason else None

    def queue_entry(self, parties: list[str]) -> dict[str, Any]:
        """The application as the duty queue lists it."""
        return {"id": self.id, "case_number": self.case_number,
                "mediation_hearing_id": self.mediation_hearing_id, "parties": parties,
                "applied_at": self.applied_at.isoformat(), "state": self.state.value,
                "taken_by": self.taken_by}

    def timings(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        return {"applied": iso(self.applied_at), "taken": iso(self.taken_at),
                "judge_joined": iso(self.judge_joined_at), "decided": iso(self.decided_at),
                "delivered": iso(self.delivered_at),
                "decide_to_delivered_ms": self.decide_to_delivered_ms}
