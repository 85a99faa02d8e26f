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
    from web.bridges.efile_store import FileUploadStore
    from web.bridges.jobs_efile import EfileJobs
    from web.bridges.jobs_package import PackageJobs
    from web.bridges.recording import RecordingDriver
    from web.bridges.turn import IceServers
    from web.http.throttle import LoginFailures

__all__ = ["ARCHIVE", "DATABASE", "EFILE_JOBS", "FORGE", "ICE_SERVERS", "LOGIN_FAILURES", "MEDIA",
           "PACKAGE_JOBS", "RECORDING", "SERVICES", "SETTINGS", "SIGNALING", "UPLOADS"]

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
UPLOADS: web.AppKey[FileUploadStore] = web.AppKey("uploads")
EFILE_JOBS: web.AppKey[EfileJobs] = web.AppKey("efile_jobs")
PACKAGE_JOBS: web.AppKey[PackageJobs] = web.AppKey("package_jobs")
