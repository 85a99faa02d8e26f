"""The access policy: who may do what, in one table that every service handler asks.

An action is allowed to
  - staff whose role the rule lists, within their own court (an administrator without a
    court acts in every court; any other staff user without a court acts in none);
  - participants of the hearing concerned whose seat role the rule lists;
  - the hearing's host (presiding judge, a judge seated by a judicial confirmation, the
    mediator of a mediation) when the rule says `host`;
  - the mediator of a mediation when the rule says `mediator`;
  - but never by a join token when the rule says `sessions_only` (staff sessions only);
  - the system, always.
THREAT_MODEL.md prints this table; tests/unit/hearings/test_policy_doc.py keeps them equal.
Signing a document field is not a role question: it belongs to the identity bound to the
field (`require_seat`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hearings.domain.actors import Actor, is_host, is_mediator
from hearings.domain.documents import DocumentKind
from hearings.domain.errors import PermissionDenied
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.mediation import PARTY_ROLES
from hearings.domain.participants import Role
from hearings.domain.staff import StaffRole

__all__ = [
    "RULES",
    "Rule",
    "Scope",
    "court_filter",
    "document_action",
    "in_court",
    "is_host",
    "is_mediator",
    "may",
    "recording_action",
    "require",
    "require_seat",
    "transcript_send_action",
]

A, C, J, M = StaffRole.ADMIN, StaffRole.CLERK, StaffRole.JUDGE, StaffRole.MEDIATOR
ANY_STAFF = frozenset(StaffRole)
EVERY_SEAT = frozenset(Role)
# Who interrogates in a remote interrogation: from the procuratorate or the police, by link.
INTERROGATORS = frozenset({Role.PROSECUTOR, Role.INVESTIGATOR})


class Scope(StrEnum):
    COURT = "court"  # the court the thing belongs to (given as court_id)
    OWN = "own"  # the actor's own court (lists, filtered to it); all for a court-less admin
    ALL = "all"  # the whole installation: only an administrator without a court


@dataclass(frozen=True)
class Rule:
    staff: frozenset[StaffRole] = frozenset()
    participants: frozenset[Role] = frozenset()
    host: bool = False
    mediator: bool = False
    scope: Scope = Scope.COURT
    sessions_only: bool = False  # a join token never does it, even a host's


def _r(staff: set[StaffRole] | frozenset[StaffRole] = frozenset(), *,
       participants: frozenset[Role] = frozenset(), host: bool = False,
       mediator: bool = False, scope: Scope = Scope.COURT, sessions_only: bool = False
       ) -> Rule:
    return Rule(frozenset(staff), participants, host, mediator, scope, sessions_only)


HOST_ONLY = _r(host=True)
SCHEDULERS = {A, C}
TRIAL_STAFF = {A, C, J}  # trial material: records, transcripts, recordings

RULES: dict[str, Rule] = {
    "court.create": _r({A}, scope=Scope.ALL),
    "court.list": _r(ANY_STAFF, scope=Scope.OWN),
    "site.create": _r(SCHEDULERS),
    "site.list": _r(ANY_STAFF),
    "case.open": _r(SCHEDULERS),
    "case.read": _r(ANY_STAFF),
    "case.inquiry": _r(SCHEDULERS),  # turn the public inquiry on/off, set parties' digits
    # Compile the case's e-file, upload scans into it (hearings/services/efiles.py).
    "case.efile": _r(SCHEDULERS),
    "hearing.schedule": _r(SCHEDULERS),
    "hearing.list": _r(ANY_STAFF, scope=Scope.OWN),
    "hearing.read": _r(ANY_STAFF, participants=EVERY_SEAT),
    "hearing.open_doors": _r(SCHEDULERS, host=True),
    "hearing.cancel": _r(SCHEDULERS, host=True),
    "hearing.start": HOST_ONLY,
    "hearing.pause": HOST_ONLY,
    "hearing.suspend": HOST_ONLY,
    "hearing.resume": HOST_ONLY,
    "hearing.close": HOST_ONLY,
    "participant.invite": _r(SCHEDULERS),
    "participant.control": HOST_ONLY,  # admit, deny, send back, remove, mute, call witness
    "join_link.issue": _r(SCHEDULERS),
    "join_link.revoke": _r(SCHEDULERS),
    # a summons carries a new join link (a credential): those who issue links, nobody else
    "summons.issue": _r(SCHEDULERS),
    # a kiosk's device credential (hearings/services/kiosks.py): the clerks of the site's court
    "kiosk.enroll": _r(SCHEDULERS, sessions_only=True),
    "kiosk.list": _r(SCHEDULERS, sessions_only=True),
    "kiosk.revoke": _r(SCHEDULERS, sessions_only=True),
    "recording.control": HOST_ONLY,
    "transcript.read": _r(TRIAL_STAFF, participants=EVERY_SEAT),
    "transcript.edit": _r(SCHEDULERS, host=True, sessions_only=True),
    # An interrogation's transcript is sent for signature by those who edit it and by its
    # interrogator, who joined by link from the procuratorate or the police
    # (`transcript_send_action`); a trial's stays record.edit.
    "transcript.send_interrogation": _r(SCHEDULERS, host=True, participants=INTERROGATORS),
    # The plea statement (认罪认罚具结书, hearings/services/pleas.py) is drafted by the prosecutor
    # of
    # the interrogation (by link), or by the court's staff who run it.
    "plea.draft": _r(SCHEDULERS, host=True, participants=frozenset({Role.PROSECUTOR})),
    "document.read.trial": _r(TRIAL_STAFF, participants=EVERY_SEAT),
    "document.read.mediation": _r(ANY_STAFF, participants=EVERY_SEAT),
    "recording.search": _r(ANY_STAFF, scope=Scope.OWN),  # results: recording.read.* each
    "recording.read.trial": _r(TRIAL_STAFF),  # stream, verify, package
    "recording.read.mediation": _r(ANY_STAFF),
    "notification.read": _r(ANY_STAFF),
    "notification.resend": _r(SCHEDULERS),  # an undelivered notification back in the queue
    "participant.contact": _r(SCHEDULERS),  # a party's e-mail, consent to electronic service
    # an invitation with a join link minted at send time (hearings/services/notifications.py)
    "notification.invite": _r(SCHEDULERS),
    # e+ clinic bookings (hearings/domain/bookings.py): judges and mediators publish their own
    # slots (clerks for anyone of the court); clerks book by telephone, an enrolled kiosk
    # books by its device credential (not a policy actor: Bookings.book_at_kiosk); the
    # host of a consultation turns a mediation-guidance booking into a mediation.
    "booking.publish": _r({A, C, J, M}, sessions_only=True),
    "booking.make": _r(SCHEDULERS, sessions_only=True),
    "booking.list": _r(ANY_STAFF),
    "booking.convert": _r(SCHEDULERS, host=True, sessions_only=True),
    "mediation.read": _r(ANY_STAFF, participants=EVERY_SEAT),
    "mediation.conduct": _r(mediator=True),  # draft, start signing, apply, withdraw
    "mediation.refuse": _r(participants=PARTY_ROLES),
    "confirmation.read": _r(ANY_STAFF, participants=EVERY_SEAT),
    "confirmation.queue": _r({A, C, J}),
    "confirmation.roster": _r(SCHEDULERS),
    "confirmation.take": _r({J}),  # and on the duty roster (Confirmations.take)
    "confirmation.stats": _r(SCHEDULERS),
    # Who read which recording or document, when, from where, why (hearings/services/access_log.py).
    "access_log.read": _r(SCHEDULERS),
    # Accounts (hearings/services/accounts.py): a court's administrator manages that court's staff.
    "staff.list": _r({A}, scope=Scope.OWN),
    "staff.manage": _r({A}),  # create, reset a password, disable, enable
}


def in_court(actor: Actor, court_id: str | None) -> bool:
    """Staff act in their own court; only an administrator without a court acts in all."""
    if actor.kind == "system":
        return True
    if actor.kind != "staff":
        return False
    if actor.court_id is None:
        return actor.staff_role is StaffRole.ADMIN
    return court_id is not None and actor.court_id == court_id


def court_filter(actor: Actor) -> str | None:
    """The court a list is filtered to for `actor` (None: every court)."""
    if actor.kind == "system" or (actor.kind == "staff" and actor.court_id is None
                                  and actor.staff_role is StaffRole.ADMIN):
        return None
    if actor.kind == "staff" and actor.court_id is not None:
        return actor.court_id
    raise PermissionDenied("you belong to no court")


def may(actor: Actor, action: str, *, court_id: str | None = None,
        hearing: Hearing | None = None) -> bool:
    """Whether `actor` may do `action` to something of `court_id` (and `hearing`)."""
    rule = RULES[action]  # an unknown action is a programming error, not a refusal
    if actor.kind == "system":
        return True
    if actor.kind == "staff":
        if rule.scope is Scope.ALL:
            placed = actor.court_id is None and actor.staff_role is StaffRole.ADMIN
        elif rule.scope is Scope.OWN:
            placed = actor.court_id is not None or actor.staff_role is StaffRole.ADMIN
        else:
            placed = in_court(actor, court_id)
        if not placed:
            return False
        if actor.staff_role in rule.staff:
            return True
    elif actor.kind == "participant":
        if hearing is None or actor.hearing_id != hearing.id or rule.sessions_only:
            return False
        if actor.role in rule.participants:
            return True
    if hearing is not None and rule.host and is_host(actor, hearing):
        return True
    return hearing is not None and rule.mediator and is_mediator(actor, hearing)


def require(actor: Actor, action: str, *, court_id: str | None = None,
            hearing: Hearing | None = None) -> None:
    """Refuse with PermissionDenied unless the policy allows `action`."""
    if not may(actor, action, court_id=court_id, hearing=hearing):
        raise PermissionDenied(_refusal(actor, action, court_id))


def _refusal(actor: Actor, action: str, court_id: str | None) -> str:
    rule = RULES[action]
    if actor.kind == "staff" and rule.scope is Scope.COURT and not in_court(actor, court_id):
        return f"{action}: that belongs to another court"
    if actor.kind == "staff" and rule.scope is Scope.ALL:
        return f"{action}: only an administrator without a court may do that"
    who = [r.value for r in sorted(rule.staff)]
    if rule.host:
        who.append("the host of the hearing")
    if rule.mediator:
        who.append("the mediator of the mediation")
    if rule.participants:
        who.append("participants of the hearing")
    return f"{action}: only {', '.join(who) or 'the system'} may do that"


def document_action(kind: DocumentKind) -> str:
    """Trial documents (the transcripts, the plea statement) are read by trial staff; mediation
    ones by all."""
    trial = (DocumentKind.HEARING_RECORD, DocumentKind.INTERROGATION_RECORD,
             DocumentKind.PLEA_STATEMENT)
    return "document.read.trial" if kind in trial else "document.read.mediation"


def transcript_send_action(hearing: Hearing) -> str:
    """Sending the transcript for signature: an interrogation's interrogator may, too."""
    return "transcript.send_interrogation" if hearing.kind is HearingKind.REMOTE_INTERROGATION \
        else "transcript.edit"


def recording_action(hearing: Hearing) -> str:
    return "recording.read.mediation" if hearing.kind is HearingKind.MEDIATION \
        else "recording.read.trial"


def require_seat(actor: Actor, *, staff_user_id: str | None, participant_id: str | None,
                 hearing: Hearing, what: str) -> None:
    """A signature field belongs to one identity: the staff user bound to the seat (by
    session), or the participant (by their own join token). Nobody signs for someone else."""
    if actor.kind == "system":
        return
    if staff_user_id is not None:
        if actor.kind == "staff" and actor.id == staff_user_id:
            return
        raise PermissionDenied(f"only the staff user of that seat may sign {what}")
    if participant_id is not None and actor.kind == "participant" \
            and actor.id == participant_id and actor.hearing_id == hearing.id:
        return
    raise PermissionDenied(f"only the person of that seat may sign {what}")
