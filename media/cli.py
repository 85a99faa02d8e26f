"""Print an evidence package's verification (wired by the web CLI as `yunting verify` and
`yunting verify-package`, which hand in docforge's verifiers and the trust roots)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from media.evidence import DocumentVerifier, SignatureVerifier, verify_package

__all__ = ["print_report", "register", "verify_package_command"]


def verify_package_command(args: argparse.Namespace, settings: Any = None, *,
                           verify_signature: SignatureVerifier | None = None,
                           verify_document: DocumentVerifier | None = None,
                           trust_roots: Sequence[str] = ()) -> int:
    """Exit 0 when every file matches its manifest, the court's signature holds and every
    signed document is valid; 1 otherwise (fail closed: without verifiers nothing passes)."""
    report = verify_package(Path(args.path), verify_document=verify_document,
                            verify_signature=verify_signature, trust_roots=trust_roots)
    return print_report(report, bool(getattr(args, "json", False)))


def print_report(report: Any, as_json: bool) -> int:
    if as_json:
        print(json.dumps({**asdict(report), "ok": report.ok, "problems": report.problems()},
                         ensure_ascii=False, indent=2))
        return 0 if report.ok else 1
    print(f"package {report.path} (hearing {report.hearing_id}, {report.layout}): "
          f"{report.files_checked} files")
    for label, names in (("ALTERED", report.altered), ("MISSING", report.missing),
                         ("UNEXPECTED", report.unexpected), ("ERROR", report.errors)):
        for name in names:
            print(f"  {label}: {name}")
    for name, state in report.documents.items():
        print(f"  document {name}: {state}")
    for s in getattr(report, "signatures", []):
        print(f"  signed while recording: {s['signer']} ({s['field']}) {s['kind']} "
              f"sha256 {str(s['sha256'])[:16]}… at {s['offset']:.3f} s into {s['segment']} "
              f"(track {s['track']}: {s['track_offset']} s)")
    if report.layout == "bagit":
        signer = f" by {report.signer}" if report.signer else ""
        print(f"  court signature{signer}: {report.signature}")
    print(f"  timestamp: {report.timestamp}")
    for line in report.trust_roots or ["none"]:
        print(f"  trust root: {line}")
    print("OK: package verifies" if report.ok else
          "FAILED: package does not verify — " + "; ".join(report.problems()))
    return 0 if report.ok else 1


def register(subparsers: Any, command: Callable[[argparse.Namespace, Any], int] | None = None,
             add_arguments: Callable[[argparse.ArgumentParser], None] | None = None) -> None:
    """Add `verify-package PATH [--json]`; `args.func(args, settings)` returns the exit code.
    The web CLI hands in its `verify` command (with docforge's verifiers and trust options);
    on its own the command checks hashes only, and so never says OK."""
    parser = subparsers.add_parser(
        "verify-package", help="check an evidence package offline (same as `verify`)"
    )
    if add_arguments is not None:
        add_arguments(parser)
    else:
        parser.add_argument("path", help="package directory or .zip")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=command or verify_package_command)
