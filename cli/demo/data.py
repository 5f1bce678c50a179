"""The sample center of ``legalaid demo``: a deterministic generator of plain rows, one list per import kind.

It is modelled on the seed report (``domain/work-report-2012.zh.txt``): three law firms and three legal
service offices, all application points; the center's four staff and two leaders; lawyers and legal
workers, twelve of them taking turns at the labor arbitration desk. Two statistical years (1 November to
31 October) carry the report's figures exactly: 147 then 165 cases; 125 civil cases in the second year, 111
of them for migrant workers, and 40 criminal; 1,912 contacts of the 148 hotline; 482 answers, 23 mediations
and 47 conversions at the arbitration desk. Names, dates and matters come from a seeded ``random.Random``:
the same seed and demo date give the same rows on every machine.

Rows are plain dicts keyed by the import columns' English names, with the English vocabulary (``civil``,
``migrant_worker``) and ``date``/``bool``/``list`` values; the files the demo writes translate them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from cli.demo._calendar import StatisticalYear, WorkingDay, month_before, statistical_years, working_days
from cli.demo._cases import SCENARIOS, CaseMaker, YearPlan
from cli.demo._consultations import consultation_rows
from cli.demo._people import CENTER_HEAD, STAFF, Absence, Names, Row, desk_duty, firm_rows, people_rows
from legalaid.calendar import WorkCalendar

__all__ = [
    "CENTER_HEAD",
    "CURRENT_YEAR",
    "DEFAULT_AS_OF",
    "KINDS",
    "PREVIOUS_YEAR",
    "SCENARIOS",
    "SEED",
    "STAFF",
    "DemoData",
    "Row",
    "StatisticalYear",
    "YearPlan",
    "generate",
    "statistical_years",
]

# The day after the seed's statistical year 2011-11-01 … 2012-10-31 closed ("截止10月底"): both years are
# complete, the annual report can be made, and the steps of late October are the ones still open. Real
# today would leave every step of 2012 a decade overdue.
DEFAULT_AS_OF = date(2012, 11, 1)
SEED = 2012

# The seed report gives the current year's figures and, by its growth rates, last year's: 165 cases, up
# 12.24% from 147; 125 civil, up 42.05% from 88; so 59 criminal last year. Last year's migrant workers and
# hotline contacts are not in the report: 64 and 1,540 are made up ("与去年相比也有较大幅度增长"). The
# desk opened this year; 482 + 23 + 47 + 64 referred make its "600多人次".
PREVIOUS_YEAR = YearPlan(
    civil=88, criminal=59, civil_migrant=64, desk_cases=0,
    hotline_148=1540, visits=301, desk_answered=0, desk_mediated=0, desk_referred=0,
)  # fmt: skip
CURRENT_YEAR = YearPlan(
    civil=125, criminal=40, civil_migrant=111, desk_cases=47,
    hotline_148=1912, visits=356, desk_answered=482, desk_mediated=23, desk_referred=64,
)  # fmt: skip
COLLECTIVE_CLAIMS = (26, 8)  # "鼓楼浴室数十人的劳务纠纷案": wage claims of whole groups of workers

KINDS = ("firms", "people", "cases", "consultations", "roster", "leave")  # the order they are imported in


@dataclass(frozen=True)
class DemoData:
    """The sample center as rows per import kind, with the years and plans they were made to."""

    as_of: date
    years: tuple[StatisticalYear, StatisticalYear]  # (previous, current)
    plans: tuple[YearPlan, YearPlan]
    tables: dict[str, list[Row]]  # import kind (KINDS) → its rows
    scenarios: dict[str, str]  # deliberate late or open steps (SCENARIOS) → the case number showing it

    def rows(self, kind: str) -> list[Row]:
        """The rows of one import kind (``firms``, ``people``, ``cases``, …)."""
        return self.tables[kind]


def generate(
    as_of: date = DEFAULT_AS_OF, *, seed: int = SEED, working_day: WorkingDay | None = None
) -> DemoData:
    """The sample center as of ``as_of``: the two statistical years that ended before it, and the desk
    roster of the month before it. Working days are China's (``legalaid.calendar``) unless given."""
    working_day = working_day or WorkCalendar().is_working_day
    rng = random.Random(seed)
    names = Names(rng)
    previous, current = statistical_years(as_of)
    people = people_rows(rng, names)
    firms = firm_rows(people)
    pool = [str(p["code"]) for p in people if p["desk_pool"]]

    roster_days = working_days(month_before(as_of), as_of - timedelta(days=1), working_day)
    absences = _absences(as_of, roster_days, pool)
    away: list[Absence] = [(person, first, last) for person, first, last, _reason in absences]
    leave: list[Row] = [
        {"person": person, "start": first, "end": last, "reason": reason}
        for person, first, last, reason in absences
    ]
    desk_days = sorted(set(working_days(current.start, current.end, working_day)) | set(roster_days))
    duty = desk_duty(desk_days, pool, away)

    maker = CaseMaker(rng, names, as_of=as_of, working_day=working_day, people=people, duty=duty)
    maker.add_year(previous, PREVIOUS_YEAR)
    maker.add_year(current, CURRENT_YEAR)
    maker.add_collective_claims(current, COLLECTIVE_CLAIMS)
    maker.add_scenarios(current)
    cases, scenarios = maker.rows()

    conversions = [
        (day, str(row["matter"]))
        for row in cases
        if row["intake"] == "arbitration_desk" and isinstance(day := row["applied_on"], date)
    ]
    consultations = consultation_rows(
        rng, year=previous, plan=PREVIOUS_YEAR, working_day=working_day, duty=duty, conversions=()
    ) + consultation_rows(
        rng, year=current, plan=CURRENT_YEAR, working_day=working_day, duty=duty, conversions=conversions
    )
    roster: list[Row] = [{"date": day, "slot": "day", "person": duty[day]} for day in roster_days]
    tables = dict(zip(KINDS, (firms, people, cases, consultations, roster, leave), strict=True))
    return DemoData(as_of, (previous, current), (PREVIOUS_YEAR, CURRENT_YEAR), tables, scenarios)


def _absences(as_of: date, roster_days: list[date], pool: list[str]) -> list[tuple[str, date, date, str]]:
    """Leave the roster must respect: a desk lawyer's training in the roster month, another's annual leave
    starting next week (for the next roster), a staff member off sick around the demo date."""
    absences: list[tuple[str, date, date, str]] = []
    if roster_days:
        start = roster_days[len(roster_days) // 3]
        absences.append((pool[2], start, start + timedelta(days=4), "律师执业培训"))
    absences.append((pool[5], as_of + timedelta(days=4), as_of + timedelta(days=10), "年休假"))
    absences.append((STAFF[2], as_of - timedelta(days=2), as_of + timedelta(days=1), "病假"))
    return absences
