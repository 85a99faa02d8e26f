"""The production files agree with the code: docker-compose.yml runs the app beside
PostgreSQL and Redis with health checks and volumes, and every variable `.env.example`
offers is one the settings read (a misspelt name would be silently ignored)."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import yaml

from web.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_the_app_after_healthy_postgres_and_redis() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"app", "db", "redis"}
    assert all("healthcheck" in s for s in services.values())
    assert services["app"]["depends_on"] == {"db": {"condition": "service_healthy"},
                                             "redis": {"condition": "service_healthy"}}
    assert services["app"]["build"] == "."
    named = {v.split(":")[0] for s in services.values() for v in s.get("volumes", [])}
    assert named == set(compose["volumes"]) == {"pgdata", "archive"}


def test_env_example_offers_only_settings_that_exist() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    offered = set(re.findall(r"^#?\s*(YUNTING_[A-Z0-9_]+)=", text, re.MULTILINE))
    known = {"YUNTING_" + f.name.upper() for f in fields(Settings) if not f.name.startswith("_")}
    assert offered and offered <= known, offered - known
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for variable in re.findall(r"\$\{([A-Z_]+)", compose):
        assert re.search(rf"^{variable}=", text, re.MULTILINE), variable


def test_the_image_migrates_before_serving() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    command = [line for line in dockerfile.splitlines() if line.startswith("CMD")]
    assert command and "yunting db upgrade && exec yunting serve" in command[-1]
