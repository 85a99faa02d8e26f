"""One Case, One Code: does a wrong code take as long as wrong digits?

Times `Inquiries.ask` (hearings/services/inquiries.py) on a fresh SQLite database for two kinds of
miss, interleaved so that drift hits both alike: an unknown code (well-formed, never
issued) and a real code with the wrong last 4 digits. Every miss here is the first of its
window — a fresh case per pair — so both write the audit row a first miss writes.
Prints medians and p95 and ends with one JSON line:
{"bench": "inquiry_timing", "wrong_code_p50_ms": ..., "wrong_digits_p50_ms": ..., ...}

    .venv/bin/python bench/inquiry_timing.py [--pairs N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hearings.adapters.database import Database  # noqa: E402
from hearings.adapters.unit_of_work import SqlUnitOfWork  # noqa: E402
from hearings.domain.actors import SYSTEM  # noqa: E402
from hearings.domain.commands import (  # noqa: E402
    CreateCourt,
    InviteParticipant,
    OpenCase,
    ScheduleHearing,
)
from hearings.domain.inquiry import InquiryRefused, new_code  # noqa: E402
from hearings.domain.participants import Role  # noqa: E402
from hearings.services.inquiries import INQUIRY_LIMIT, INQUIRY_WINDOW_SECONDS, Inquiries  # noqa: E402
from hearings.services.scheduling import Scheduling  # noqa: E402
from web.http.throttle import FailureWindow  # noqa: E402


async def main(pairs: int) -> dict[str, float]:
    from zoneinfo import ZoneInfo

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.sqlite3")
        await db.create_all()
        uow = lambda: SqlUnitOfWork(db, b"bench-audit-key-0123456789abcdef")  # noqa: E731
        scheduling = Scheduling(uow, link_lifetime=timedelta(days=7),
                                court_tz=ZoneInfo("Asia/Shanghai"))
        inquiries = Inquiries(uow, FailureWindow(INQUIRY_LIMIT, INQUIRY_WINDOW_SECONDS))
        court = await scheduling.create_court(SYSTEM, CreateCourt("渝北区人民法院", "渝0112"))
        codes: list[str] = []
        for n in range(pairs):
            case = await scheduling.open_case(SYSTEM, OpenCase(
                court.id, "civil", "买卖合同纠纷", number=f"(2026)渝0112民初{n + 1}号"))  # type: ignore[arg-type]
            hearing = await scheduling.schedule_hearing(SYSTEM, ScheduleHearing(
                case.id, "trial", "开庭", datetime.now(UTC) + timedelta(days=3)))  # type: ignore[arg-type]
            party = await scheduling.invite(SYSTEM, InviteParticipant(
                hearing.id, "原告", Role.PLAINTIFF))
            await inquiries.set_digits(SYSTEM, case.id, party.id, phone_last4="5678")
            codes.append((await inquiries.of_case(SYSTEM, case.id))[1].code)
        times: dict[str, list[float]] = {"wrong_code": [], "wrong_digits": []}
        for n, code in enumerate(codes):
            tries = [("wrong_code", new_code(), "5678"), ("wrong_digits", code, "0000")]
            for kind, asked, digits in (tries if n % 2 else tries[::-1]):
                start = time.perf_counter()
                with contextlib.suppress(InquiryRefused):
                    await inquiries.ask(asked, digits)
                times[kind].append((time.perf_counter() - start) * 1000)
        await db.dispose()
    result: dict[str, float] = {}
    for kind, values in times.items():
        result[f"{kind}_p50_ms"] = round(statistics.median(values), 3)
        result[f"{kind}_p95_ms"] = round(statistics.quantiles(values, n=20)[18], 3)
    result["p50_difference_ms"] = round(result["wrong_digits_p50_ms"]
                                        - result["wrong_code_p50_ms"], 3)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=200)
    figures = asyncio.run(main(parser.parse_args().pairs))
    for name, value in figures.items():
        print(f"{name:>24}: {value}")
    print(json.dumps({"bench": "inquiry_timing", **figures}))
