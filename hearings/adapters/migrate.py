"""Schema migrations with Alembic: `yunting db upgrade` and the tests call this."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from hearings.adapters.database import ensure_sqlite_directory

__all__ = ["alembic_config", "upgrade"]

_HERE = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking (Alembic runs its own event loop): call from a thread or the CLI."""
    ensure_sqlite_directory(url)
    command.upgrade(alembic_config(url), revision)
