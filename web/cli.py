"""The `yunting` command: serve, demo, db upgrade, audit verify (and the packages' own)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from hearings.adapters.audit_store import read_chain
from hearings.adapters.database import Database
from hearings.adapters.migrate import upgrade
from hearings.audit import verify_chain
from web.app import create_app
from web.bootstrap import bootstrap
from web.settings import Settings, SettingsError

__all__ = ["main"]


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    host = args.host or settings.host
    port = args.port or settings.port
    web.run_app(create_app(settings), host=host, port=port, print=None)
    return 0


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
