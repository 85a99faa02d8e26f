"""docforge's part of the ``yunting`` command: ``pki init``, ``docs kinds|render|efile`` and
the PDF half of ``yunting verify``.

``web.app.cli`` owns the parser and calls ``register(subparsers, config_from_settings)``; every
handler here is ``func(args, settings)`` like web's own, and turns web's settings into a
``DocforgeConfig`` through the callable it is given (docforge never imports web).

Exit codes: 0 success, 1 the work failed (a document did not verify, signing failed),
2 bad input (missing file, bad JSON, unknown kind, no PKI) — always a message, never a traceback.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import DocforgeConfig
from .errors import DocforgeError, EfileError, PKIError, TemplateDataError

__all__ = ["add_verify_arguments", "register", "verify_pdf_command"]

ConfigFactory = Callable[[Any], DocforgeConfig]
Command = Callable[[argparse.Namespace, DocforgeConfig], int]


class BadInput(Exception):
    """What the user typed cannot work (exit 2)."""


def _fail(message: str, code: int) -> int:
    print(f"yunting: {message}", file=sys.stderr)
    return code


def _run(command: Command, config_from_settings: ConfigFactory, args: Any, settings: Any) -> int:
    try:
        return command(args, config_from_settings(settings))
    except (BadInput, TemplateDataError, EfileError, PKIError) as exc:
        return _fail(str(exc), 2)
    except DocforgeError as exc:
        return _fail(f"{type(exc).__name__}: {exc}", 1)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{what} not found: {path}") from None
    except OSError as exc:
        raise BadInput(f"cannot read {what} {path}: {exc.strerror}") from None


def _read_pdf(path: str) -> bytes:
    data = _read(path, "PDF")
    if not data.startswith(b"%PDF-"):
        raise BadInput(f"not a PDF file: {path}")
    return data


def _write(path: str, data: bytes) -> None:
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise BadInput(f"cannot write {path}: {exc.strerror}") from None


# -- pki init ------------------------------------------------------------------------------
def pki_init_command(args: argparse.Namespace, config: DocforgeConfig) -> int:
    from .pki import init_dev_pki

    if config.signing_backend != "dev":
        raise BadInput(
            f"`pki init` creates the development PKI; the signing backend is "
            f"{config.signing_backend!r} (production keys come from your CA)"
        )
    existed = (config.pki_dir / "root.pem").exists()
    pki = init_dev_pki(config.pki_dir)
    print(f"development PKI {'already present' if existed else 'created'} in {pki.directory}")
    for label, credential in [
        ("root CA", pki.root),
        ("court seal", pki.seal),
        ("signing service", pki.service),
        ("TSA", pki.tsa),
    ]:
        until = credential.cert.not_valid_after_utc.date()
        print(f"  {label:<16} {credential.common_name}  (valid until {until})")
    people = sorted(config.pki_dir.glob("person-*.pem"))
    print(f"  {'people':<16} {len(people)} judge/mediator certificate(s) issued on first use")
    print(f"  {'CRL':<16} {pki.crl_path}")
    return 0


# -- docs kinds / render -------------------------------------------------------------------
def kinds_command(args: argparse.Namespace, config: DocforgeConfig) -> int:
    from .schema import json_schema
    from .viewmodels import KINDS

    if args.json:
        schemas = {kind: json_schema(kind) for kind in sorted(KINDS)}
        print(json.dumps(schemas, ensure_ascii=False, indent=2))
        return 0
    for kind, cls in sorted(KINDS.items()):
        print(f"{kind}  {cls.title}")
        schema = json.dumps(json_schema(kind), ensure_ascii=False, indent=2)
        print("  " + schema.replace("\n", "\n  "))
    return 0


def _load_json(path: str) -> Any:
    try:
        return json.loads(_read(path, "data file").decode("utf-8"))
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None


def render_command(args: argparse.Namespace, config: DocforgeConfig) -> int:
    from .forge import DocumentForge
    from .pdf import render_pdf
    from .schema import from_json
    from .viewmodels import signing_order

    document = from_json(args.kind, _load_json(args.data))
    forge = DocumentForge(config)
    if not args.sign:
        rendered = render_pdf(document, args.lang, development=config.signing_backend == "dev")
        _write(args.out, rendered.data)
        print(f"wrote {args.out} ({rendered.page_count} page(s), unsigned)")
        return 0
    pdf = forge.finish(forge.render_and_seal(document, args.lang))
    _write(args.out, pdf)
    waiting = [f.name for f in signing_order(document) if f.stage != "seal"]
    print(f"wrote {args.out}: certified with the court seal and timestamped")
    if waiting:
        print(f"  fields still to sign, in order: {', '.join(waiting)}")
    return 0


# -- docs efile ----------------------------------------------------------------------------
def _sealing_court(pdfs: list[bytes]) -> str | None:
    """The court named by the first input's court seal signature (``/Name``)."""
    import io

    import pikepdf

    for data in pdfs:
        try:
            with pikepdf.open(io.BytesIO(data)) as pdf:
                form: Any = pdf.Root.get("/AcroForm")
                for field in form.get("/Fields", []) if form is not None else []:
                    if field.get("/T") == "court_seal" and "/V" in field:
                        return str(field.V.get("/Name", "")) or None
        except pikepdf.PdfError:
            continue
    return None


def efile_command(args: argparse.Namespace, config: DocforgeConfig) -> int:
    from .efile import EfileDocument
    from .forge import DocumentForge

    documents = [EfileDocument(Path(p).name, _read_pdf(p)) for p in args.inputs]
    court = args.court or _sealing_court([d.data for d in documents])
    if not court:
        raise BadInput("no input carries a court seal naming the court: pass --court NAME")
    result = DocumentForge(config).compile_efile(documents, args.case_number, court)
    _write(args.out, result.data)
    print(f"wrote {args.out}: {result.page_count} page(s), sealed by {court} and timestamped")
    for e in result.entries:
        print(f"  {e.number}. pp. {e.first_page}-{e.last_page}  {e.title}  sha256 {e.sha256}")
    return 0


# -- verify --------------------------------------------------------------------------------
def _trust(config: DocforgeConfig, extra_roots: list[str]) -> tuple[list, list, Any]:
    from .forge import DocumentForge
    from .pki import dev_pki_exists

    roots: list = []
    for path in extra_roots:
        roots.append(_load_certificate(path))
    if config.signing_backend == "dev" and not dev_pki_exists(config.pki_dir):
        if not roots:
            raise BadInput(
                f"no development PKI in {config.pki_dir} to trust: run `yunting pki init`, "
                "or pass --trust-root ROOT.pem"
            )
        return roots, [], None
    forge = DocumentForge(config)
    source = forge.source
    return [*source.trust_roots(), *roots], source.crls(), forge.court_key()


def _load_certificate(path: str) -> Any:
    from .trust import load_certificate

    try:
        return load_certificate(_read(path, "trust root"), path)
    except PKIError as exc:
        raise BadInput(str(exc)) from None


def verify_pdf_command(args: argparse.Namespace, config: DocforgeConfig) -> int:
    """Print the verification report of ``args.path``; 0 if every check passed, 1 if any
    failed, 2 on bad input. Reads ``args.json`` and ``args.trust_root`` if present."""
    from .verify import verify_pdf

    try:
        data = _read_pdf(args.path)
        roots, crls, court_key = _trust(config, list(getattr(args, "trust_root", None) or []))
        report = verify_pdf(data, roots, crls, court_key)
    except (BadInput, PKIError) as exc:
        return _fail(str(exc), 2)
    if getattr(args, "json", False):
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print(report.text())
    return 0 if report.ok else 1


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments ``verify_pdf_command`` reads, for the parser that dispatches to it."""
    parser.add_argument("path", help="signed PDF to verify")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--trust-root",
        action="append",
        metavar="CERT.pem",
        help="also trust this root certificate (repeatable)",
    )


# -- wiring --------------------------------------------------------------------------------
def register(subparsers: Any, config_from_settings: ConfigFactory) -> None:
    """Add ``pki init`` and ``docs kinds|render|efile`` to ``yunting``'s subparsers."""

    def bind(command: Command) -> Callable[[Any, Any], int]:
        return functools.partial(_run, command, config_from_settings)

    pki = subparsers.add_parser("pki", help="the development PKI")
    pki_sub = pki.add_subparsers(dest="pki", required=True)
    init = pki_sub.add_parser("init", help="create the development PKI (idempotent)")
    init.set_defaults(func=bind(pki_init_command))

    docs = subparsers.add_parser("docs", help="legal documents: kinds, render, case e-file")
    docs_sub = docs.add_subparsers(dest="docs", required=True)
    kinds = docs_sub.add_parser("kinds", help="list document kinds and their JSON schema")
    kinds.add_argument("--json", action="store_true", help="one JSON object: kind → schema")
    kinds.set_defaults(func=bind(kinds_command))

    render = docs_sub.add_parser("render", help="render a document from JSON data")
    render.add_argument("kind", help="document kind (see `yunting docs kinds`)")
    render.add_argument("--data", required=True, metavar="DATA.json")
    render.add_argument("--out", required=True, metavar="OUT.pdf")
    render.add_argument("--lang", choices=["zh", "en"], default="zh")
    render.add_argument(
        "--sign", action="store_true", help="certify with the court seal and timestamp"
    )
    render.set_defaults(func=bind(render_command))

    efile = docs_sub.add_parser("efile", help="compile a case's documents into a sealed e-file")
    efile.add_argument("--case-number", required=True)
    efile.add_argument("--court", help="court name (default: from the inputs' court seal)")
    efile.add_argument("--out", required=True, metavar="OUT.pdf")
    efile.add_argument("inputs", nargs="+", metavar="INPUT.pdf")
    efile.set_defaults(func=bind(efile_command))
