"""JSON shapes of the domain's objects as the API returns them."""

from __future__ import annotations

from typing import Any

from hearings.domain.cases import Case
from hearings.domain.courts import Court, Site
from hearings.domain.hearing import Hearing
from hearings.domain.participants import Participant
from hearings.domain.staff import StaffUser

__all__ = ["case_json", "court_json", "hearing_json", "participant_json", "site_json",
           "user_json"]


def court_json(court: Court) -> dict[str, Any]:
    return {"id": court.id, "name": court.name, "code": court.code}


def site_json(site: Site) -> dict[str, Any]:
    return {"id": site.id, "court_id": site.court_id, "name": site.name, "kind": site.kind.value,
            "device_profile": site.device_profile}


def case_json(case: Case) -> dict[str, Any]:
    return {"id": case.id, "court_id": case.court_id, "number": case.number,
            "case_type": case.case_type.value, "title": case.title,
            "created_at": case.created_at.isoformat()}


def participant_json(p: Participant) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "role": p.role.value, "site_id": p.site_id,
            "state": p.state.value, "muted": p.muted, "mute_locked": p.mute_locked,
            "minor": p.minor}


def hearing_json(h: Hearing, *, with_participants: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": h.id, "case_id": h.case_id, "kind": h.kind.value, "title": h.title,
        "scheduled_at": h.scheduled_at.isoformat(), "state": h.state.value,
        "recording_state": h.recording_state.value, "suspend_reason": h.suspend_reason,
        "presiding_user_id": h.presiding_user_id,
        "started_at": h.started_at.isoformat() if h.started_at else None,
        "closed_at": h.closed_at.isoformat() if h.closed_at else None,
    }
    if with_participants:
        data["participants"] = [participant_json(p) for p in h.participants]
    return data


def user_json(user: StaffUser) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "display_name": user.display_name,
            "role": user.role.value, "court_id": user.court_id, "on_duty": user.on_duty}
