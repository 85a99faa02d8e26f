"""Typed keys for everything the aiohttp application holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from docforge.forge import DocumentForge
from hearings.adapters.database import Database
from media.peers import MediaService
from signaling import Signaling
from web.settings import Settings

if TYPE_CHECKING:  # the wiring's own types: web.app imports this module, not the reverse
    from web.app.bootstrap import Services
    from web.bridges.archive import RecordingArchive
    from web.bridges.recording import RecordingDriver
    from web.bridges.turn import IceServers
    from web.http.throttle import LoginFailures

__all__ = ["ARCHIVE", "DATABASE", "FORGE", "ICE_SERVERS", "LOGIN_FAILURES", "MEDIA", "RECORDING",
           "SERVICES", "SETTINGS", "SIGNALING"]

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
SERVICES: web.AppKey[Services] = web.AppKey("services")
SIGNALING = web.AppKey("signaling", Signaling)
MEDIA = web.AppKey("media", MediaService)
FORGE = web.AppKey("forge", DocumentForge)
RECORDING: web.AppKey[RecordingDriver] = web.AppKey("recording")
LOGIN_FAILURES: web.AppKey[LoginFailures] = web.AppKey("login_failures")
# Bridges the pages and the API use, held here so that only web.app imports web.bridges.
ARCHIVE: web.AppKey[RecordingArchive] = web.AppKey("archive")
ICE_SERVERS: web.AppKey[IceServers] = web.AppKey("ice_servers")
