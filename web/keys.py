"""Typed keys for everything the aiohttp application holds."""

from __future__ import annotations

from aiohttp import web

from hearings.adapters.database import Database
from web.bootstrap import Services
from web.settings import Settings

__all__ = ["DATABASE", "SERVICES", "SETTINGS"]

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
SERVICES = web.AppKey("services", Services)
