"""The demo's cases: two statistical years with the seed report's counts, every dated step realistic.

Each case gets a natural timeline (decided within 1–7 days, assigned within 0–3, first contact, progress,
hearings, the end, closure materials, the return visit), cut at the demo date: a step that would fall
after it has not happened yet. A few cases of the current year are then rewritten into deliberate
situations near the demo date (a late review, an unassigned grant, a hearing tomorrow, missing closure
materials …), so that reminders have something to find; ``SCENARIOS`` names them.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from cli.demo._calendar import StatisticalYear, WorkingDay, working_days
from cli.demo._people import FIRMS, Names, Row
from legalaid.steps import STEPS

# Weighted matters (案由), as the seed report lists them for migrant workers and as a district sees them.
_MIGRANT_MATTERS = {
    "追索劳动报酬": 40, "工伤赔偿": 20, "交通事故": 14, "劳动合同纠纷": 12, "婚姻家庭": 5,
    "人身损害赔偿": 5, "确认劳动关系": 4,
}  # fmt: skip
_DESK_MATTERS = {"追索劳动报酬": 45, "劳动合同纠纷": 25, "工伤赔偿": 20, "确认劳动关系": 10}
_LOCAL_MATTERS = {
    "婚姻家庭": 25, "赡养费纠纷": 15, "抚养费纠纷": 15, "交通事故": 15, "追索劳动报酬": 12,
    "人身损害赔偿": 10, "医疗纠纷": 8,
}  # fmt: skip
_CRIMINAL_MATTERS = {
    "盗窃": 30, "故意伤害": 24, "抢劫": 12, "诈骗": 8, "交通肇事": 8, "寻衅滋事": 8, "贩卖毒品": 5,
    "聚众斗殴": 5,
}  # fmt: skip
LABOR_MATTERS = frozenset({"追索劳动报酬", "劳动合同纠纷", "工伤赔偿", "确认劳动关系"})

# The steps after the application, in the order the import checks (``legalaid.steps.STEPS``);
# next_hearing_on and limitation_on are set apart.
_STEPS = STEPS[1:]
_LOOSE_STEPS = ("last_progress_on", "next_hearing_on", "limitation_on")

# Deliberate situations near the demo date: step → days from the demo date (to the nearest working day on
# that side); a step left out is open. Gaps are generous, so each one is late under any sensible rule.
SCENARIOS: dict[str, tuple[str, dict[str, int]]] = {
    # No decision 9 days after the application (review within 7 days).
    "review_overdue": ("civil", {"applied_on": -9}),
    # Granted 6 days ago, no lawyer yet (assign within 3 days of the decision).
    "assignment_overdue": ("civil", {"applied_on": -10, "decided_on": -6}),
    # Assigned 12 days ago, the lawyer has not contacted the applicant.
    "no_first_contact": ("civil", {"applied_on": -17, "decided_on": -14, "assigned_on": -12}),
    # Open for four months, nothing recorded for 70 days.
    "stale_progress": ("civil", {"applied_on": -120, "decided_on": -116, "assigned_on": -114,
                                 "first_contact_on": -111, "last_progress_on": -70}),
    # Hearings on the next working days.
    "hearing_soon": ("civil", {"applied_on": -75, "decided_on": -71, "assigned_on": -70,
                               "first_contact_on": -68, "last_progress_on": -12, "next_hearing_on": 1}),
    "hearing_soon_criminal": ("criminal", {"applied_on": -40, "decided_on": -39, "assigned_on": -38,
                                           "first_contact_on": -36, "last_progress_on": -9,
                                           "next_hearing_on": 3}),
    # The hearing was five days ago and nothing has been recorded since.
    "hearing_passed": ("civil", {"applied_on": -95, "decided_on": -92, "assigned_on": -91,
                                 "first_contact_on": -89, "last_progress_on": -21, "next_hearing_on": -5}),
    # The limitation period runs out in five days.
    "limitation_soon": ("civil", {"applied_on": -35, "decided_on": -32, "assigned_on": -31,
                                  "first_contact_on": -29, "last_progress_on": -8, "limitation_on": 5}),
    # Ended 45 days ago, closure materials not handed in.
    "closure_overdue": ("civil", {"applied_on": -160, "decided_on": -156, "assigned_on": -155,
                                  "first_contact_on": -152, "last_progress_on": -45, "ended_on": -45}),
    # Closure materials in 25 days ago, no return visit yet.
    "return_visit_due": ("civil", {"applied_on": -170, "decided_on": -166, "assigned_on": -165,
                                   "first_contact_on": -163, "last_progress_on": -62, "ended_on": -62,
                                   "closure_submitted_on": -25}),
}  # fmt: skip


@dataclass(frozen=True)
class YearPlan:
    """What one statistical year must add up to; everything else about it is drawn at random."""

    civil: int
    criminal: int
    civil_migrant: int  # civil cases whose applicant is a migrant worker (农民工 / 外来务工人员)
    desk_cases: int  # civil cases converted at the arbitration desk (转为法律援助案件)
    hotline_148: int  # contacts of the 148 hotline
    visits: int
    desk_answered: int
    desk_mediated: int
    desk_referred: int


@dataclass
class _Case:
    year: StatisticalYear
    case_type: str
    matter: str
    applicant: str
    groups: list[str]
    intake: str
    applied_on: date
    order: int
    steps: dict[str, date | None] = field(default_factory=dict)
    lawyer: str | None = None
    scenario: str | None = None


def _weighted(rng: random.Random, table: Mapping[str, int]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


class CaseMaker:
    """Builds the cases of the demo; one instance per generation, sharing its random generator."""

    def __init__(
        self,
        rng: random.Random,
        names: Names,
        *,
        as_of: date,
        working_day: WorkingDay,
        people: Sequence[Row],
        duty: Mapping[date, str],
    ) -> None:
        self.rng, self.names, self.as_of, self.working_day, self.duty = rng, names, as_of, working_day, duty
        self.people = people
        self.cases: list[_Case] = []

    # The two years ---------------------------------------------------------------------------------------

    def add_year(self, year: StatisticalYear, plan: YearPlan) -> None:
        """The year's cases: exactly ``plan.civil`` civil (``civil_migrant`` of migrant workers,
        ``desk_cases`` from the arbitration desk) and ``plan.criminal`` criminal."""
        days = working_days(year.start, year.end, self.working_day)
        # Wage claims crowd in before the Spring Festival (讨薪), when migrant workers want to go home.
        labor_weights = [{12: 1.8, 1: 1.8, 2: 1.3}.get(day.month, 1.0) for day in days]
        desk_local = plan.desk_cases // 15
        desk_migrant = plan.desk_cases - desk_local
        profiles = (
            [(True, True)] * desk_migrant
            + [(False, True)] * desk_local
            + [(True, False)] * (plan.civil_migrant - desk_migrant)
            + [(False, False)] * (plan.civil - plan.desk_cases - plan.civil_migrant + desk_migrant)
        )
        for migrant, desk in profiles:
            matters = _DESK_MATTERS if desk else _MIGRANT_MATTERS if migrant else _LOCAL_MATTERS
            matter = _weighted(self.rng, matters)
            weights = labor_weights if matter in LABOR_MATTERS else None
            applied = self.rng.choices(days, weights=weights)[0]
            self._add(year, "civil", matter, applied, *self._civil_groups(matter, migrant, desk))
        for _ in range(plan.criminal):
            matter = _weighted(self.rng, _CRIMINAL_MATTERS)
            self._add(year, "criminal", matter, self.rng.choice(days), *self._criminal_groups())

    def add_collective_claims(self, year: StatisticalYear, sizes: Sequence[int]) -> None:
        """Turn a few wage claims of ``year`` into claims of a whole group of workers (王某等23人), like
        the seed report's bathhouse case of dozens of workers."""
        claims = [c for c in self.cases if c.year is year and c.matter == "追索劳动报酬"]
        for case, size in zip(self.rng.sample(claims, len(sizes)), sizes, strict=True):
            case.applicant = f"{case.applicant}等{size}人"

    def _civil_groups(self, matter: str, migrant: bool, desk: bool) -> tuple[list[str], str, bool]:
        """The applicant's groups, the intake and whether the applicant is a woman."""
        rng = self.rng
        female = matter == "婚姻家庭" or rng.random() < 0.3
        groups = ["migrant_worker"] if migrant else []
        if matter == "婚姻家庭":
            groups.append("women")
        elif matter == "工伤赔偿" and rng.random() < 0.25:
            groups.append("disabled")  # a work injury that left a disability
        elif not migrant:
            extra = {"赡养费纠纷": "elderly", "抚养费纠纷": "minor", "人身损害赔偿": "disabled"}.get(matter)
            if extra is None and matter in {"交通事故", "追索劳动报酬", "医疗纠纷"} and rng.random() < 0.4:
                extra = "military"  # 军人军属, through the fire brigade's workstation
            if extra is not None:
                groups.append(extra)
        if desk:
            intake = "arbitration_desk"
        elif "military" in groups or ("minor" in groups and rng.random() < 0.5):
            intake = "workstation"  # the military workstation and the minors' rights station
        elif rng.random() < 0.35:
            intake = rng.choice(FIRMS).code  # every firm is an application point (受理点)
        else:
            intake = "center"
        return groups, intake, female

    def _criminal_groups(self) -> tuple[list[str], str, bool]:
        draw = self.rng.random()
        if draw < 0.18:
            groups = ["minor"]  # a minor defendant always gets a defender
        elif draw < 0.55:
            groups = ["migrant_worker"]
        elif draw < 0.6:
            groups = ["disabled"]
        else:
            groups = []
        # Criminal cases come as notices from the court, procuratorate or police, to the center.
        return groups, "center", self.rng.random() < 0.12

    def _add(
        self, year: StatisticalYear, case_type: str, matter: str, applied: date,
        groups: list[str], intake: str, female: bool,
    ) -> None:  # fmt: skip
        applicant, _pinyin = self.names.draw(female=female)
        case = _Case(year, case_type, matter, applicant, groups, intake, applied, order=len(self.cases))
        case.steps = self._natural_steps(case)
        case.lawyer = self._lawyer(case) if case.steps["assigned_on"] else None
        self.cases.append(case)

    # Timelines ------------------------------------------------------------------------------------------

    def _within(self, day: date, first: int, last: int) -> date:
        """A working day ``first`` to ``last`` days after ``day``, early ones likelier; after a holiday week,
        the first working day."""
        candidates = [day + timedelta(days=n) for n in range(first, last + 1)]
        candidates = [d for d in candidates if self.working_day(d)]
        if not candidates:
            return self._working_on_or_after(day + timedelta(days=last + 1))
        return self.rng.choices(candidates, weights=range(len(candidates) + 1, 1, -1))[0]

    def _working_on_or_after(self, day: date) -> date:
        while not self.working_day(day):
            day += timedelta(days=1)
        return day

    def _working_on_or_before(self, day: date) -> date:
        while not self.working_day(day):
            day -= timedelta(days=1)
        return day

    def _natural_steps(self, case: _Case) -> dict[str, date | None]:
        rng, criminal = self.rng, case.case_type == "criminal"
        decided = self._within(case.applied_on, 1, 3 if criminal else 7)
        assigned = self._within(decided, 0, 2 if criminal else 3)
        first_contact = assigned + timedelta(days=rng.randint(1, 3 if criminal else 5))
        if criminal:
            length = rng.randint(20, 100)
        elif case.matter in LABOR_MATTERS:
            length = rng.randint(35, 140)  # labor arbitration
        else:
            length = rng.randint(60, 220)  # a court case
        ended = self._working_on_or_after(assigned + timedelta(days=length))
        closure = ended + timedelta(days=rng.randint(3, 25))
        visit = closure + timedelta(days=rng.randint(5, 30))
        dates = (decided, assigned, first_contact, ended, closure, visit)
        steps: dict[str, date | None] = dict(zip(_STEPS, dates, strict=True))
        # A step after the demo date has not happened yet, nor has any later one.
        for index, name in enumerate(_STEPS):
            if (day := steps[name]) is not None and day > self.as_of:
                steps.update(dict.fromkeys(_STEPS[index:]))
                break
        steps["last_progress_on"] = steps["ended_on"]
        steps["next_hearing_on"] = None
        if steps["first_contact_on"] and not steps["ended_on"]:
            since = (self.as_of - steps["first_contact_on"]).days
            steps["last_progress_on"] = self.as_of - timedelta(days=rng.randint(0, min(since, 30)))
            if rng.random() < 0.5:
                hearing = self.as_of + timedelta(days=rng.randint(2, 40))
                steps["next_hearing_on"] = self._working_on_or_after(hearing)
        limitation = None
        if case.matter in LABOR_MATTERS and rng.random() < 0.35:
            limitation = assigned + timedelta(days=rng.randint(20, 150))
            if not steps["ended_on"] and limitation <= self.as_of + timedelta(days=30):
                limitation = None  # an open case about to run out of time is a scenario, not chance
        steps["limitation_on"] = limitation
        return steps

    def _lawyer(self, case: _Case) -> str:
        """Who gets the case: someone of the firm that took the application, the desk lawyer who converted
        it, or anyone who may take it; people who have left only had cases that ended."""
        roles = ("lawyer",) if case.case_type == "criminal" else ("lawyer", "legal_worker")
        ended = case.steps.get("ended_on")
        long_done = ended is not None and ended < self.as_of - timedelta(days=120)

        def may_take(person: Row) -> bool:
            return person["role"] in roles and (bool(person["active"]) or long_done)

        if case.intake == "arbitration_desk" and self.rng.random() < 0.6:
            return self.duty[case.applied_on]
        eligible = [p for p in self.people if may_take(p)]
        own_firm = [p for p in eligible if p["firm"] == case.intake]
        return str(self.rng.choice(own_firm or eligible)["code"])

    # Scenarios ------------------------------------------------------------------------------------------

    def add_scenarios(self, year: StatisticalYear) -> None:
        """Rewrite a few cases of ``year`` into the deliberate situations of SCENARIOS."""
        pool = [c for c in self.cases if c.year is year and c.intake != "arbitration_desk"]
        last_day = self._working_on_or_before(year.end)
        for name, (case_type, offsets) in SCENARIOS.items():
            case = self.rng.choice([c for c in pool if c.case_type == case_type and c.scenario is None])
            case.scenario = name
            applied = self._to_working_day(offsets["applied_on"])
            case.applied_on = max(min(applied, last_day), year.start)
            steps: dict[str, date | None] = dict.fromkeys((*_STEPS, *_LOOSE_STEPS))
            previous = case.applied_on
            for step in _STEPS:
                if step in offsets:
                    # Kept in order even when the demo date is far past the year (the clamp above).
                    previous = steps[step] = max(self._to_working_day(offsets[step]), previous)
            for step in _LOOSE_STEPS:
                if step in offsets:
                    steps[step] = self._to_working_day(offsets[step])
            if steps["last_progress_on"] is not None:
                steps["last_progress_on"] = max(
                    steps["last_progress_on"], steps["first_contact_on"] or previous
                )
            case.steps = steps
            case.lawyer = self._lawyer(case) if steps["assigned_on"] else None

    def _to_working_day(self, offset: int) -> date:
        day = self.as_of + timedelta(days=offset)
        return self._working_on_or_after(day) if offset > 0 else self._working_on_or_before(day)

    # Rows -------------------------------------------------------------------------------------------------

    def rows(self) -> tuple[list[Row], dict[str, str]]:
        """The case rows, numbered per calendar year and type (2012民援第001号), and the scenario cases."""
        numbers: dict[tuple[int, str], int] = defaultdict(int)
        rows: list[Row] = []
        scenarios: dict[str, str] = {}
        for case in sorted(self.cases, key=lambda c: (c.applied_on, c.order)):
            key = (case.applied_on.year, case.case_type)
            numbers[key] += 1
            kind = "民" if case.case_type == "civil" else "刑"
            case_no = f"{case.applied_on.year}{kind}援第{numbers[key]:03d}号"
            if case.scenario:
                scenarios[case.scenario] = case_no
            steps = case.steps
            rows.append(
                {
                    "case_no": case_no,
                    "case_type": case.case_type,
                    "matter": case.matter,
                    "applicant": case.applicant,
                    "applicant_groups": list(case.groups),
                    "intake": case.intake,
                    "applied_on": case.applied_on,
                    "limitation_on": steps["limitation_on"],
                    "decided_on": steps["decided_on"],
                    "decision": "granted" if steps["decided_on"] else None,
                    "assigned_on": steps["assigned_on"],
                    "lawyer": case.lawyer,
                    "first_contact_on": steps["first_contact_on"],
                    "last_progress_on": steps["last_progress_on"],
                    "next_hearing_on": steps["next_hearing_on"],
                    "ended_on": steps["ended_on"],
                    "closure_submitted_on": steps["closure_submitted_on"],
                    "return_visit_on": steps["return_visit_on"],
                }
            )
        return rows, scenarios
