"""The `yunting` command: serve, demo, db upgrade, audit verify (and the packages' own)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

import docforge.cli
import media.cli
from hearings.adapters.audit_store import read_chain
from hearings.adapters.database import Database
from hearings.adapters.migrate import upgrade
from hearings.audit import verify_chain
from web.app import create_app
from web.bootstrap import bootstrap
from web.settings import Settings, SettingsError
from web.wiring import docforge_config

__all__ = ["main"]


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("weasyprint", "fontTools"):  # per-page progress at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)
    host = args.host or settings.host
    port = args.port or settings.port
    app = create_app(settings)
    app.on_startup.append(_warm_up)
    web.run_app(app, host=host, port=port, print=None)
    return 0


async def _warm_up(app: web.Application) -> None:
    """Load fonts and keys before the first document is due (not in tests: it takes seconds)."""
    from web.keys import FORGE

    forge = app[FORGE]
    asyncio.get_running_loop().run_in_executor(None, forge.source.trust_roots)
    await forge.awarm_up()


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    upgrade(settings.database_url)
    print("database schema is at the newest revision")
    return 0


async def _with_services(settings: Settings, work: Callable[[Any], Any]) -> Any:
    database = Database(settings.database_url)
    try:
        return await work(bootstrap(settings, database))
    finally:
        await database.dispose()


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from web.demo import DEMO_STAFF, seed_demo

    upgrade(settings.database_url)
    links = asyncio.run(_with_services(
        settings, lambda services: seed_demo(services, settings.public_url)))
    if args.json:
        print(json.dumps({link.role_key: link.as_json() for link in links},
                         ensure_ascii=False, indent=2))
        return 0
    print(f"yunting demo data ready — open {settings.public_url}")
    print("\nJoin links (each also works as a code typed at a kiosk):")
    for link in links:
        print(f"  {link.role_key:<17} {link.name:<10} {link.url}")
    print("\nStaff logins (development only):")
    for username, (display, role, password) in DEMO_STAFF.items():
        print(f"  {username:<11} / {password:<22} {display} ({role})")
    return 0


def _audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        database = Database(settings.database_url)
        try:
            async with database.sessions() as session:
                entries = await read_chain(session)
        finally:
            await database.dispose()
        verdict = verify_chain(entries, settings.audit_key_bytes())
        print(verdict.describe())
        return 0 if verdict.ok else 1

    return asyncio.run(run())


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    """One command for both kinds of evidence: a signed PDF, or a recording package."""
    path = Path(args.path)
    if not path.exists():
        print(f"yunting: not found: {path}", file=sys.stderr)
        return 2
    if path.is_dir() or zipfile.is_zipfile(path):
        verify_token, verify_document = _package_verifiers(settings)
        return media.cli.verify_package_command(args, settings, verify_token=verify_token,
                                                verify_document=verify_document)
    return docforge.cli.verify_pdf_command(args, docforge_config(settings))


def _package_verifiers(settings: Settings) -> tuple[Any, Any]:
    """docforge's checks for what media cannot judge: the signed PDFs' signatures and the
    manifest's RFC 3161 token, against this installation's trust roots. Without them (no
    PKI here) both stay hash-only: the documents "unchecked", the token's imprint compared."""
    from docforge.errors import DocforgeError, PKIError
    from docforge.forge import DocumentForge
    from docforge.pki import dev_pki_exists
    from docforge.signers import validation_context
    from docforge.timestamps import async_verify_timestamp_token
    from docforge.verify import verify_pdf

    config = docforge_config(settings)
    if config.signing_backend == "dev" and not dev_pki_exists(config.pki_dir):
        return None, None
    try:
        forge = DocumentForge(config)
        source = forge.source
        roots, crls, court_key = source.trust_roots(), source.crls(), forge.court_key()
    except (PKIError, OSError, ValueError):
        return None, None

    def verify_document(pdf: bytes) -> list[str]:
        try:
            report = verify_pdf(pdf, roots, crls, court_key)
        except (DocforgeError, ValueError, TypeError, KeyError) as exc:  # not a readable PDF
            return [f"not a verifiable signed PDF: {exc}"]
        problems = list(report.problems)
        problems += [f"{s.field}: {s.summary}" for s in report.signatures if not s.ok]
        if not report.signatures:
            problems.append("no signature")
        return problems

    def verify_token(digest: bytes, token: bytes) -> bool:
        coroutine = async_verify_timestamp_token(token, digest, validation_context(source))
        try:
            return bool(asyncio.run(coroutine).ok)
        except (DocforgeError, ValueError, TypeError, KeyError):  # not an RFC 3161 token
            return False

    return verify_token, verify_document


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yunting", description="云庭 yunting")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=_serve)
    demo = sub.add_parser("demo", help="seed demo data (idempotent) and print join links")
    demo.add_argument("--json", action="store_true", help="print the links as JSON by role")
    demo.set_defaults(func=_demo)
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="migrate to the newest schema").set_defaults(func=_db_upgrade)
    audit = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit",
                                                                        required=True)
    audit.add_parser("verify", help="check the hash chain; exit 1 naming the first bad entry"
                     ).set_defaults(func=_audit_verify)
    verify = sub.add_parser("verify", help="verify a signed PDF or an evidence package, offline;"
                            " exit 1 naming what failed")
    docforge.cli.add_verify_arguments(verify)
    verify.set_defaults(func=_verify)
    docforge.cli.register(sub, docforge_config)
    media.cli.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        return int(args.func(args, settings))
    except SettingsError as exc:
        print(f"yunting: bad setting: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        detail = exc.args[0] if exc.args else exc
        print(f"yunting: database error: {exc.__class__.__name__}: {detail}"
              "\n(hint: run `yunting db upgrade` first)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
