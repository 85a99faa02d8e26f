"""The JSON API: sessions, scheduling, hearings. Each module registers its own routes."""

from web.http.api import (
    access_log,
    accounts,
    bookings,
    documents,
    efile,
    electronic_service,
    hearings,
    inquiry,
    kiosks,
    mediations,
    notifications,
    participants,
    pleas,
    recordings,
    rescheduling,
    scheduling,
    service_proof,
    session,
    summons,
    system,
    transcripts,
)

ROUTES = [system.routes, session.routes, scheduling.routes, hearings.routes, participants.routes,
          recordings.routes, mediations.routes, documents.routes,
          notifications.routes, transcripts.routes, pleas.routes, accounts.routes, inquiry.routes,
          access_log.routes, electronic_service.routes, summons.routes,
          efile.routes, service_proof.routes, kiosks.routes,
          bookings.routes, rescheduling.routes]

__all__ = ["ROUTES"]
