"""The JSON API: sessions, scheduling, hearings. Each module registers its own routes."""

from web.api import (
    access_log,
    accounts,
    documents,
    efile,
    electronic_service,
    hearings,
    inquiry,
    kiosks,
    mediations,
    notifications,
    recordings,
    records,
    scheduling,
    service_proof,
    session,
    summons,
    system,
)

ROUTES = [system.routes, session.routes, scheduling.routes, hearings.routes,
          recordings.routes, mediations.routes, documents.routes,
          notifications.routes, records.routes, accounts.routes, inquiry.routes,
          access_log.routes, electronic_service.routes, summons.routes,
          efile.routes, service_proof.routes, kiosks.routes]

__all__ = ["ROUTES"]
