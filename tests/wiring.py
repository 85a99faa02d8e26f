"""The tests' one wiring: production's `bootstrap` (web/app/bootstrap.py) with settings fit
for tests and, where a test needs them, fakes of the ports (tests/fakes.py). Every test that
wants the services builds them here, so the graph is wired the way the product wires it —
the hearings' own subscribers (the transcript freezes at close) included."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from hearings.adapters.database import Database
from hearings.services.bus import Bus
from hearings.services.ports import Documents, Notifier, UnitOfWork
from tests.fakes import FakeDocuments
from web.app.bootstrap import Services, bootstrap
from web.settings import Secret, Settings

__all__ = ["AUDIT_KEY", "TEST_SETTINGS", "settle", "wire"]

AUDIT_KEY = b"test-audit-key-0123456789abcdef"
TEST_SETTINGS = Settings(audit_key=Secret(AUDIT_KEY.decode()), court_timezone="Asia/Shanghai",
                         join_link_days=7, session_hours=8)


def wire(database: Database, *, documents: Documents | None = None, bus: Bus | None = None,
         notifier: Notifier | None = None,
         unit_of_work: Callable[[], UnitOfWork] | None = None) -> Services:
    """The services over `database`; documents in memory unless a test brings its own."""
    services = bootstrap(TEST_SETTINGS, database, bus=bus, notifier=notifier,
                         documents=documents if documents is not None else FakeDocuments(),
                         unit_of_work=unit_of_work)
    with contextlib.suppress(RuntimeError):  # outside a loop: nothing of it runs yet
        _wired.setdefault(asyncio.get_running_loop(), []).append(services)
    return services


# The services wired on each event loop, until `settle` on that loop.
_wired: dict[asyncio.AbstractEventLoop, list[Services]] = {}


async def settle() -> None:
    """Wait for what the services wired on this loop still do in the background (the
    transcript's freeze at a close opens a unit of work after the close has returned), so
    that a test's database is disposed of with no connection still in use — as create_app's
    cleanup waits for it in the product."""
    for services in _wired.pop(asyncio.get_running_loop(), []):
        await services.transcripts.idle()
