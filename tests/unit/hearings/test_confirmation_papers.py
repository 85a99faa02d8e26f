"""The application's and the ruling's papers: who signs them by key, what they say."""

from __future__ import annotations

from datetime import date

from hearings.domain.actors import Actor
from hearings.domain.confirmation import APPLICATION_ROLE, CONFIRM_BASIS, JudicialConfirmation
from hearings.domain.confirmation_papers import Mediated, application_paper, ruling_paper
from hearings.domain.documents import ApplicationContext, DocumentKind, RulingContext
from hearings.domain.participants import Participant, Role
from hearings.domain.staff import StaffRole

PARTIES = (Participant("h", "刘桂兰", Role.PARTY), Participant("h", "陈国富", Role.PARTY))
ABOUT = Mediated("渝北区人民法院", "双龙湖派出所人民调解室", "周建国", PARTIES, date(2026, 11, 20))
JUDGE = Actor("staff", "judge-1", "李法官", staff_role=StaffRole.JUDGE, court_id="court")


def test_each_applicant_signs_the_application_by_key_in_order() -> None:
    paper = application_paper(ABOUT, "h", "case", "(2026)渝0112民特1号", date(2026, 11, 23))
    assert paper.document.kind is DocumentKind.CONFIRMATION_APPLICATION
    assert [(s.field, s.name, s.role, s.user_id) for s in paper.signatures] == [
        ("party1", "刘桂兰", APPLICATION_ROLE, f"participant:{PARTIES[0].id}"),
        ("party2", "陈国富", APPLICATION_ROLE, f"participant:{PARTIES[1].id}")]
    context = paper.context
    assert isinstance(context, ApplicationContext) and "2026年11月20日" in context.requests
    assert [p.role for p in context.parties] == ["申请人", "申请人"]


def test_a_rejection_names_its_grounds_and_the_judge_signs() -> None:
    app = JudicialConfirmation("court", "case", "(2026)渝0112民特1号", "h", "doc")
    paper = ruling_paper(ABOUT, app, date(2026, 11, 23), (), "reject", ["not_voluntary"],
                         "", judge=JUDGE, clerk="王芳")
    context = paper.context
    assert isinstance(context, RulingContext) and context.decision == "rejected"
    assert "违反自愿原则" in context.reasons and "第三百五十八条第四项" in context.legal_basis
    assert (paper.document.kind, paper.document.hearing_id) == (
        DocumentKind.CONFIRMATION_RULING, "h")
    assert [(s.field, s.user_id) for s in paper.signatures] == [("judge", "judge-1")]


def test_a_confirmation_cites_the_confirming_provisions() -> None:
    app = JudicialConfirmation("court", "case", "(2026)渝0112民特1号", "h", "doc")
    context = ruling_paper(ABOUT, app, date(2026, 11, 23), (), "confirm", [], "",
                           judge=JUDGE, clerk="—").context
    assert isinstance(context, RulingContext)
    assert (context.decision, context.legal_basis) == ("confirmed", CONFIRM_BASIS)
