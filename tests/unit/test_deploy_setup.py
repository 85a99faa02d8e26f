"""The deployment's documents agree with the code (issue 16.5): the README's configuration
table names exactly the settings there are; compose's Redis requires a password that the
app's URL in `.env.example` carries; the image seeds no demo data; and the README's
first-run commands are ones `yunting` accepts."""

from __future__ import annotations

import re
import shlex
from dataclasses import fields
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from web.app.cli import build_parser
from web.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _env_example() -> dict[str, str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Z0-9_]+)=(.*)$", text, re.M))


def test_the_readme_configuration_table_is_exact() -> None:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `YUNTING_"):
            documented |= set(re.findall(r"YUNTING_[A-Z0-9_]+", line.split("|")[1]))
    known = {"YUNTING_" + f.name.upper() for f in fields(Settings) if not f.name.startswith("_")}
    assert documented == known, {"undocumented": known - documented,
                                 "no such setting": documented - known}


def test_redis_requires_the_password_the_app_url_carries() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    redis = compose["services"]["redis"]
    assert "REDIS_PASSWORD" in redis["environment"]
    assert "--requirepass" in " ".join(redis["command"])
    assert "REDISCLI_AUTH" in " ".join(redis["healthcheck"]["test"])  # ping authenticates
    env = _env_example()
    url = urlsplit(env["YUNTING_REDIS_URL"])
    assert url.password == env["REDIS_PASSWORD"] and url.hostname == "redis"


def test_the_image_creates_no_demo_data() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "demo" not in dockerfile.lower()


def test_the_readme_first_run_commands_parse() -> None:
    production = README.split("## Production with docker-compose", 1)[1]
    commands = re.findall(r"^yt (admin .+)$", production, re.M)
    verbs = {" ".join(shlex.split(c)[:3]) for c in commands}
    assert {"admin court create", "admin site create", "admin user create"} <= verbs
    parser = build_parser()
    for command in commands:
        args = parser.parse_args(shlex.split(command))
        assert callable(args.func), command
