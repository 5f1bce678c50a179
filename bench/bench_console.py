"""The web console's pages on PostgreSQL with 1,000,000 cases: the server's time of each page.

Run: ``python bench/bench_console.py [--cases 1000000] [--requests 7] [--keep]``. Not a test, not in CI.
A fresh database (``LEGALAID_TEST_POSTGRES_URL``, default the local PostgreSQL) is filled as
``bench/bench_reminders.py`` fills it (INSERT … SELECT generate_series: 2,000 lawyers of 200 firms, the
cases, about 5% of them due on 2012-10-15), plus twelve lawyers in the desk pool with October's and
November's rota drawn by the domain, and an admin user. Then a signed-in TestClient (the application in this
process: what is timed is the server's work, with no network) asks each page ``--requests`` times and the
median and the slowest are printed, against the target of 300 ms. Pages that are not installed (a page
still being written) are left out and said so.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).parent))
import bench_reminders  # the loader of the cases, shared

from legalaid import migrate, users
from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.models import Person, utcnow
from legalaid.reminders import load_rules
from legalaid.roster import load_window, rotate, write_rotation
from legalaid.runtime import build_runtime
from web import create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

AS_OF = bench_reminders.AS_OF  # 2012-10-15, a Monday
PASSWORD = "bench password 15d"
TARGET_MS = 300
POOL = 12


def load(settings: Settings, cases: int) -> None:
    rt = build_runtime(settings)
    migrate.upgrade(rt.engine)
    anchors = bench_reminders.due_anchors(load_rules(settings), WorkCalendar.from_settings(settings))
    bench_reminders.generate(rt, cases, 50, anchors)
    with rt.engine.begin() as connection:
        connection.execute(text(f"UPDATE people SET desk_pool = true WHERE code IN "
                                f"({', '.join(repr(f'L{n}') for n in range(1, POOL + 1))})"))  # fmt: skip
    with rt.transaction() as session:
        window = load_window(session, settings, start=date(2012, 10, 1), end=date(2012, 11, 30))
        write_rotation(session, settings, window=window, rotation=rotate(window, today=window.start),
                       replace=False, requested_by=None, today=window.start)  # fmt: skip
        users.add_user(session, code="S1", role="admin", password=PASSWORD, now=utcnow())
    rt.dispose()


def sign_in(client: TestClient) -> None:
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    data = {"username": "S1", "password": PASSWORD, "csrf_token": token.group(1)}
    answer = client.post("/login", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument("--keep", action="store_true")
    arguments = parser.parse_args()
    bench_reminders.KEEP = arguments.keep
    with bench_reminders.database() as url, tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder) / "var", database_url=url)
        started = time.perf_counter()
        load(settings, arguments.cases)
        print(f"{arguments.cases:,} cases loaded in {time.perf_counter() - started:.0f} s")
        rt = build_runtime(settings)
        with rt.sessions() as session:
            case_no = session.scalar(select(text("case_no")).select_from(text("cases")).limit(1).offset(4321))
            lawyer = session.scalar(select(Person.code).where(Person.code == "L7"))
        rt.dispose()
        pages = {
            "Today": f"/?on={AS_OF}",
            "Cases search (a lawyer)": f"/cases?q={lawyer}",
            "Cases search (a number's beginning)": "/cases?q=B12",
            "A case": f"/case?no={case_no}",
            "Roster": "/roster?month=2012-10",
            "Reports": "/reports",
            "Outbox": "/outbox",
            "Jobs": "/jobs",
            "Import": "/import",
        }
        with TestClient(create_app(settings)) as client:
            sign_in(client)
            print(f"{'page':40} {'median ms':>10} {'max ms':>8}  (target {TARGET_MS} ms)")
            for name, path in pages.items():
                first = client.get(path)
                if first.status_code == 404:
                    print(f"{name:40} {'not installed':>10}")
                    continue
                assert first.status_code == 200, (path, first.status_code)
                times = []
                for _ in range(arguments.requests):
                    began = time.perf_counter()
                    client.get(path)
                    times.append((time.perf_counter() - began) * 1000)
                median, worst = statistics.median(times), max(times)
                flag = "" if worst < TARGET_MS else "  SLOW"
                print(f"{name:40} {median:10.0f} {worst:8.0f}{flag}")


if __name__ == "__main__":
    main()
