"""The `yunting` command: serve, demo, db upgrade, audit verify, admin (and the packages'
own)."""

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
from hearings.domain.audit import verify_chain
from web.app import admin_cli, jobs_worker, runtime
from web.app.application import create_app
from web.app.bootstrap import bootstrap
from web.app.wiring import docforge_config, media_settings
from web.settings import Settings, SettingsError

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


def _media(args: argparse.Namespace, settings: Settings) -> int:
    """A media worker: the server's peers and recorders of the hearings placed on it."""
    from dataclasses import replace

    from media.worker import run_worker

    if not settings.redis_url:
        print("yunting: `yunting media` needs YUNTING_REDIS_URL (placement and relay go "
              "through Redis)", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    config = media_settings(settings)
    if args.ports:
        low, _, high = args.ports.partition("-")
        if not (low.isdigit() and high.isdigit() and 1024 <= int(low) <= int(high) <= 65535):
            print(f"yunting: --ports must be a UDP range like 50200-50299 (got {args.ports!r})",
                  file=sys.stderr)
            return 2
        config = replace(config, udp_ports=(int(low), int(high)))
    if args.advertised_address:
        config = replace(config, advertised_address=args.advertised_address)
    return run_worker(config, settings.redis_url, ttl=settings.media_worker_ttl_seconds,
                      worker_id=args.id or None,
                      alive_file=Path(args.alive_file) if args.alive_file else None)


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
    from web.app.demo import seed_demo, staff_logins

    upgrade(settings.database_url)
    links = asyncio.run(_with_services(
        settings, lambda services: seed_demo(services, settings.public_url)))
    staff = staff_logins(settings.public_url)
    if args.json:  # the join links by role, and the staff logins under "staff"
        print(json.dumps({**{link.role_key: link.as_json() for link in links}, "staff": staff},
                         ensure_ascii=False, indent=2))
        return 0
    print(f"yunting demo data ready — open {settings.public_url}")
    print("\nJoin links (each also works as a code typed at a kiosk):")
    for link in links:
        print(f"  {link.role_key:<17} {link.name:<10} {link.url}")
    print("\nStaff logins (development only):")
    for username, login in staff.items():
        print(f"  {username:<11} / {login['password']:<22} {login['name']} ({login['role']})")
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
    """One command for both kinds of evidence: a signed PDF, or an evidence package.

    Trusted are exactly the roots given (``--trust``, ``--trust-fingerprint``), or, when none
    is given, this installation's; never none silently: no root means nothing verifies."""
    from docforge.errors import PKIError

    for chatty in ("pyhanko", "pyhanko_certvalidator"):  # tracebacks for what the report says
        logging.getLogger(chatty).setLevel(logging.CRITICAL)
    path = Path(args.path)
    if not path.exists():
        print(f"yunting: not found: {path}", file=sys.stderr)
        return 2
    try:
        trust, pins, court_key = _trust(args, settings)
    except (PKIError, OSError) as exc:
        print(f"yunting: {exc}", file=sys.stderr)
        return 2
    described = _describe_trust(trust, pins)
    if path.is_dir() or zipfile.is_zipfile(path):
        verify_signature, verify_document = _package_verifiers(trust, pins, court_key)
        return media.cli.verify_package_command(
            args, settings, verify_signature=verify_signature, verify_document=verify_document,
            trust_roots=described)
    return _verify_pdf(args, path, trust, pins, court_key, described)


def _trust(args: argparse.Namespace, settings: Settings) -> tuple[Any, list[str], Any]:
    """(roots, pinned fingerprints, the court's biometric key if this is its dev install)."""
    from docforge.pki import dev_pki_exists
    from docforge.trust import TrustRoots, installed_trust, normalise_fingerprint

    config = docforge_config(settings)
    pins = [normalise_fingerprint(p) for p in args.trust_fingerprint or []]
    if args.trust or pins:
        return TrustRoots.from_files(args.trust or []), pins, None
    court_key = None
    if config.signing_backend == "dev" and dev_pki_exists(config.pki_dir):
        from docforge.forge import DocumentForge

        court_key = DocumentForge(config).court_key()
    return installed_trust(config), pins, court_key


def _describe_trust(trust: Any, pins: list[str]) -> list[str]:
    lines = trust.describe() if trust or not pins else []
    return lines + [f"pinned SHA-256 {pin}, looked for among the certificates the evidence "
                    "carries" for pin in pins]


def _verify_pdf(args: argparse.Namespace, path: Path, trust: Any, pins: list[str],
                court_key: Any, described: list[str]) -> int:
    from docforge.verify import verify_pdf_trusting

    data = path.read_bytes()
    if not data.startswith(b"%PDF-"):
        print(f"yunting: not a PDF file nor an evidence package: {path}", file=sys.stderr)
        return 2
    report = verify_pdf_trusting(data, trust, pins, court_key)
    if args.json:
        print(json.dumps({**report.as_json(), "trust_roots": described}, ensure_ascii=False,
                         indent=2))
    else:
        print(report.text())
        print("\n".join(f"信任根 Trust root: {line}" for line in described))
    return 0 if report.ok else 1


def _package_verifiers(trust: Any, pins: list[str], court_key: Any) -> tuple[Any, Any]:
    """docforge's checks for what media cannot judge: the court's signature over the tag
    manifest and the signed PDFs, against exactly the given trust roots."""
    from docforge.detached import verify_detached
    from docforge.verify import verify_pdf_trusting
    from media.evidence import SignatureVerdict

    def verify_signature(tag_manifest: bytes, signature: bytes) -> SignatureVerdict:
        check = verify_detached(tag_manifest, signature, trust, pins)
        when = check.timestamp_time.isoformat() if check.timestamp_time else None
        return SignatureVerdict(check.ok, check.signer, when, check.problems)

    def verify_document(pdf: bytes) -> list[str]:
        return verify_pdf_trusting(pdf, trust, pins, court_key).failures()

    return verify_signature, verify_document


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="signed PDF, or evidence package (folder or .zip)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--trust", "--trust-root", dest="trust", action="append", metavar="ROOT.pem",
        help="trust this root certificate, e.g. the court's (PEM or DER; repeatable); "
             "instead of this installation's")
    parser.add_argument(
        "--trust-fingerprint", action="append", metavar="SHA256",
        help="trust the root with this SHA-256 fingerprint among the certificates the "
             "evidence carries (repeatable); instead of this installation's")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yunting", description="云庭 yunting")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=_serve)
    worker = sub.add_parser("media", help="run a media worker (needs YUNTING_REDIS_URL; the "
                            "web processes place hearings on it with YUNTING_MEDIA_WORKERS)")
    worker.add_argument("--ports", help="UDP range of its host candidates, e.g. 50200-50299 "
                        "(default YUNTING_ICE_PORT_MIN-MAX)")
    worker.add_argument("--advertised-address", help="the address its candidates announce "
                        "(default YUNTING_ICE_ADVERTISED_ADDRESS)")
    worker.add_argument("--id", help="its name in the registry (default host-pid-random)")
    worker.add_argument("--alive-file", help="touched at every heartbeat Redis took (for a "
                        "container health check)")
    worker.set_defaults(func=_media)
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
    add_verify_arguments(verify)
    verify.set_defaults(func=_verify)
    admin_cli.register(sub)
    jobs_worker.register(sub)
    docforge.cli.register(sub, docforge_config)
    media.cli.register(sub, _verify, add_verify_arguments)
    return parser


def main(argv: list[str] | None = None) -> int:
    runtime.install()  # before any event loop: no cancellation is lost (web/app/runtime.py)
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
