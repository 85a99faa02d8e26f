"""create_app(settings): the only place that wires the packages together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from hearings.adapters.database import Database
from web.api import ROUTES
from web.bootstrap import bootstrap
from web.errors import error_middleware
from web.keys import DATABASE, SERVICES, SETTINGS
from web.pages import PAGES, STATIC_DIR, TEMPLATES, make_environment
from web.security import security_headers
from web.settings import Settings

__all__ = ["create_app"]

log = logging.getLogger("yunting")


def create_app(settings: Settings, *, database: Database | None = None) -> web.Application:
    """Build the application; resources open in cleanup contexts, not here.

    Tests may hand in a `database` they own (already migrated); otherwise one is
    opened from settings when the app starts and closed when it stops.
    """
    app = web.Application(
        middlewares=[security_headers, error_middleware],
        client_max_size=settings.max_request_bytes,
    )
    app[SETTINGS] = settings
    app[TEMPLATES] = make_environment()
    app.cleanup_ctx.append(_database_ctx(database))
    for routes in ROUTES:
        app.add_routes(routes.table)
    app.add_routes(PAGES)
    app.router.add_static("/static/", STATIC_DIR, name="static")
    return app


def _database_ctx(given: Database | None):  # type: ignore[no-untyped-def]
    async def database_ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        database = given or Database(settings.database_url)
        app[DATABASE] = database
        app[SERVICES] = bootstrap(settings, database)
        log.info("database: %s", database.engine.url.render_as_string(hide_password=True))
        yield
        if given is None:
            await database.dispose()

    return database_ctx
