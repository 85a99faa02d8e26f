"""media's own list of roles that never publish is the domain's rule, role for role."""

from __future__ import annotations

from hearings.domain.participants import PUBLISHING_ROLES, Role
from media.participant import NON_PUBLISHING_ROLES, ParticipantInfo


def test_non_publishing_roles_are_the_domains() -> None:
    assert {r.value for r in Role} - {r.value for r in PUBLISHING_ROLES} == NON_PUBLISHING_ROLES


def test_may_publish_follows_the_role() -> None:
    for role in Role:
        info = ParticipantInfo("h1", "p1", role=role.value)
        assert info.may_publish is (role in PUBLISHING_ROLES), role
    # web/ describes staff without a seat as "staff".
    assert ParticipantInfo("h1", "p1", role="staff").may_publish
