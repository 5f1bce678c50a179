"""The daily reminder scan on PostgreSQL at 100,000 and 1,000,000 cases, about 5% of them due today.

Run: ``.venv/bin/python bench/bench_reminders.py [--sizes 100000,1000000] [--due-percent 5] [--explain]
[--keep]``.
Not a test. Each size gets a fresh database (on ``LEGALAID_TEST_POSTGRES_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), filled with INSERT … SELECT generate_series:

* ``due``: the due items of today (2012-10-15, a Monday), spread over the rules, each with its anchor on a
  date whose threshold falls today (the calendar decides which);
* ``already sent``: 1% of the cases are due but were sent yesterday (in the ledger), so the scan must
  pass over them;
* ``open``: 10% are open but not due (recent progress, a hearing weeks away);
* the rest are finished cases, every step done, spread over three years.

For each size it prints:

* ``floor``: one ``SELECT count(*)`` of the scan's own due-item query (the same WHERE, indexes, ledger
  anti-join): the least the database can do to find the due set;
* ``scan``: the scan proper: the calendar part, the query, and the due items built in Python;
* ``ratio``: scan / floor (target: within 3×);
* ``run``: the whole daily run: the scan, the people, the ledger rows (insert-if-absent), one rendered
  digest and outbox row per person, the delivery rows, the commit;
* ``again``: the same run a second time (everything sent: it finds nothing);
* ``heap MB``: the Python heap's peak during the whole run (tracemalloc, in a separate rolled-back run);
* ``RSS MB``: the process's resident memory before the run → its peak during it (each size runs in a
  process of its own, so the peak is that size's).

``--explain`` prints which scans the plan of the due-item query uses, and its execution time.

A third line at 1,000,000 cases with the due items of the 100,000 one shows that the scan's time follows
the due items, not the cases.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from legalaid import migrate
from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.reminders import load_rules, run_reminders, select_due
from legalaid.reminders.rules import Rule, pending
from legalaid.runtime import Runtime, build_runtime

T = TypeVar("T")
AS_OF = date(2012, 10, 15)
LOOKBACK = 14
ADMIN_URL = os.environ.get(
    "LEGALAID_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
LAWYERS, FIRMS = 2000, 200

# Due kinds, in turn: (rule, level) and the steps of such a case, in SQL over the series i and its due
# anchor date a. The staff's rules share one turn, so that most items go to lawyers, as in a real center.
_STAFF_TURN = [
    ("review_due", "reminder", {"applied_on": "a"}),
    ("assignment_due", "reminder", {"applied_on": "a - 5", "decided_on": "a", "decision": "'granted'"}),
    ("return_visit_due", "reminder", {**{"applied_on": "a - 90", "decided_on": "a - 88",
     "decision": "'granted'", "assigned_on": "a - 87", "first_contact_on": "a - 86", "ended_on": "a - 20"},
     "closure_submitted_on": "a"}),
    ("urgent_limitation", "reminder", {"applied_on": f"DATE '{AS_OF}' - 1", "limitation_on": "a"}),
]  # fmt: skip
_ASSIGNED = {"decided_on": "a - 3", "decision": "'granted'", "lawyer_id": "lawyer", "applied_on": "a - 5"}
_LAWYER_TURNS = [
    ("first_contact_due", "reminder", {**_ASSIGNED, "assigned_on": "a"}),
    ("progress_stale", "reminder", {**_ASSIGNED, "assigned_on": "a - 40", "first_contact_on": "a - 39",
     "last_progress_on": "a", "applied_on": "a - 45", "decided_on": "a - 43"}),
    ("hearing_soon", "reminder", {**_ASSIGNED, "assigned_on": f"DATE '{AS_OF}' - 20",
     "first_contact_on": f"DATE '{AS_OF}' - 19", "last_progress_on": f"DATE '{AS_OF}' - 2",
     "next_hearing_on": "a", "applied_on": f"DATE '{AS_OF}' - 25", "decided_on": f"DATE '{AS_OF}' - 23"}),
    ("closure_due", "reminder", {**_ASSIGNED, "assigned_on": "a - 80", "first_contact_on": "a - 79",
     "ended_on": "a", "applied_on": "a - 85", "decided_on": "a - 83"}),
]  # fmt: skip
_FINISHED = {
    "applied_on": "b", "decided_on": "b + 2", "decision": "'granted'", "assigned_on": "b + 3",
    "lawyer_id": "lawyer", "first_contact_on": "b + 5", "last_progress_on": "b + 20",
    "next_hearing_on": "b + 30", "ended_on": "b + 60", "closure_submitted_on": "b + 70",
    "return_visit_on": "b + 80",
}  # fmt: skip
_OPEN = {
    "applied_on": f"DATE '{AS_OF}' - 60 - i % 200", "decided_on": f"DATE '{AS_OF}' - 58 - i % 200",
    "decision": "'granted'", "assigned_on": f"DATE '{AS_OF}' - 57 - i % 200", "lawyer_id": "lawyer",
    "first_contact_on": f"DATE '{AS_OF}' - 56 - i % 200", "last_progress_on": f"DATE '{AS_OF}' - i % 20",
    "next_hearing_on": f"DATE '{AS_OF}' + 10 + i % 60",
}  # fmt: skip


def due_anchors(rules: dict[str, Rule], calendar: WorkCalendar) -> dict[tuple[str, str], list[date]]:
    """For each rule and level: the anchor dates whose due threshold falls exactly today."""
    found: dict[tuple[str, str], list[date]] = {}
    for rule in rules.values():
        for level in ("reminder", "escalation"):
            due = pending(rule, level, calendar, as_of=AS_OF, lookback_days=LOOKBACK)
            found[(rule.id, level)] = sorted(
                anchor
                for anchor, item in due.items()
                if rule.send_day(item.deadline + timedelta(days=item.threshold), calendar) == AS_OF
            )
    return found


def _insert_cases(
    connection: Any, *, first: int, last: int, where: str, columns: dict[str, str], anchors: list[date]
) -> None:
    names = ", ".join(columns)
    values = ", ".join(columns.values())
    connection.execute(
        text(
            f"""
            INSERT INTO cases (case_no, case_type, applicant, created_at, updated_at, {names})
            SELECT 'B' || i, 'civil', (ARRAY['王小明', '李四', '张三丰', '欧阳小红'])[1 + i % 4],
                   now(), now(), {values}
            FROM (
                SELECT i,
                       (:anchors)::date[] AS anchors,
                       DATE '2009-06-01' + (i::bigint * 7919 % 1000)::integer AS b,
                       (SELECT id FROM people
                        WHERE code = 'L' || (1 + abs(hashint4(i)) % {LAWYERS})) AS lawyer
                FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS i
                WHERE {where}
            ) AS g,
            LATERAL (SELECT anchors[1 + (i / 1000) % greatest(cardinality(anchors), 1)] AS a) AS pick
            """
        ),
        {"anchors": anchors or [AS_OF], "first": first, "last": last},
    )


def generate(rt: Runtime, cases: int, due_per_mille: int, anchors: dict[tuple[str, str], list[date]]) -> None:
    """People and ``cases`` cases, ``due_per_mille`` of each 1000 due today (see the module)."""
    with rt.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO firms (code, name, kind, director_code, accepts_applications, updated_at) "
                "SELECT 'F' || n, '律师事务所' || n, 'law_firm', 'L' || n, false, now() "
                "FROM generate_series(1, :firms) AS n"
            ),
            {"firms": FIRMS},
        )
        connection.execute(
            text(
                "INSERT INTO people (code, name, email, role, firm_id, desk_pool, active, updated_at) "
                "SELECT 'L' || n, '律师' || n, 'l' || n || '@firm.example.cn', 'lawyer', "
                "(SELECT id FROM firms WHERE code = 'F' || (1 + (n - 1) % :firms)), false, true, now() "
                "FROM generate_series(1, :lawyers) AS n"
            ),
            {"firms": FIRMS, "lawyers": LAWYERS},
        )
        connection.execute(
            text(
                "INSERT INTO people (code, name, email, role, desk_pool, active, updated_at) VALUES "
                "('S1', '陈科员', 's1@center.example.cn', 'staff', false, true, now()), "
                "('S2', '林科员', 's2@center.example.cn', 'staff', false, true, now()), "
                "('H1', '周主任', 'h1@center.example.cn', 'leader', false, true, now())"
            )
        )
        k = "(i % 1000)"
        for turn, (rule, level, columns) in enumerate(_LAWYER_TURNS, start=1):
            where = f"{k} < {due_per_mille} AND {k} % 5 = {turn}"
            _insert_cases(connection, first=1, last=cases, where=where, columns=columns,
                          anchors=anchors[(rule, level)])  # fmt: skip
        for sub, (rule, level, columns) in enumerate(_STAFF_TURN):
            where = f"{k} < {due_per_mille} AND {k} % 5 = 0 AND (i / 1000) % 4 = {sub}"
            _insert_cases(connection, first=1, last=cases, where=where, columns=columns,
                          anchors=anchors[(rule, level)])  # fmt: skip
        stale = _LAWYER_TURNS[1][2]
        _insert_cases(connection, first=1, last=cases,
                      where=f"{k} >= {due_per_mille} AND {k} < {due_per_mille + 10}",
                      columns=stale, anchors=anchors[("progress_stale", "reminder")])  # fmt: skip
        _insert_cases(connection, first=1, last=cases,
                      where=f"{k} >= {due_per_mille + 10} AND {k} < {due_per_mille + 110}",
                      columns=_OPEN, anchors=[])  # fmt: skip
        _insert_cases(connection, first=1, last=cases, where=f"{k} >= {due_per_mille + 110}",
                      columns=_FINISHED, anchors=[])  # fmt: skip
        # Yesterday's scan sent the "already sent" ones: their ledger rows.
        connection.execute(
            text(
                f"""
                INSERT INTO reminders_sent (case_id, rule, anchor, threshold, level, status, deadline, as_of,
                                            created_at)
                SELECT id, 'progress_stale', last_progress_on, 0, 'reminder', 'sent', DATE '{AS_OF}',
                       DATE '{AS_OF}' - 1, now()
                FROM cases
                WHERE substr(case_no, 2)::bigint % 1000 >= {due_per_mille}
                  AND substr(case_no, 2)::bigint % 1000 < {due_per_mille + 10}
                """
            )
        )
    with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


@contextmanager
def database() -> Iterator[str]:
    admin = create_engine(make_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    name = f"legalaid_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        if not KEEP:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def best_of(runs: int, work: Callable[[], T]) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


@dataclass
class Figures:
    cases: int
    due_items: int
    floor: float
    scan: float
    run: float
    again: float
    digests: int
    heap_mb: float
    rss_before_mb: float
    rss_peak_mb: float


def _rss_now_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(cases: int, due_per_mille: int, folder: Path) -> Figures:
    with database() as url:
        rt = build_runtime(Settings(data_dir=folder, database_url=url, mail_from="center@example.org"))
        try:
            migrate.upgrade(rt.engine)
            calendar = WorkCalendar()
            rules = load_rules(rt.settings)
            started = time.perf_counter()
            generate(rt, cases, due_per_mille, due_anchors(rules, calendar))
            print(f"  generated {cases:,} cases in {time.perf_counter() - started:.1f} s", flush=True)
            selection = select_due(list(rules.values()), calendar, as_of=AS_OF, lookback_days=LOOKBACK)

            def floor() -> int:
                with rt.engine.connect() as connection:
                    return int(connection.execute(selection.count_statement()).scalar_one())

            def scan() -> int:
                with rt.transaction() as session:
                    fresh = select_due(list(rules.values()), calendar, as_of=AS_OF, lookback_days=LOOKBACK)
                    return len(fresh.items(session))

            floor_time, due = best_of(5, floor)
            scan_time, found = best_of(5, scan)
            assert found == due, (found, due)

            def rolled_back_run() -> None:
                with rt.sessions() as session, session.begin():
                    run_reminders(session, rt.settings, as_of=AS_OF, calendar=calendar, rules=rules)
                    session.rollback()

            # The whole run, rolled back: the process's peak RSS; again under tracemalloc: the heap's peak.
            # Then the run for real, timed, and once more (everything sent: nothing to do).
            rss_before = _rss_now_mb()
            rolled_back_run()
            rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            tracemalloc.start()
            rolled_back_run()
            heap = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            started = time.perf_counter()
            with rt.transaction() as session:
                report = run_reminders(session, rt.settings, as_of=AS_OF, calendar=calendar, rules=rules)
            run_time = time.perf_counter() - started
            started = time.perf_counter()
            with rt.transaction() as session:
                second = run_reminders(session, rt.settings, as_of=AS_OF, calendar=calendar, rules=rules)
            again = time.perf_counter() - started
            assert second.rows == [], "a second run found something"
            if EXPLAIN:
                explain(rt, selection)
            return Figures(
                cases,
                due,
                floor_time,
                scan_time,
                run_time,
                again,
                len(report.outbox_ids),
                heap,
                rss_before,
                rss_peak,
            )
        finally:
            rt.dispose()


def explain(rt: Runtime, selection: Any) -> None:
    compiled = selection.statement.compile(rt.engine, compile_kwargs={"literal_binds": True})
    with rt.engine.connect() as connection:
        plan = connection.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")).scalars().all()
    used: dict[str, int] = {}
    for line in plan:
        match = _SCAN.search(line)
        if match:
            index = match["index"] or (match["table"] if match["kind"] == "Bitmap Index Scan" else None)
            node = f"{match['kind']} {'on ' + index if index else 'of ' + match['table']}"
            used[node] = used.get(node, 0) + 1
    for node, count in sorted(used.items()):
        print(f"    {count:3d} × {node}")
    print(f"    {plan[-1].strip()}")


_SCAN = re.compile(
    r"(?P<kind>Index Only Scan|Bitmap Index Scan|Index Scan|Seq Scan)(?: using (?P<index>\w+))?"
    r"(?: on (?P<table>\w+))?"
)
KEEP = False
EXPLAIN = False


def main() -> None:
    global KEEP, EXPLAIN
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--due-percent", type=float, default=5.0)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--explain", action="store_true", help="print the plan's scans at each size")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # CASES,PER_MILLE: one size, in this process
    args = parser.parse_args()
    KEEP, EXPLAIN = args.keep, args.explain
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / "legalaid-bench-reminders"
    if args.one:
        cases, due_pm = (int(part) for part in args.one.split(","))
        print(json.dumps(asdict(measure(cases, due_pm, folder))), flush=True)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    per_mille = round(args.due_percent * 10)
    runs = [(size, per_mille) for size in sizes]
    if len(sizes) > 1:
        # The largest size with the smallest size's number of due items: time follows the due items.
        runs.append((max(sizes), max(1, round(per_mille * min(sizes) / max(sizes)))))
    results = []
    for cases, due_pm in runs:
        print(f"{cases:,} cases, {due_pm / 10:g}% due …", flush=True)
        # Each size in a process of its own, so that its peak memory is its own.
        command = [sys.executable, __file__, "--one", f"{cases},{due_pm}"]
        command += ["--keep"] * KEEP + ["--explain"] * EXPLAIN
        output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
        lines = output.strip().splitlines()
        print("\n".join(lines[:-1]), flush=True)
        results.append(Figures(**json.loads(lines[-1])))
    print(
        f"{'cases':>10} {'due items':>10} {'floor':>9} {'scan':>9} {'ratio':>6} {'run':>8} {'again':>8} "
        f"{'digests':>8} {'heap MB':>8} {'RSS MB':>12}"
    )
    for f in results:
        print(
            f"{f.cases:>10,} {f.due_items:>10,} {f.floor * 1000:>7.0f}ms {f.scan * 1000:>7.0f}ms "
            f"{f.scan / f.floor:>5.1f}× {f.run:>7.2f}s {f.again * 1000:>6.0f}ms {f.digests:>8,} "
            f"{f.heap_mb:>8.1f} {f.rss_before_mb:>5.0f}→{f.rss_peak_mb:<5.0f}"
        )


if __name__ == "__main__":
    main()
