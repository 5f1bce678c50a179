"""Timeliness (item 4): how many steps were done within the reminders' deadlines, and which items were
overdue and still open at the end of the period.

The deadlines are the reminder rules' own (``legalaid/reminders/rules.toml``, ``Rule.deadline``: a period
of N days ending on a working day), and "open" is each rule's own condition (``reminders.scan.BRANCHES``):
nothing is derived twice. The calendar part runs in Python on dates only (at most a year of anchor dates);
the database answers one aggregate per question:

* on time: the cases are joined to a small table of (anchor date, deadline) for the period's days;
* overdue at the period's end: the rule's conditions are rewritten to see each dated step as it stood on
  that day (a step recorded later is treated as not yet done), and a case is overdue when its anchor is on
  or before the last anchor date whose deadline had passed. Rules with a fixed date (a hearing, a
  limitation date) have nothing to be overdue on and are left out. The latest progress and the next
  hearing are kept only as their latest value: a case whose value is later than the day is left out of
  the rules that look at it, since what it was on the day is not known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnClause, ColumnElement, Date, and_, case, column, func, null, or_, select, values
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, Null

from legalaid.calendar import WorkCalendar
from legalaid.models import Case, Person
from legalaid.models.cases import CASE_DATE_FIELDS
from legalaid.models.enums import CaseType, Decision
from legalaid.reminders import BRANCHES, Rule
from legalaid.reports.periods import Period
from legalaid.reports.statistics import CENTER, Scope

# A deadline never moves more than this past anchor + days (no run of days off in China comes near it).
_MAX_SHIFT_DAYS = 60


@dataclass(frozen=True)
class OnTime:
    """A step done within its deadline: ``on_time`` of ``counted`` (done, or past the deadline by as_of)."""

    rule: str
    counted: int
    on_time: int


@dataclass(frozen=True)
class Timeliness:
    decided: OnTime  # applications of the period decided within the review period (7 days)
    assigned: OnTime  # grants (and court notices) of the period assigned within 3 days
    closure: OnTime  # cases ended in the period whose closure materials came in time (30 days)
    # Rule id → items overdue and open at the period's end; and per firm of the lawyer (None: no firm).
    overdue: dict[str, int]
    overdue_by_firm: dict[int | None, dict[str, int]]


def _deadlines(rule: Rule, calendar: WorkCalendar, period: Period, name: str) -> Any:
    """A (anchor, deadline) table for every day of the period, as a CTE."""
    days = [period.start + timedelta(days=n) for n in range((period.end - period.start).days + 1)]
    table = values(column("anchor", Date), column("deadline", Date), name=name)
    return table.data([(day, rule.deadline(day, calendar)) for day in days]).cte(name)


def timeliness(
    session: Session,
    period: Period,
    rules: Mapping[str, Rule],
    calendar: WorkCalendar,
    *,
    as_of: date,
    scope: Scope = CENTER,
) -> Timeliness:
    """The three on-time shares of the period (as the data stands on ``as_of``) and the overdue items."""
    review = _deadlines(rules["review_due"], calendar, period, "review_deadlines")
    assign = _deadlines(rules["assignment_due"], calendar, period, "assignment_deadlines")
    closure = _deadlines(rules["closure_due"], calendar, period, "closure_deadlines")
    within = period.start, period.end
    applications = and_(
        Case.applied_on.between(*within),
        # A criminal case without a decision is a court's notice: assigned, not reviewed.
        or_(Case.case_type != CaseType.criminal, Case.decision.is_not(None)),
    )
    granted = and_(Case.decision == Decision.granted, Case.decided_on.between(*within))
    notified = and_(
        Case.case_type == CaseType.criminal,
        Case.decision.is_(None),
        Case.decided_on.is_(None),
        Case.applied_on.between(*within),
    )
    assignment_anchor = case((Case.decision == Decision.granted, Case.decided_on), else_=Case.applied_on)
    ended = Case.ended_on.between(*within)
    count = func.count(Case.id)

    def shares(selected: ColumnElement[bool], step: Any, deadline: Any) -> list[Any]:
        done_in_time = and_(selected, step.is_not(None), step <= deadline)
        counted = and_(selected, or_(step.is_not(None), deadline < as_of))
        return [count.filter(counted), count.filter(done_in_time)]

    row = session.execute(
        select(
            *shares(applications, Case.decided_on, review.c.deadline),
            *shares(or_(granted, notified), Case.assigned_on, assign.c.deadline),
            *shares(ended, Case.closure_submitted_on, closure.c.deadline),
        )
        .select_from(Case)
        .outerjoin(review, review.c.anchor == Case.applied_on)
        .outerjoin(assign, assign.c.anchor == assignment_anchor)
        .outerjoin(closure, closure.c.anchor == Case.ended_on)
        .where(or_(applications, granted, notified, ended), scope.cases())
    ).one()
    by_firm = overdue_at(session, rules, calendar, as_of=min(period.end, as_of), scope=scope)
    totals: dict[str, int] = {}
    for counts in by_firm.values():
        for rule_id, n in counts.items():
            totals[rule_id] = totals.get(rule_id, 0) + n
    return Timeliness(
        decided=OnTime("review_due", row[0], row[1]),
        assigned=OnTime("assignment_due", row[2], row[3]),
        closure=OnTime("closure_due", row[4], row[5]),
        overdue={rule_id: totals.get(rule_id, 0) for rule_id in overdue_rules(rules)},
        overdue_by_firm=by_firm,
    )


def overdue_rules(rules: Mapping[str, Rule]) -> list[str]:
    """The rules whose items can be overdue: enabled, with a period deadline."""
    return [rule.id for rule in rules.values() if rule.enabled and rule.deadline_kind == "period"]


def last_overdue_anchor(rule: Rule, calendar: WorkCalendar, on: date) -> date:
    """The latest anchor date whose deadline is before ``on``: a case with an anchor on or before it, still
    open on ``on``, is overdue (deadlines never go back as the anchor moves on)."""
    anchor = on - timedelta(days=rule.days + 1)
    for _ in range(_MAX_SHIFT_DAYS):
        if rule.deadline(anchor, calendar) < on:
            return anchor
        anchor -= timedelta(days=1)
    return anchor  # pragma: no cover - only a calendar of endless days off gets here


# Dates a case keeps only the latest value of: what they were on an earlier day is not known.
_MOVING = ("last_progress_on", "next_hearing_on", "limitation_on")


def _as_it_stood(on: date) -> dict[Any, ColumnElement[Any]]:
    """Each dated step as it stood on ``on`` (a later date: not yet), and the decision with its date."""
    table = Case.__table__
    stood: dict[Any, ColumnElement[Any]] = {
        table.c[name]: case((table.c[name] <= on, table.c[name]), else_=null())
        for name in CASE_DATE_FIELDS
        if name not in _MOVING
    }
    stood[table.c.decision] = case((table.c.decided_on <= on, table.c.decision), else_=null())
    return stood


def overdue_at(
    session: Session,
    rules: Mapping[str, Rule],
    calendar: WorkCalendar,
    *,
    as_of: date,
    scope: Scope = CENTER,
) -> dict[int | None, dict[str, int]]:
    """Items overdue and still open on ``as_of``, per rule, grouped by the firm of the case's lawyer."""
    stood = _as_it_stood(as_of)

    table = Case.__table__
    dated = {table.c[name] for name in CASE_DATE_FIELDS if name not in _MOVING}

    def then(condition: ColumnElement[bool]) -> ColumnElement[bool]:
        def swap(element: Any, **_kw: Any) -> Any:
            # "Step not done" and "step done", the rules' usual tests, in their cheap form: a row runs
            # through these a dozen times, and a CASE costs more than a comparison.
            if (
                isinstance(element, BinaryExpression)
                and element.left in dated
                and isinstance(element.right, Null)
            ):
                column = element.left
                if element.operator is operators.is_:
                    return or_(column.is_(None), column > as_of).self_group()
                if element.operator is operators.is_not:
                    return (column <= as_of).self_group()
            return stood.get(element)

        options: dict[str, Any] = {}
        return visitors.replacement_traverse(condition, options, swap)

    def known(*conditions: ColumnElement[Any]) -> list[ColumnElement[bool]]:
        """A moving date later than ``as_of`` hides what it was then (an older progress, say): such a case
        is left out of the rule rather than guessed at."""
        table = Case.__table__
        used = {e for c in conditions for e in visitors.iterate(c) if isinstance(e, ColumnClause)}
        return [
            or_(table.c[name].is_(None), table.c[name] <= as_of) for name in _MOVING if table.c[name] in used
        ]

    filters: dict[str, ColumnElement[bool]] = {}
    for rule_id in overdue_rules(rules):
        latest = last_overdue_anchor(rules[rule_id], calendar, as_of)
        filters[rule_id] = or_(
            *(
                and_(
                    branch.anchor <= latest,
                    *(then(c) for c in branch.conditions),
                    *known(branch.anchor <= latest, *branch.conditions),
                )
                for branch in BRANCHES[rule_id]
            )
        )
    if not filters:
        return {}
    count = func.count(Case.id)
    rows = session.execute(
        select(Person.firm_id, *(count.filter(f) for f in filters.values()))
        .select_from(Case)
        .outerjoin(Person, Person.id == Case.lawyer_id)
        .where(or_(*filters.values()), scope.cases())
        .group_by(Person.firm_id)
    ).all()
    return {row[0]: dict(zip(filters, row[1:], strict=True)) for row in rows}
