"""Case e-file through the app: a ~200-page e-file compiled over the HTTP API, as a clerk's
page does it (issue 17: "a 200-page e-file from the app < 10 s").

bench/docforge.py times docforge's compile alone; this times the app's path: from the
`POST /api/cases/{id}/efile` (body `{}`: everything of the case, oldest first, as
web/static/js/pages/efile.js sends) until the sealed PDF is downloaded — the job record, the
in-process job reading the documents and uploads from disk, the compile in a thread
(contents, page numbers, court seal, timestamp), the result written and audited, the
page's poll of `/efile/jobs/{job}` every 0.5 s, and the download.

Set up as tests/integration/test_case_efile_api.py does (its helpers): create_app on an
aiohttp test server on 127.0.0.1, SQLite in a temporary directory, the development PKI and
its in-process TSA (the embedded defaults), a court and case from tests/factories.py, the
clerk logged in; the platform's documents are a transcript sent for signature and four
sealed documents; the rest of the ~200 pages are scanned PDFs uploaded through
`POST /api/cases/{id}/uploads`: sample documents rasterised by pdftoppm (grey, 150 dpi),
each page given paper noise and a slight skew, saved as JPEG pages by Pillow — nothing
downloaded. One untimed warm-up e-file (one document), then the timed runs on the same
case; the last result is checked (page count, `docforge verify`), and the same inputs are
compiled once by `forge.compile_efile` directly for the app's share.

    .venv/bin/python bench/efile_app.py [--runs N] [--pages N]

Prints the figures and ends with one JSON line:
{"bench": "efile_app", "efile_app_p50_s": ..., "runs_s": [...], "pages": ...,
 "bundle_mb": ..., "direct_compile_s": ..., "runs": ...}
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import random
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EFILE_PAGES = 200
POLL_S = 0.5  # web/static/js/pages/efile.js: sleep(500) between polls
SCAN_DPI = 150
SCAN_KINDS = ("proof_of_service", "mediation_agreement", "confirmation_application",
              "confirmation_ruling")
SCANS = ("起诉状及证据扫描件.pdf", "证据材料一.pdf", "证据材料二.pdf", "送达回证扫描件.pdf")
PLATFORM_KINDS = ("mediation_agreement", "confirmation_application", "confirmation_ruling",
                  "hearing_record")


def scanned_sheets(forge: Any, folder: Path) -> list[Any]:
    """Page images of a few rendered documents, rasterised grey as a scanner would."""
    from PIL import Image

    from docforge.samples import sample

    for kind in SCAN_KINDS:
        pdf = folder / f"{kind}.pdf"
        pdf.write_bytes(forge.render(kind, sample(kind)).data)
        subprocess.run(["pdftoppm", "-gray", "-png", "-r", str(SCAN_DPI), str(pdf),
                        str(folder / kind)], check=True)
    return [Image.open(path).convert("L") for path in sorted(folder.glob("*.png"))]


def scan(sheets: list[Any], pages: int, seed: int) -> bytes:
    """A scanned PDF of `pages` JPEG pages, each with its own noise and skew."""
    from PIL import Image

    rng = random.Random(seed)
    scanned = []
    for n in range(pages):
        sheet = sheets[(seed + n) % len(sheets)]
        paper = Image.blend(sheet, Image.effect_noise(sheet.size, 40), 0.08)
        scanned.append(paper.rotate(rng.uniform(-0.6, 0.6), Image.Resampling.BILINEAR,
                                    fillcolor=250))
    out = io.BytesIO()
    scanned[0].save(out, "PDF", save_all=True, append_images=scanned[1:],
                    resolution=SCAN_DPI, quality=75)
    return out.getvalue()


def page_count(pdf: bytes) -> int:
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as opened:
        return len(opened.pages)


async def platform_documents(services: Any, forge: Any, root: Path, trial: Any
                             ) -> list[tuple[str, bytes]]:
    """The platform's documents of the case, as the integration test makes them: a hearing
    record sent for signature and four sealed documents; (title, PDF) oldest first."""
    from hearings.domain.documents import TITLES, DocumentKind
    from hearings.domain.states import DocumentState
    from tests.integration.test_case_efile_api import _stored

    clerk = trial.clerk_actor
    await services.transcripts.save(clerk, trial.hearing.id, "审：现在开庭。\n被告人：我叫张某。", 0)
    view = await services.transcripts.send_for_signature(clerk, trial.hearing.id)
    record_pdf = next((root / view.transcript.document_id).glob("*.pdf")).read_bytes()
    found = [(TITLES[DocumentKind.HEARING_RECORD], record_pdf)]
    for kind in PLATFORM_KINDS:
        document = await _stored(services, forge, root, trial, kind, DocumentState.SEALED)
        found.append((document.title, (root / document.id / f"{document.sha256}.pdf")
                       .read_bytes()))
    return found


async def upload(client: Any, case_id: str, headers: dict[str, str], name: str, pdf: bytes
                 ) -> dict[str, Any]:
    """As efile.js uploads: the file as the raw body, its name in the query."""
    r = await client.post(f"/api/cases/{case_id}/uploads", params={"filename": name},
                          data=pdf, headers=headers | {"Content-Type": "application/pdf"})
    assert r.status == 201, await r.text()
    return dict(await r.json())


async def compile_efile(client: Any, case_id: str, headers: dict[str, str],
                        body: dict[str, Any]) -> dict[str, Any]:
    """As efile.js compiles: POST, poll the job every 0.5 s until it ends, download the PDF.
    Times the whole, the POST's answer, each poll's answer, and when each stage was seen."""
    start = time.perf_counter()
    r = await client.post(f"/api/cases/{case_id}/efile", json=body, headers=headers)
    assert r.status == 202, await r.text()
    job = await r.json()
    posted = time.perf_counter() - start
    stages: dict[str, float] = {}
    polls: list[float] = []
    while job["state"] in ("queued", "running"):
        await asyncio.sleep(POLL_S)
        asked = time.perf_counter()
        r = await client.get(f"/api/cases/{case_id}/efile/jobs/{job['job_id']}",
                             headers=headers)
        assert r.status == 200, await r.text()
        job = await r.json()
        polls.append(time.perf_counter() - asked)
        stages.setdefault(job["stage"], time.perf_counter() - start)
    assert job["state"] == "done", job
    done = time.perf_counter() - start
    r = await client.get(job["download"], headers=headers)
    assert r.status == 200, await r.text()
    pdf = await r.read()
    total = time.perf_counter() - start
    assert int(r.headers["X-Efile-Pages"]) == job["pages"]
    return {"total_s": total, "post_s": posted, "done_seen_s": done,
            "download_s": total - done, "polls": polls, "stages": stages, "job": job,
            "pdf": pdf}


def server_span(job: dict[str, Any]) -> float:
    """The job record's own span: created → last written (done)."""
    from datetime import datetime

    return (datetime.fromisoformat(job["updated_at"])
            - datetime.fromisoformat(job["created_at"])).total_seconds()


async def run(runs: int, pages: int, data_dir: Path) -> dict[str, Any]:
    from aiohttp.test_utils import TestClient, TestServer

    from docforge.efile import EfileDocument
    from hearings.adapters.database import Database
    from tests.conftest import AUDIT_KEY
    from tests.factories import make_trial
    from tests.integration.test_case_efile_api import _login
    from web.app.application import create_app
    from web.keys import FORGE, SERVICES
    from web.settings import Secret, Settings

    settings = Settings(data_dir=data_dir, audit_key=Secret(AUDIT_KEY.decode()),
                        media_enabled=False)
    database = Database(settings.database_url)
    await database.create_all()
    app = create_app(settings, database=database)
    try:
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            services, forge = app[SERVICES], app[FORGE]
            await forge.awarm_up()
            trial = await make_trial(services)
            clerk = await _login(services, trial.clerk, "clerk-password-1")
            case_id = trial.case.id
            platform = await platform_documents(services, forge,
                                                settings.archive_dir / "documents", trial)
            platform_pages = sum(page_count(pdf) for _, pdf in platform)

            started = time.perf_counter()
            folder = data_dir / "scans"
            folder.mkdir()
            sheets = await asyncio.to_thread(scanned_sheets, forge, folder)
            left = pages - platform_pages
            counts = [left // len(SCANS) + (i < left % len(SCANS)) for i in range(len(SCANS))]
            scans = [await asyncio.to_thread(scan, sheets, n, seed)
                     for seed, n in enumerate(counts)]
            print(f"{len(platform)} platform documents, {platform_pages} pages; "
                  f"{len(scans)} scans of {counts} pages, "
                  f"{sum(map(len, scans)) / 1e6:.1f} MB, made in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
            started = time.perf_counter()
            uploaded = [await upload(client, case_id, clerk, name, pdf)
                        for name, pdf in zip(SCANS, scans, strict=True)]
            upload_s = time.perf_counter() - started
            print(f"uploads (stream to disk, check, hash, timestamp, audit): {upload_s:.2f} s "
                  f"for {len(uploaded)}", flush=True)

            first = await client.get(f"/api/cases/{case_id}/efile", headers=clerk)
            warm = await compile_efile(client, case_id, clerk,
                                       {"items": [(await first.json())[0]["id"]]})
            print(f"warm-up e-file ({warm['job']['pages']} pages): {warm['total_s']:.2f} s",
                  flush=True)

            results = []
            for n in range(1, runs + 1):
                result = await compile_efile(client, case_id, clerk, {})
                result["server_s"] = server_span(result["job"])
                results.append(result)
                stages = ", ".join(f"{k} {v:.1f}" for k, v in result["stages"].items())
                print(f"run {n}: POST → PDF downloaded {result['total_s']:.2f} s "
                      f"({result['job']['pages']} pages, {len(result['pdf']) / 1e6:.1f} MB; "
                      f"job record created → done {result['server_s']:.2f} s, download "
                      f"{result['download_s']:.2f} s; POST answered in "
                      f"{result['post_s'] * 1000:.0f} ms, polls {len(result['polls'])}, "
                      f"slowest poll {max(result['polls']) * 1000:.0f} ms; stage first seen "
                      f"at s: {stages})", flush=True)

            bundle = results[-1]["pdf"]
            counted = await asyncio.to_thread(page_count, bundle)
            assert counted == results[-1]["job"]["pages"] >= pages, counted
            started = time.perf_counter()
            report = await forge.averify(bundle)
            verify_s = time.perf_counter() - started
            assert report.ok, report.text()

            inputs = [EfileDocument(f"{title}.pdf", pdf, title) for title, pdf in platform]
            inputs += [EfileDocument(name, pdf, name.removesuffix(".pdf"))
                       for name, pdf in zip(SCANS, scans, strict=True)]
            started = time.perf_counter()
            direct = await asyncio.to_thread(forge.compile_efile, inputs, trial.case.number,
                                             trial.court.name)
            direct_s = time.perf_counter() - started
    finally:
        await database.dispose()
    return {"results": results, "pages": counted, "bundle_bytes": len(bundle),
            "verify_s": verify_s, "direct_s": direct_s, "direct_pages": direct.page_count,
            "upload_s": upload_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", type=int, default=EFILE_PAGES,
                        help="the case's document pages (the contents page comes on top)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # WeasyPrint's unclosed ICC profile (see tests' conftest)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("pyhanko").setLevel(logging.ERROR)  # "fetching is not allowed": by design

    with tempfile.TemporaryDirectory(prefix="yunting-bench-efile-") as tmp:
        out = asyncio.run(run(args.runs, args.pages, Path(tmp)))
    totals = [r["total_s"] for r in out["results"]]
    servers = [r["server_s"] for r in out["results"]]
    p50 = statistics.median(totals)
    print(f"\ncase e-file through the app, {out['pages']} pages, "
          f"{out['bundle_bytes'] / 1e6:.1f} MB, {args.runs} runs: POST → PDF downloaded "
          f"median {p50:.2f} s ({', '.join(f'{t:.2f}' for t in totals)}); job record "
          f"created → done median {statistics.median(servers):.2f} s")
    print(f"same inputs by forge.compile_efile directly, once: {out['direct_s']:.2f} s "
          f"({out['direct_pages']} pages); docforge verify of the app's PDF: ok, "
          f"{out['verify_s']:.2f} s")
    print(f"target < 10 s: {'met' if p50 < 10 else 'NOT met'}")
    print(json.dumps({
        "bench": "efile_app",
        "efile_app_p50_s": round(p50, 2),
        "runs_s": [round(t, 2) for t in totals],
        "server_p50_s": round(statistics.median(servers), 2),
        "pages": out["pages"],
        "bundle_mb": round(out["bundle_bytes"] / 1e6, 1),
        "direct_compile_s": round(out["direct_s"], 2),
        "runs": args.runs,
    }))


if __name__ == "__main__":
    main()
