"""`yunting verify-package PATH`: check an evidence package offline (wired by the web CLI)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from media.evidence import DocumentVerifier, TokenVerifier, verify_package

__all__ = ["register", "verify_package_command"]


def verify_package_command(args: argparse.Namespace, settings: Any = None, *,
                           verify_token: TokenVerifier | None = None,
                           verify_document: DocumentVerifier | None = None) -> int:
    """Exit 0 when every file matches the manifest, the token matches and every signed
    document holds; 1 otherwise. The verifiers are docforge's, handed in by web's CLI."""
    report = verify_package(Path(args.path), verify_token, verify_document)
    if args.json:
        print(json.dumps({**asdict(report), "ok": report.ok}, ensure_ascii=False, indent=2))
        return 0 if report.ok else 1
    print(f"package {report.path} (hearing {report.hearing_id}): {report.files_checked} files")
    for label, names in (("ALTERED", report.altered), ("MISSING", report.missing),
                         ("UNEXPECTED", report.unexpected), ("ERROR", report.errors)):
        for name in names:
            print(f"  {label}: {name}")
    for name, state in report.documents.items():
        print(f"  document {name}: {state}")
    print(f"  timestamp token: {report.timestamp}")
    print("OK: package verifies" if report.ok else "FAILED: package does not verify")
    return 0 if report.ok else 1


def register(subparsers: Any) -> None:
    """Add `verify-package PATH [--json]`; `args.func(args)` returns the exit code."""
    parser = subparsers.add_parser(
        "verify-package", help="check an evidence package's files against its manifest, offline"
    )
    parser.add_argument("path", help="package directory or .zip")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=verify_package_command)
