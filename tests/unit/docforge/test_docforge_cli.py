"""``yunting pki|docs|verify`` as web's parser will wire them: exit codes and messages."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from docforge.cli import add_verify_arguments, register, verify_pdf_command
from docforge.config import DocforgeConfig
from docforge.forge import DocumentForge
from docforge.samples import sample
from docforge.viewmodels import KINDS
from tests.unit.docforge.conftest import WEASYPRINT_FILTERS

pytestmark = WEASYPRINT_FILTERS

SETTINGS = object()  # stands in for web's Settings: only the factory looks at it


def _main(config: DocforgeConfig, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="yunting")
    sub = parser.add_subparsers(dest="command", required=True)

    def config_from_settings(settings: Any) -> DocforgeConfig:
        assert settings is SETTINGS
        return config

    register(sub, config_from_settings)
    verify = sub.add_parser("verify")
    add_verify_arguments(verify)
    verify.set_defaults(func=lambda args, settings: verify_pdf_command(args, config_from_settings(settings)))
    args = parser.parse_args(argv)
    return int(args.func(args, SETTINGS))


@pytest.fixture
def fresh(tmp_path: Path) -> DocforgeConfig:
    return DocforgeConfig(pki_dir=tmp_path / "pki")


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "ruling.json"
    path.write_text(json.dumps(sample("confirmation_ruling"), ensure_ascii=False), "utf-8")
    return path


def test_pki_init_is_idempotent(fresh: DocforgeConfig, capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(fresh, "pki", "init") == 0
    first = capsys.readouterr().out
    assert "created" in first and "court seal" in first and "TSA" in first and "开发用" in first
    root = (fresh.pki_dir / "root.pem").read_bytes()
    assert _main(fresh, "pki", "init") == 0
    assert "already present" in capsys.readouterr().out
    assert (fresh.pki_dir / "root.pem").read_bytes() == root


def test_docs_kinds_lists_every_schema(fresh: DocforgeConfig, capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(fresh, "docs", "kinds") == 0
    out = capsys.readouterr().out
    for kind, cls in KINDS.items():
        assert f"{kind}  {cls.title}" in out
    assert _main(fresh, "docs", "kinds", "--json") == 0
    schemas = json.loads(capsys.readouterr().out)
    assert set(schemas) == set(KINDS)
    assert "judge" in schemas["confirmation_ruling"]["required"]


def test_render_unsigned(fresh: DocforgeConfig, data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ruling.pdf"
    assert _main(fresh, "docs", "render", "confirmation_ruling", "--data", str(data_file), "--out", str(out), "--lang", "en") == 0
    assert out.read_bytes().startswith(b"%PDF-") and "unsigned" in capsys.readouterr().out
    assert not fresh.pki_dir.exists()  # rendering alone creates no keys


def test_render_signed_then_verify(fresh: DocforgeConfig, data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ruling.pdf"
    assert _main(fresh, "docs", "render", "confirmation_ruling", "--data", str(data_file), "--out", str(out), "--sign") == 0
    assert "fields still to sign, in order: judge" in capsys.readouterr().out
    # Sealed and timestamped, but the judge has not signed yet: verification must say so.
    assert _main(fresh, "verify", str(out)) == 1
    report = capsys.readouterr().out
    assert "未通过 FAILED" in report and "unsigned field(s): ['judge']" in report
    assert "court_seal [certification]" in report


def test_verify_a_fully_signed_ruling(forge: DocumentForge, signed_agreement: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "agreement.pdf"
    path.write_bytes(signed_agreement)
    assert _main(forge.config, "verify", str(path)) == 0
    text = capsys.readouterr().out
    assert text.startswith("验证结果 Result: 通过 OK")
    for expected in ["签名人 Signer: 李明", "时间戳 Timestamp: 20", "完整 Intact: 是 yes", "覆盖 Coverage: ENTIRE_", "之后修改 Modifications after: FORM_FILLING", "生物特征记录 Biometric record: 绑定 bound 是 yes"]:
        assert expected in text, expected
    assert _main(forge.config, "verify", str(path), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["problems"] == []
    party1 = report["signatures"][1]
    assert party1["signer"] == "李明" and party1["record"]["bound"] and party1["ok"]
    assert party1["signing_time"].startswith("20") and party1["modification_level"] == "FORM_FILLING"


def test_verify_tampered_exits_1(forge: DocumentForge, signed_ruling: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    at = signed_ruling.index(b"WeasyPrint")
    path = tmp_path / "tampered.pdf"
    path.write_bytes(signed_ruling[:at] + b"X" + signed_ruling[at + 1 :])
    assert _main(forge.config, "verify", str(path)) == 1
    assert "未通过 FAILED" in capsys.readouterr().out


def test_verify_with_an_explicit_trust_root(forge: DocumentForge, fresh: DocforgeConfig, signed_ruling: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A verifier elsewhere has no PKI directory, only the court's root certificate.
    path = tmp_path / "ruling.pdf"
    path.write_bytes(signed_ruling)
    root = forge.config.pki_dir / "root.pem"
    assert _main(fresh, "verify", str(path), "--trust-root", str(root)) == 0
    assert "通过 OK" in capsys.readouterr().out
    assert not fresh.pki_dir.exists()


def test_efile_from_the_command_line(forge: DocumentForge, signed_agreement: bytes, signed_ruling: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = []
    for name, data in [("agreement.pdf", signed_agreement), ("ruling.pdf", signed_ruling)]:
        inputs.append(tmp_path / name)
        inputs[-1].write_bytes(data)
    out = tmp_path / "efile.pdf"
    assert _main(forge.config, "docs", "efile", "--case-number", "(2026)渝0112民特123号", "--out", str(out), *map(str, inputs)) == 0
    printed = capsys.readouterr().out
    assert "sealed by 重庆市渝北区人民法院" in printed and "2. pp." in printed
    assert _main(forge.config, "verify", str(out)) == 0


def _bad(tmp_path: Path, data_file: Path) -> list[tuple[list[str], str]]:
    (tmp_path / "bad.json").write_text("{\"court\": ", "utf-8")
    (tmp_path / "text.pdf").write_text("hello", "utf-8")
    out = str(tmp_path / "o.pdf")
    return [
        (["docs", "render", "confirmation_ruling", "--data", str(tmp_path / "none.json"), "--out", out], "data file not found: "),
        (["docs", "render", "confirmation_ruling", "--data", str(tmp_path / "bad.json"), "--out", out], "bad.json: invalid JSON at line 1 column 11"),
        (["docs", "render", "memo", "--data", str(data_file), "--out", out], "unknown document kind 'memo'; one of ["),
        (["docs", "render", "hearing_record", "--data", str(data_file), "--out", out], "unknown field(s)"),
        (["docs", "render", "confirmation_ruling", "--data", str(data_file), "--out", str(tmp_path / "no" / "o.pdf")], "cannot write "),
        (["docs", "efile", "--case-number", "X", "--out", out, str(tmp_path / "none.pdf")], "PDF not found: "),
        (["docs", "efile", "--case-number", "X", "--out", out, str(tmp_path / "text.pdf")], "not a PDF file: "),
        (["verify", str(tmp_path / "none.pdf")], "PDF not found: "),
        (["verify", str(tmp_path / "text.pdf")], "not a PDF file: "),
        (["verify", str(data_file)], "not a PDF file: "),
        (["verify", str(tmp_path), "--json"], "cannot read PDF "),
        (["verify", str(tmp_path / "text.pdf"), "--trust-root", str(data_file)], "not a PDF file: "),
    ]


def test_bad_input_exits_2_with_a_message(fresh: DocforgeConfig, data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, message in _bad(tmp_path, data_file):
        assert _main(fresh, *argv) == 2, argv
        captured = capsys.readouterr()
        assert captured.err.startswith("yunting: ") and message in captured.err, (argv, captured.err)
        assert "Traceback" not in captured.err and captured.out == ""


def test_verify_without_any_pki_exits_2(fresh: DocforgeConfig, signed_ruling: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ruling.pdf"
    path.write_bytes(signed_ruling)
    assert _main(fresh, "verify", str(path)) == 2
    assert "run `yunting pki init`, or pass --trust-root" in capsys.readouterr().err
    assert not fresh.pki_dir.exists()  # verifying never mints a new root
    bad_root = tmp_path / "root.pem"
    bad_root.write_text("garbage", "utf-8")
    assert _main(fresh, "verify", str(path), "--trust-root", str(bad_root)) == 2
    assert "not a PEM or DER certificate" in capsys.readouterr().err


def test_efile_without_a_court_seal_needs_court(fresh: DocforgeConfig, data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = tmp_path / "plain.pdf"
    assert _main(fresh, "docs", "render", "confirmation_ruling", "--data", str(data_file), "--out", str(pdf)) == 0
    capsys.readouterr()
    out = tmp_path / "e.pdf"
    assert _main(fresh, "docs", "efile", "--case-number", "X", "--out", str(out), str(pdf)) == 2
    assert "pass --court NAME" in capsys.readouterr().err
    assert _main(fresh, "docs", "efile", "--case-number", "X", "--court", "某法院", "--out", str(out), str(pdf)) == 0
