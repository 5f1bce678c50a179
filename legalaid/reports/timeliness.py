"""Timeliness (item 4): how many steps were done within the reminders' deadlines, and which items were
overdue and still open at the end of the period.

The deadlines are the reminder rules' own (``legalaid/reminders/rules.toml``, ``Rule.deadline``: a period
of N days ending on a working day), and "open" is each rule's own condition (``reminders.scan.BRANCHES``):
nothing is derived twice. The calendar part runs in Python on dates only (at most a year of anchor dates);
the database answers one aggregate per question:

* on time: the cases are joined to a small table of (anchor date, deadline) for the period's days;
* overdue at the period's end (``legalaid.reminders.overdue``, which ``legalaid reminders overdue`` lists
  from too): the rule's conditions are rewritten to see each dated step as it stood on
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

from sqlalchemy import ColumnElement, Date, and_, case, column, func, or_, select, values
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.models import Case, Person
from legalaid.models.enums import CaseType, Decision
from legalaid.reminders import Rule
from legalaid.reminders.overdue import overdue_conditions, overdue_rules
from legalaid.reports.periods import Period
from legalaid.reports.statistics import CENTER, Scope


@dataclass(frozen=True)
class OnTime:
    """A step done within its deadline: ``on_time`` of ``counted`` (done, or past the deadline by as_of),
    of the ``selected`` items the period holds (the report states each basis: the difference is the
    items whose deadline had not come yet)."""

    rule: str
    counted: int
    on_time: int
    selected: int = 0

    @property
    def figures(self) -> tuple[int, int, int]:
        return self.selected, self.counted, self.on_time


@dataclass(frozen=True)
class Timeliness:
    decided: OnTime  # applications of the period decided within the review period (7 days)
    assigned: OnTime  # grants (and court notices) of the period assigned within 3 days
    closure: OnTime  # cases ended in the period whose closure materials came in time (30 days)
    first_contact: OnTime  # cases assigned in the period whose lawyer signed the agreement in time (5 days)
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
    contact = _deadlines(rules["first_contact_due"], calendar, period, "contact_deadlines")
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
    assigned = Case.assigned_on.between(*within)
    count = func.count(Case.id)

    def shares(selected: ColumnElement[bool], step: Any, deadline: Any) -> list[Any]:
        done_in_time = and_(selected, step.is_not(None), step <= deadline)
        counted = and_(selected, or_(step.is_not(None), deadline < as_of))
        return [count.filter(counted), count.filter(done_in_time), count.filter(selected)]

    row = session.execute(
        select(
            *shares(applications, Case.decided_on, review.c.deadline),
            *shares(or_(granted, notified), Case.assigned_on, assign.c.deadline),
            *shares(ended, Case.closure_submitted_on, closure.c.deadline),
            *shares(assigned, Case.first_contact_on, contact.c.deadline),
        )
        .select_from(Case)
        .outerjoin(review, review.c.anchor == Case.applied_on)
        .outerjoin(assign, assign.c.anchor == assignment_anchor)
        .outerjoin(closure, closure.c.anchor == Case.ended_on)
        .outerjoin(contact, contact.c.anchor == Case.assigned_on)
        .where(or_(applications, granted, notified, ended, assigned), scope.cases())
    ).one()
    by_firm = overdue_at(session, rules, calendar, as_of=min(period.end, as_of), scope=scope)
    totals: dict[str, int] = {}
    for counts in by_firm.values():
        for rule_id, n in counts.items():
            totals[rule_id] = totals.get(rule_id, 0) + n
    return Timeliness(
        decided=OnTime("review_due", *row[0:3]),
        assigned=OnTime("assignment_due", *row[3:6]),
        closure=OnTime("closure_due", *row[6:9]),
        first_contact=OnTime("first_contact_due", *row[9:12]),
        overdue={rule_id: totals.get(rule_id, 0) for rule_id in overdue_rules(rules)},
        overdue_by_firm=by_firm,
    )


def overdue_at(
    session: Session,
    rules: Mapping[str, Rule],
    calendar: WorkCalendar,
    *,
    as_of: date,
    scope: Scope = CENTER,
) -> dict[int | None, dict[str, int]]:
    """Items overdue and still open on ``as_of``, per rule, grouped by the firm of the case's lawyer.

    The conditions are ``legalaid.reminders.overdue``'s, the ones ``legalaid reminders overdue`` lists.
    """
    filters: dict[str, ColumnElement[bool]] = {
        rule_id: or_(*(condition for _anchor, condition in branches))
        for rule_id, branches in overdue_conditions(rules, calendar, on=as_of).items()
    }
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
