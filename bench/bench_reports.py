"""The annual report's statistics and its Word rendering on PostgreSQL at a country's scale.

Run: ``.venv/bin/python bench/bench_reports.py [--cases 1500000] [--consultations 10000000] [--repeat 3]
[--keep]``. Not a test. A fresh database (on ``LEGALAID_TEST_POSTGRES_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) is filled with INSERT … SELECT generate_series:
2,000 lawyers in 50 firms; the cases spread over two statistical years (1 November to 31 October, so that
every year-on-year figure has a year to compare with), every dated step set as a case goes (most ended,
some with their closure materials late, a few still open), six recipient groups; the consultations over the
same two years in six channels and four outcomes; a desk duty on each working day.

It prints, best of ``--repeat`` runs after one to warm the cache:

* ``floor``: one ``GROUP BY`` over the same rows: cases by type and consultations by channel, over the two
  years the annual report reads (the least the database can do to look at each row once);
* ``statistics``: every figure of the annual report 2012 (``collect_figures``: cases of five years by
  type, recipient groups, matters, consultations, timeliness with the deadline tables, overdue items at the
  year's end from the reminder rules, per firm, the desk roster), and the ratio to the floor (target: 3×);
* ``firm``: the same for one firm's report;
* ``word`` and ``xlsx``: composing the text and rendering the Word document (two charts included) and the
  workbook from those figures (target for the Word document: under 2 s).
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from legalaid import migrate
from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.reminders import load_rules
from legalaid.reports.appendix import render_xlsx
from legalaid.reports.collect import ReportRequest, collect_figures
from legalaid.reports.content import compose
from legalaid.reports.document import render_docx
from legalaid.reports.periods import statistical_year
from legalaid.runtime import build_runtime

T = TypeVar("T")
ADMIN_URL = os.environ.get(
    "LEGALAID_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
YEAR = statistical_year(2012, start_month=11)
FIRST_DAY = YEAR.year_before().start  # 2010-11-01
DAYS = (YEAR.end - FIRST_DAY).days + 1  # two statistical years
AS_OF = date(2012, 11, 14)  # the annual report's publication day


@contextmanager
def scratch_database(keep: bool) -> Iterator[str]:
    admin = create_engine(make_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    name = f"legalaid_bench_reports_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def timed(what: str, action: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = action()
    print(f"  {what:<44} {time.perf_counter() - started:8.2f} s", flush=True)
    return result


def fill(engine: Engine, *, cases: int, consultations: int) -> None:
    """The center's firms and people, the cases with their groups, the consultations and the roster."""
    statements = {
        "firms": """
            INSERT INTO firms (code, name, kind, director_code, accepts_applications, updated_at)
            SELECT 'F' || f, '第' || f || '律师事务所', 'law_firm', 'L' || f, true, now()
            FROM generate_series(1, 50) f""",
        "people": """
            INSERT INTO people (code, name, email, firm_id, role, desk_pool, active, updated_at)
            SELECT 'L' || p, '律师' || p, 'l' || p || '@example.cn',
                   (SELECT min(id) FROM firms) + p % 50, 'lawyer', p <= 24, true, now()
            FROM generate_series(1, 2000) p
            UNION ALL SELECT 'LD1', '主任', 'ld1@example.cn', NULL, 'leader', false, true, now()""",
        f"{cases:,} cases": f"""
            INSERT INTO cases (case_no, case_type, matter, applicant, intake, applied_on, decided_on,
                               decision, assigned_on, lawyer_id, first_contact_on, last_progress_on, ended_on,
                               closure_submitted_on, return_visit_on, created_at, updated_at)
            SELECT 'B' || g,
                   (ARRAY['civil','civil','civil','criminal','administrative'])[1 + g % 5],
                   (ARRAY['追索劳动报酬','工伤赔偿','婚姻家庭','交通事故','劳动合同纠纷','盗窃',
                          '故意伤害'])[1 + g % 7],
                   '受援人' || g, 'center', d,
                   CASE WHEN g % 100 <> 0 THEN d + 1 + g % 7 END,
                   CASE WHEN g % 100 <> 0 THEN 'granted' END,
                   CASE WHEN g % 100 <> 0 THEN d + 2 + g % 9 END,
                   CASE WHEN g % 100 <> 0 THEN lawyer END,
                   CASE WHEN g % 100 <> 0 THEN d + 6 + g % 5 END,
                   CASE WHEN g % 100 <> 0 THEN d + 40 END,
                   CASE WHEN g % 10 < 8 THEN d + 60 + g % 90 END,
                   CASE WHEN g % 10 < 7 THEN d + 70 + g % 90 + g % 40 END,
                   CASE WHEN g % 10 < 5 THEN d + 100 + g % 90 END,
                   now(), now()
            FROM (SELECT g, date '{FIRST_DAY}' + ((g::bigint * 7919) % {DAYS})::int AS d,
                         (SELECT min(id) FROM people) + g % 2000 AS lawyer
                  FROM generate_series(1, {cases}) g) s""",
        "case groups": """
            INSERT INTO case_groups (case_id, group_name)
            SELECT id, 'migrant_worker' FROM cases WHERE id % 10 < 6
            UNION ALL SELECT id, 'women' FROM cases WHERE id % 10 IN (6, 7)
            UNION ALL SELECT id, 'disabled' FROM cases WHERE id % 23 = 0
            UNION ALL SELECT id, 'minor' FROM cases WHERE id % 29 = 0
            UNION ALL SELECT id, 'elderly' FROM cases WHERE id % 31 = 0
            UNION ALL SELECT id, 'military' FROM cases WHERE id % 37 = 0""",
        f"{consultations:,} consultations": f"""
            INSERT INTO consultations ("on", channel, outcome, count)
            SELECT date '{FIRST_DAY}' + ((g::bigint * 7919) % {DAYS})::int,
                   (ARRAY['hotline_148','hotline_12348','visit','arbitration_desk','workstation','online'])
                       [1 + g % 6],
                   (ARRAY['answered','answered','answered','mediated','converted','referred'])
                       [1 + (g / 7) % 6],
                   1 + g % 3
            FROM generate_series(1, {consultations}) g""",
        "desk roster": f"""
            INSERT INTO duty_shifts ("on", slot, person_id, source, created_at)
            SELECT d, 'day', (SELECT min(id) FROM people) + n % 24, 'import', now()
            FROM (SELECT date '{YEAR.start}' + n AS d, n FROM generate_series(0, 365) n) s
            WHERE extract(isodow FROM d) < 6""",
    }
    with engine.begin() as connection:
        for what, statement in statements.items():
            timed(f"insert {what}", lambda s=statement: connection.execute(text(s)))  # type: ignore[misc]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        timed("vacuum analyze", lambda: connection.execute(text("VACUUM ANALYZE")))


def best(repeat: int, action: Callable[[], T]) -> tuple[float, T]:
    action()  # warm the cache and the calendar
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    assert result is not None
    return min(times), result


def timed_parts(rt: Any, settings: Settings, calendar: WorkCalendar, rules: Any) -> dict[str, float]:
    """Each aggregate of the annual report on its own (best of two), to see where the time goes."""
    from legalaid.reports import statistics as s
    from legalaid.reports.timeliness import timeliness

    parts: dict[str, Callable[[Any], Any]] = {
        "cases by type, five years": lambda session: s.case_counts(session, [*YEAR.last(5)]),
        "recipient groups": lambda session: s.recipient_groups(session, YEAR),
        "matters": lambda session: s.matters(session, YEAR),
        "consultations": lambda session: s.consultations(session, YEAR, YEAR.year_before()),
        "timeliness and overdue items": lambda session: timeliness(
            session, YEAR, rules, calendar, as_of=AS_OF
        ),
        "per firm": lambda session: s.firm_figures(session, YEAR),
        "desk roster": lambda session: s.roster_figures(
            session, YEAR, calendar=calendar, weekdays=[], as_of=AS_OF
        ),
    }
    result = {}
    for name, part in parts.items():

        def run(part: Callable[[Any], Any] = part) -> Any:
            with rt.sessions() as session:
                return part(session) or True

        result[name] = best(2, run)[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=1_500_000)
    parser.add_argument("--consultations", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    print(f"annual report 2012 over {args.cases:,} cases and {args.consultations:,} consultation rows")
    with scratch_database(args.keep) as url:
        settings = Settings(database_url=url, report_year_start_month=11)
        rt = build_runtime(settings)
        try:
            migrate.upgrade(rt.engine)
            fill(rt.engine, cases=args.cases, consultations=args.consultations)
            span = f"BETWEEN '{FIRST_DAY}' AND '{YEAR.end}'"
            floor_sql = [
                f"SELECT case_type, count(*) FROM cases WHERE applied_on {span} GROUP BY case_type",
                f'SELECT channel, sum(count) FROM consultations WHERE "on" {span} GROUP BY channel',
            ]

            def floor() -> list[Any]:
                with rt.engine.connect() as connection:
                    return [connection.execute(text(q)).all() for q in floor_sql]

            calendar, rules = WorkCalendar(), load_rules(settings)

            def statistics(firm: str | None = None) -> Any:
                request = ReportRequest("firm", YEAR, firm) if firm else ReportRequest("annual", YEAR)
                with rt.sessions() as session:
                    return collect_figures(
                        session, settings, request, as_of=AS_OF, calendar=calendar, rules=rules
                    )

            floor_time, _ = best(args.repeat, floor)
            stats_time, figures = best(args.repeat, statistics)
            firm_time, _ = best(args.repeat, lambda: statistics("F7"))
            parts = timed_parts(rt, settings, calendar, rules)
            content = compose(figures, locale="zh_CN", center_name="XX区法律援助中心")
            stamp = datetime(2012, 11, 14)
            word_time, document = best(
                args.repeat,
                lambda: render_docx(
                    compose(figures, locale="zh_CN", center_name="XX区法律援助中心"),
                    author="bench",
                    as_of_time=stamp,
                ),
            )
            xlsx_time, _ = best(args.repeat, lambda: render_xlsx(content, stamp=stamp))
        finally:
            rt.dispose()
    current = figures.current
    print(f"  cases 2012: {current.total:,} ({current.civil:,} civil), 2011: {figures.before.total:,}")
    print(f"  floor (GROUP BY cases, consultations)         {floor_time:8.2f} s")
    ratio = stats_time / floor_time
    print(f"  statistics (annual report)                    {stats_time:8.2f} s   {ratio:.2f}× floor")
    for name, seconds in parts.items():
        print(f"    {name:<42}  {seconds:8.2f} s")
    print(f"  statistics (one firm's report)                {firm_time:8.2f} s")
    print(
        f"  word (compose, two charts, render)            {word_time:8.2f} s   {len(document) / 1024:.0f} KiB"
    )
    print(f"  xlsx                                          {xlsx_time:8.2f} s")


if __name__ == "__main__":
    main()
