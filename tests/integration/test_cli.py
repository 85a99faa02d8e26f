"""The `yunting` command as an administrator runs it: demo, db upgrade, audit verify."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from aiohttp.test_utils import TestClient

from web.app.application import create_app
from web.settings import Settings


def yunting(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "YUNTING_DATA_DIR": str(data_dir)}
    env.pop("YUNTING_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "web.app.cli", *args], env=env, text=True,
                          capture_output=True, timeout=120, cwd=data_dir)


async def test_demo_is_idempotent_and_its_links_open(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]]
) -> None:
    first = yunting(tmp_path, "demo", "--json")
    assert first.returncode == 0, first.stderr
    links = json.loads(first.stdout)
    staff = links.pop("staff")  # the staff logins the text output prints (issue 13.8)
    text = yunting(tmp_path, "demo")
    assert text.returncode == 0, text.stderr
    assert set(staff) == {"admin", "clerk", "judge", "duty_judge", "mediator"}
    for username, login in staff.items():
        assert f"{username:<11} / {login['password']:<22} {login['name']}" in text.stdout
        assert login["login_url"].endswith("/login") and login["role"]
    assert {"judge", "clerk", "prosecutor", "defendant", "defence_lawyer", "witness",
            "mediator", "party_applicant", "party_respondent"} <= set(links)
    second = yunting(tmp_path, "demo", "--json")
    assert second.returncode == 0, second.stderr
    db = sqlite3.connect(tmp_path / "yunting.sqlite3")
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("courts", "sites", "cases", "hearings", "participants", "staff_users")}
    db.close()
    assert counts == {"courts": 1, "sites": 5, "cases": 2, "hearings": 2, "participants": 9,
                      "staff_users": 5}
    client = await aiohttp_client(create_app(Settings(data_dir=tmp_path)))
    second_links = json.loads(second.stdout)
    assert second_links.pop("staff") == staff
    for role, link in [*links.items(), *second_links.items()]:
        response = await client.get(urlparse(link["url"]).path)
        assert response.status == 200, link
        if role == "mediator":  # staff: the link goes through the login to their console
            assert response.url.path == "/login", response.url
            assert response.url.query["next"].endswith("/console")
        else:
            assert link["name"] in await response.text()
    for username, login in staff.items():  # each printed login opens a session
        response = await client.post("/api/session", json={
            "username": username, "password": login["password"]})
        assert response.status == 200, (username, await response.text())


def test_audit_verify_names_the_first_bad_entry(tmp_path: Path) -> None:
    assert yunting(tmp_path, "demo").returncode == 0
    ok = yunting(tmp_path, "audit", "verify")
    assert ok.returncode == 0 and "intact" in ok.stdout
    db = sqlite3.connect(tmp_path / "yunting.sqlite3")
    db.execute("UPDATE audit_log SET actor = 'staff:intruder' WHERE seq = 5")
    db.commit()
    db.close()
    bad = yunting(tmp_path, "audit", "verify")
    assert bad.returncode == 1
    assert "broken at entry 5: edited" in bad.stdout


def test_cli_reports_a_missing_schema_cleanly(tmp_path: Path) -> None:
    result = yunting(tmp_path, "audit", "verify")
    assert result.returncode == 2
    assert "yunting db upgrade" in result.stderr and "Traceback" not in result.stderr


def test_verify_reads_a_signed_pdf_and_names_tampering(tmp_path: Path) -> None:
    """`yunting docs render --sign` then `yunting verify`: the top-level command picks the
    PDF verifier for a PDF, and a changed byte turns its exit code to 1."""
    from docforge.forge import DocumentForge
    from docforge.samples import sample
    from docforge.schema import from_json
    from web.app.wiring import docforge_config

    forge = DocumentForge(docforge_config(Settings(data_dir=tmp_path)))
    data = sample("confirmation_ruling")
    pdf = forge.render_and_seal(from_json("confirmation_ruling", data))
    pdf = forge.finish(forge.sign_as(pdf, "judge", data["judge"], "审判员", user_id="judge-1"))
    signed = tmp_path / "ruling.pdf"
    signed.write_bytes(pdf)
    good = yunting(tmp_path, "verify", str(signed), "--json")
    assert good.returncode == 0, good.stdout + good.stderr
    assert json.loads(good.stdout)["ok"] is True
    body = bytearray(signed.read_bytes())
    at = body.index(b"/Contents", len(body) // 3)  # somewhere inside the signed range
    body[at - 20] ^= 0x01
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(body))
    bad = yunting(tmp_path, "verify", str(tampered))
    assert bad.returncode == 1, bad.stdout + bad.stderr


def test_verify_refuses_what_is_neither_a_pdf_nor_a_package(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    result = yunting(tmp_path, "verify", str(tmp_path / "notes.txt"))
    assert result.returncode == 2 and "not a PDF" in result.stderr
    missing = yunting(tmp_path, "verify", str(tmp_path / "nothing.pdf"))
    assert missing.returncode == 2 and "not found" in missing.stderr
