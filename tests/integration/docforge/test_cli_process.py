"""The docforge commands in a real process, wired the way web.app.cli wires them: exit codes,
stdout/stderr, and never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from docforge.samples import sample

# The same wiring web/app/cli.py does, minus web's Settings (docforge must not import web).
HARNESS = """
import argparse, sys
from pathlib import Path
from docforge.cli import add_verify_arguments, register, verify_pdf_command
from docforge.config import DocforgeConfig

def config(settings):
    return DocforgeConfig(pki_dir=Path(settings))

parser = argparse.ArgumentParser(prog="yunting")
sub = parser.add_subparsers(dest="command", required=True)
register(sub, config)
verify = sub.add_parser("verify")
add_verify_arguments(verify)
verify.set_defaults(func=lambda args, settings: verify_pdf_command(args, config(settings)))
args = parser.parse_args(sys.argv[2:])
sys.exit(args.func(args, sys.argv[1]))
"""


def _yunting(pki: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-c", HARNESS, str(pki), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_render_seal_efile_verify(tmp_path: Path) -> None:
    pki = tmp_path / "pki"
    data = tmp_path / "ruling.json"
    data.write_text(json.dumps(sample("confirmation_ruling"), ensure_ascii=False), "utf-8")
    ruling = tmp_path / "ruling.pdf"
    bundle = tmp_path / "efile.pdf"

    assert _yunting(pki, "pki", "init").returncode == 0
    done = _yunting(pki, "docs", "render", "confirmation_ruling", "--data", str(data), "--out", str(ruling), "--sign")
    assert done.returncode == 0, done.stderr
    done = _yunting(pki, "docs", "efile", "--case-number", "(2026)渝0112民特123号", "--out", str(bundle), str(ruling))
    assert done.returncode == 0, done.stderr

    bundle_check = _yunting(pki, "verify", str(bundle), "--json")
    assert bundle_check.returncode == 0, bundle_check.stdout + bundle_check.stderr
    assert json.loads(bundle_check.stdout)["ok"] is True
    ruling_check = _yunting(pki, "verify", str(ruling))  # the judge has not signed yet
    assert ruling_check.returncode == 1 and "unsigned field(s): ['judge']" in ruling_check.stdout


@pytest.mark.slow
def test_bad_input_is_one_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1,", "utf-8")
    done = _yunting(tmp_path / "pki", "docs", "render", "confirmation_ruling", "--data", str(bad), "--out", str(tmp_path / "o.pdf"))
    assert done.returncode == 2
    assert done.stderr.startswith("yunting: ") and "invalid JSON" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
