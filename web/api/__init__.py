"""The JSON API: sessions, scheduling, hearings. Each module registers its own routes."""

from web.api import hearings, scheduling, session, system

ROUTES = [system.routes, session.routes, scheduling.routes, hearings.routes]

__all__ = ["ROUTES"]
