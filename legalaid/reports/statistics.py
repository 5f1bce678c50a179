"""The report's figures, each a SQL aggregate: COUNT … FILTER and SUM … FILTER with GROUP BY, one scan per
question, never a Python loop over cases or consultations.

Cases are counted by ``applied_on`` in the period (受理). A ``Scope`` narrows every case figure to one firm's
lawyers (the firm report); consultations and the desk roster are the center's. Python only reshapes the
few rows an aggregate returns (one per group, channel or firm). Timeliness and overdue items, which need
the reminders' rules and the calendar, are in ``timeliness``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, func, or_, select, true, type_coerce
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.models import Case, CaseGroup, Consultation, DutyShift, Firm, Person
from legalaid.models.enums import CaseType, ConsultationChannel, ConsultationOutcome, RecipientGroup
from legalaid.reports.periods import Period
from legalaid.roster.data import desk_days

CASE_TYPES: tuple[CaseType, ...] = (CaseType.civil, CaseType.criminal, CaseType.administrative)


@dataclass(frozen=True)
class Scope:
    """Which cases count: the center's (``firm_id`` None) or those of one firm's lawyers."""

    firm_id: int | None = None

    def cases(self) -> ColumnElement[bool]:
        if self.firm_id is None:
            return true()
        return Case.lawyer_id.in_(select(Person.id).where(Person.firm_id == self.firm_id))


CENTER = Scope()


# Cases by type ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseCounts:
    """Cases applied for in one period: in all and by type."""

    total: int
    civil: int
    criminal: int
    administrative: int

    def of(self, name: str) -> int:
        value = getattr(self, name)
        assert isinstance(value, int)
        return value


def case_counts(
    session: Session, periods: Iterable[Period], scope: Scope = CENTER
) -> dict[Period, CaseCounts]:
    """Each period's cases by type: one GROUP BY type and period over the span the periods cover (the
    periods are disjoint: the chart's and the year before, which is one of them or apart from them)."""
    wanted = sorted(set(periods))
    bucket = case(
        *((Case.applied_on.between(p.start, p.end), index) for index, p in enumerate(wanted)), else_=-1
    )
    first, last = min(p.start for p in wanted), max(p.end for p in wanted)
    rows = session.execute(
        select(bucket, Case.case_type, func.count(Case.id))
        .where(Case.applied_on.between(first, last), scope.cases())
        .group_by(bucket, Case.case_type)
    ).all()
    found: dict[tuple[int, str], int] = {(index, str(kind)): n for index, kind, n in rows}
    result = {}
    for index, period in enumerate(wanted):
        by_type = [found.get((index, kind.value), 0) for kind in CASE_TYPES]
        result[period] = CaseCounts(sum(by_type), *by_type)
    return result


# Recipients and matters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupCount:
    group: RecipientGroup
    cases: int  # cases whose applicant belongs to the group
    civil: int  # of them civil


def recipient_groups(
    session: Session, period: Period, scope: Scope = CENTER
) -> dict[RecipientGroup, GroupCount]:
    """Cases per recipient group (a case may be in several), with the civil ones: one GROUP BY."""
    count = func.count(CaseGroup.case_id)
    rows = session.execute(
        select(CaseGroup.group_name, count, count.filter(Case.case_type == CaseType.civil))
        .join(Case, Case.id == CaseGroup.case_id)
        .where(Case.applied_on.between(period.start, period.end), scope.cases())
        .group_by(CaseGroup.group_name)
    ).all()
    found = {
        RecipientGroup(group): GroupCount(RecipientGroup(group), cases, civil) for group, cases, civil in rows
    }
    return {group: found.get(group, GroupCount(group, 0, 0)) for group in RecipientGroup}


@dataclass(frozen=True)
class MatterCount:
    matter: str | None  # 案由; None when not recorded
    cases: int
    civil: int
    criminal: int


def matters(session: Session, period: Period, scope: Scope = CENTER) -> list[MatterCount]:
    """Matters (案由) ranked by cases, then by name: one GROUP BY."""
    count = func.count(Case.id)
    rows = session.execute(
        select(
            Case.matter,
            count,
            count.filter(Case.case_type == CaseType.civil),
            count.filter(Case.case_type == CaseType.criminal),
        )
        .where(Case.applied_on.between(period.start, period.end), scope.cases())
        .group_by(Case.matter)
        .order_by(count.desc(), Case.matter)
    ).all()
    return [MatterCount(*row) for row in rows]


# Consultations ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsultationFigures:
    """Consultations (件/人次, a tally row counts its ``count``) by channel and outcome, this period and the
    same period a year before."""

    current: dict[tuple[ConsultationChannel, ConsultationOutcome], int]
    previous: dict[tuple[ConsultationChannel, ConsultationOutcome], int]

    def channel(self, channel: ConsultationChannel, *, previous: bool = False) -> int:
        source = self.previous if previous else self.current
        return sum(n for (c, _outcome), n in source.items() if c == channel)

    def outcome(self, channel: ConsultationChannel, outcome: ConsultationOutcome) -> int:
        return self.current.get((channel, outcome), 0)

    def total(self, *, previous: bool = False) -> int:
        return sum((self.previous if previous else self.current).values())


def consultations(session: Session, period: Period, year_before: Period) -> ConsultationFigures:
    """One GROUP BY channel, outcome over both periods, each period's sum a FILTER."""
    tally = func.sum(Consultation.count)
    # A year and the year before are one range: one condition per row, and last year's sum is the rest.
    adjoining = year_before.end + timedelta(days=1) == period.start
    where = (
        Consultation.on.between(year_before.start, period.end)
        if adjoining
        else or_(
            Consultation.on.between(period.start, period.end),
            Consultation.on.between(year_before.start, year_before.end),
        )
    )
    rows = session.execute(
        select(
            Consultation.channel,
            Consultation.outcome,
            tally.filter(Consultation.on >= period.start),
            tally,
        )
        .where(where)
        .group_by(Consultation.channel, Consultation.outcome)
    ).all()
    current: dict[tuple[ConsultationChannel, ConsultationOutcome], int] = {}
    previous: dict[tuple[ConsultationChannel, ConsultationOutcome], int] = {}
    for channel, outcome, now, both in rows:
        key = (ConsultationChannel(channel), ConsultationOutcome(outcome))
        current[key] = int(now or 0)
        previous[key] = int(both or 0) - current[key]
    return ConsultationFigures(current, previous)


# Per firm --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FirmFigures:
    """One firm's legal aid work in a period (item 5); ``code`` None: lawyers of no firm."""

    code: str | None
    name: str
    assigned: int  # cases assigned to its lawyers in the period
    ended: int  # cases its lawyers ended in the period
    open: int  # assigned and not ended at the period's end
    closure_overdue: int  # closure materials overdue at the period's end (filled in by timeliness)
    average_days: float | None  # from assignment to end, for the cases ended in the period


def _days_between(session: Session, later: Any, earlier: Any) -> Any:
    """``later - earlier`` in days, as each database spells it (dates are text in SQLite)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return type_coerce(later - earlier, Integer)


def firm_figures(session: Session, period: Period, scope: Scope = CENTER) -> dict[int | None, FirmFigures]:
    """Per firm of the assigned lawyer: one GROUP BY; firms with nothing in the period are listed too."""
    count = func.count(Case.id)
    assigned = Case.assigned_on.between(period.start, period.end)
    ended = Case.ended_on.between(period.start, period.end)
    still_open = and_(
        Case.assigned_on <= period.end, or_(Case.ended_on.is_(None), Case.ended_on > period.end)
    )
    days = _days_between(session, Case.ended_on, Case.assigned_on)
    ended_days = and_(ended, Case.assigned_on.is_not(None))
    # Per lawyer first, then per firm: the join to people is over a few thousand lawyers, not every case.
    per_lawyer = (
        select(
            Case.lawyer_id.label("lawyer_id"),
            count.filter(assigned).label("assigned"),
            count.filter(ended).label("ended"),
            count.filter(still_open).label("open"),
            func.sum(days).filter(ended_days).label("days"),
            count.filter(ended_days).label("timed"),
        )
        .where(
            Case.assigned_on <= period.end,
            or_(Case.ended_on.is_(None), Case.ended_on >= period.start),
            Case.lawyer_id.is_not(None),
            scope.cases(),
        )
        .group_by(Case.lawyer_id)
        .subquery()
    )
    total = func.coalesce(func.sum(per_lawyer.c.timed), 0)
    rows = session.execute(
        select(
            Person.firm_id,
            func.sum(per_lawyer.c.assigned),
            func.sum(per_lawyer.c.ended),
            func.sum(per_lawyer.c.open),
            func.sum(per_lawyer.c.days) * 1.0 / func.nullif(total, 0),
        )
        .join(Person, Person.id == per_lawyer.c.lawyer_id)
        .group_by(Person.firm_id)
    ).all()
    counted = {firm_id: (int(a), int(e), int(o), avg) for firm_id, a, e, o, avg in rows}
    firms = session.execute(select(Firm.id, Firm.code, Firm.name).order_by(Firm.code)).all()
    if scope.firm_id is not None:
        firms = [firm for firm in firms if firm.id == scope.firm_id]
    result: dict[int | None, FirmFigures] = {}
    for firm_id, code, name in firms:
        a, e, o, avg = counted.get(firm_id, (0, 0, 0, None))
        result[firm_id] = FirmFigures(code, name, a, e, o, 0, _rounded(avg))
    if None in counted and scope.firm_id is None:
        a, e, o, avg = counted[None]
        result[None] = FirmFigures(None, "", a, e, o, 0, _rounded(avg))
    return result


def _rounded(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


# The arbitration desk's roster -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskDuty:
    code: str
    name: str
    firm: str
    days: int  # duty days in the period (a day with a morning and an afternoon slot counts once)


@dataclass(frozen=True)
class RosterFigures:
    """The desk roster in the period (item 6), counted from the day the roster was first kept."""

    since: date | None  # the first recorded duty ever; None: no roster kept
    desk_days: int  # working days the desk opens in the counted part of the period
    covered: int  # of them, days with someone on duty
    duties: list[DeskDuty]


def roster_figures(
    session: Session, period: Period, *, calendar: WorkCalendar, weekdays: Sequence[str], as_of: date
) -> RosterFigures:
    """Desk days covered and duty days per lawyer: two aggregates over ``duty_shifts``.

    Days before the first recorded duty are not counted as gaps: the roster was not kept then.
    """
    since = session.scalar(select(func.min(DutyShift.on)))
    duties_rows = session.execute(
        select(Person.code, Person.name, Firm.name, func.count(DutyShift.on.distinct()))
        .join(Person, Person.id == DutyShift.person_id)
        .outerjoin(Firm, Firm.id == Person.firm_id)
        .where(DutyShift.on.between(period.start, period.end))
        .group_by(Person.code, Person.name, Firm.name)
        .order_by(func.count(DutyShift.on.distinct()).desc(), Person.code)
    ).all()
    duties = [DeskDuty(code, name, firm or "", days) for code, name, firm, days in duties_rows]
    if since is None:
        return RosterFigures(None, 0, 0, duties)
    first, last = max(period.start, since), min(period.end, as_of)
    days = desk_days(calendar, first, last, list(weekdays)) if first <= last else []
    covered = 0
    if days:
        covered = (
            session.scalar(
                select(func.count(DutyShift.on.distinct())).where(
                    DutyShift.on.between(first, last), DutyShift.on.in_(days)
                )
            )
            or 0
        )
    return RosterFigures(since, len(days), covered, duties)
