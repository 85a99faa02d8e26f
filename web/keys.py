"""Typed keys for everything the aiohttp application holds."""

from __future__ import annotations

from aiohttp import web

from docforge.forge import DocumentForge
from hearings.adapters.database import Database
from media.peers import MediaService
from signaling import Signaling
from web.bootstrap import Services
from web.recording import RecordingDriver
from web.settings import Settings
from web.throttle import LoginFailures

__all__ = ["DATABASE", "FORGE", "LOGIN_FAILURES", "MEDIA", "RECORDING", "SERVICES", "SETTINGS",
           "SIGNALING"]

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
SERVICES = web.AppKey("services", Services)
SIGNALING = web.AppKey("signaling", Signaling)
MEDIA = web.AppKey("media", MediaService)
FORGE = web.AppKey("forge", DocumentForge)
RECORDING = web.AppKey("recording", RecordingDriver)
LOGIN_FAILURES = web.AppKey("login_failures", LoginFailures)
