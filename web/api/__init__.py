"""The JSON API: sessions, scheduling, hearings. Each module registers its own routes."""

from web.api import (
    accounts,
    documents,
    hearings,
    inquiry,
    mediations,
    notifications,
    recordings,
    records,
    scheduling,
    session,
    system,
)

ROUTES = [system.routes, session.routes, scheduling.routes, hearings.routes,
          recordings.routes, mediations.routes, documents.routes,
          notifications.routes, records.routes, accounts.routes, inquiry.routes]

__all__ = ["ROUTES"]
