"""Overdue work on a day: the items whose deadline has passed and whose step is still open.

One definition serves two readers: the annual and quarterly reports count these items
(``legalaid.reports.timeliness.overdue_at``) and ``legalaid reminders overdue`` lists them, grouped by the
person who must act; both build their SQL from ``overdue_conditions``, so the list and the report's
逾期未办 figures cannot disagree.

An item is overdue on ``on`` when its rule has a period deadline (a hearing or a limitation date that has
passed is not overdue work), its anchor is on or before the last anchor whose deadline is before ``on``
(``rules.last_overdue_anchor``), and the rule's "open while" conditions (``scan.BRANCHES``) held on that
day: each dated step is seen as it stood then (a step recorded later is treated as not yet done). The
latest progress and the next hearing are kept only as their latest value: a case whose value is later
than the day is left out of the rules that look at it, since what it was on the day is not known.

Whether an item was already reminded plays no part: this is the list of what is late, not of what to
send (the daily scan and its catch-up decide that, with the ledger).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import ColumnClause, ColumnElement, String, and_, case, func, literal, null, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, Null

from legalaid.calendar import WorkCalendar
from legalaid.models import Case, Person
from legalaid.models.cases import CASE_DATE_FIELDS
from legalaid.reminders.rules import Rule, last_overdue_anchor
from legalaid.reminders.scan import BRANCHES

# Dates a case keeps only the latest value of: what they were on an earlier day is not known.
_MOVING = ("last_progress_on", "next_hearing_on", "limitation_on")

Anchor = InstrumentedAttribute[date | None] | InstrumentedAttribute[date]


def overdue_rules(rules: Mapping[str, Rule]) -> list[str]:
    """The rules whose items can be overdue: enabled, with a period deadline."""
    return [rule.id for rule in rules.values() if rule.enabled and rule.deadline_kind == "period"]


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


def overdue_conditions(
    rules: Mapping[str, Rule], calendar: WorkCalendar, *, on: date
) -> dict[str, list[tuple[Anchor, ColumnElement[bool]]]]:
    """Rule id → for each of its branches, the anchor column and the condition of an item overdue and
    open on ``on`` (the branches of a rule exclude each other: a case is overdue once per rule)."""
    return _conditions(rules, calendar, on=on, open_now=False)


def _conditions(
    rules: Mapping[str, Rule], calendar: WorkCalendar, *, on: date, open_now: bool
) -> dict[str, list[tuple[Anchor, ColumnElement[bool]]]]:
    """``overdue_conditions``; with ``open_now``, of the cases whose branch conditions hold today as
    written, which are added: a "step not done" test at the top of a branch then holds as it stood
    too, and is left as written, so that the partial index of the open cases answers it."""
    stood = _as_it_stood(on)
    table = Case.__table__
    dated = {table.c[name] for name in CASE_DATE_FIELDS if name not in _MOVING}
    steps = {*dated, table.c.decision}

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
                    return or_(column.is_(None), column > on).self_group()
                if element.operator is operators.is_not:
                    return (column <= on).self_group()
            return stood.get(element)

        options: dict[str, Any] = {}
        return visitors.replacement_traverse(condition, options, swap)

    def known(*conditions: ColumnElement[Any]) -> list[ColumnElement[bool]]:
        """A moving date later than ``on`` hides what it was then (an older progress, say): such a case
        is left out of the rule rather than guessed at."""
        used = {e for c in conditions for e in visitors.iterate(c) if isinstance(e, ColumnClause)}
        return [
            or_(table.c[name].is_(None), table.c[name] <= on) for name in _MOVING if table.c[name] in used
        ]

    found: dict[str, list[tuple[Anchor, ColumnElement[bool]]]] = {}
    for rule_id in overdue_rules(rules):
        latest = last_overdue_anchor(rules[rule_id], calendar, on)
        found[rule_id] = [
            (
                branch.anchor,
                and_(
                    branch.anchor <= latest,
                    *(then(c) for c in branch.conditions if not (open_now and _not_done(c, steps))),
                    *known(branch.anchor <= latest, *branch.conditions),
                    # Each once: a test written twice is counted twice by the planner's estimates.
                    *(branch.conditions if open_now else ()),
                ),
            )
            for branch in BRANCHES[rule_id]
        ]
    return found


def _not_done(condition: ColumnElement[bool], steps: set[Any]) -> bool:
    """Whether ``condition`` is a plain "step not done" test (``column IS NULL``) of one of ``steps``."""
    return (
        isinstance(condition, BinaryExpression)
        and condition.operator is operators.is_
        and condition.left in steps
        and isinstance(condition.right, Null)
    )


def overdue_parts(
    rules: Mapping[str, Rule], calendar: WorkCalendar, *, on: date
) -> dict[str, list[tuple[Anchor, ColumnElement[bool]]]]:
    """``overdue_conditions`` with each branch split in two disjoint parts that indexes answer, for the
    readers that select the items (the reports' single pass over the cases keeps the whole conditions).

    Read as it stood on ``on``, a branch's condition makes every row pass through CASEs and ORs that no
    index serves: at a province's scale that is every finished case, read to find the few open ones. But
    a case whose dated steps are all on or before ``on`` stands today as it stood then, so:

    * open now: the branch's own conditions as the scan writes them, which a partial index of the open
      cases answers (``ix_cases_review_owed`` and the like, on the anchor), plus the condition as it stood;
    * changed since: the condition as it stood and not open now, which needs a step of the branch dated
      after ``on`` (or a decision without its date, which reads as no decision): a range after ``on`` on
      each such step's index, empty on the current day.

    The two together are exactly the condition (``IS NOT TRUE``: a condition that is NULL now is not open
    now), so the counts stay those of ``overdue_items`` and of the report.
    """
    table = Case.__table__
    dated = {table.c[name] for name in CASE_DATE_FIELDS if name not in _MOVING}
    now = _conditions(rules, calendar, on=on, open_now=True)
    found: dict[str, list[tuple[Anchor, ColumnElement[bool]]]] = {}
    for rule_id, branches in overdue_conditions(rules, calendar, on=on).items():
        parts: list[tuple[Anchor, ColumnElement[bool]]] = []
        for n, (branch, (anchor, condition)) in enumerate(zip(BRANCHES[rule_id], branches, strict=True)):
            open_now = and_(*branch.conditions)
            used = {e for c in branch.conditions for e in visitors.iterate(c) if isinstance(e, ColumnClause)}
            steps: set[Any] = used & dated
            if table.c.decision in used:  # the decision is read through its date
                steps.add(table.c.decided_on)
            changed: list[ColumnElement[bool]] = [column > on for column in sorted(steps, key=str)]
            if table.c.decision in used:
                changed.append(and_(table.c.decided_on.is_(None), table.c.decision.is_not(None)))
            parts.append(now[rule_id][n])
            if changed:
                parts.append((anchor, and_(condition, open_now.self_group().is_not(true()), or_(*changed))))
        found[rule_id] = parts
    return found


class OverdueItem(NamedTuple):
    """One overdue open item and the person who must act on it."""

    rule: str
    case_no: str
    anchor: date
    deadline: date
    days_overdue: int
    role: str  # the rule's first ``remind`` role: lawyer, center_staff, center_head
    person: str  # the lawyer's code for a lawyer's rule; "" for a group (the center staff) or no lawyer
    person_name: str


def overdue_items(
    session: Session, rules: Mapping[str, Rule], calendar: WorkCalendar, *, on: date
) -> list[OverdueItem]:
    """Every item overdue and open on ``on``, sorted by person, then most overdue first."""
    # One SELECT per rule, branch and part (``overdue_parts``), each with its own anchor column, in one
    # UNION ALL.
    selects = [
        select(
            literal(rule_id, String).label("rule"),
            Case.case_no,
            anchor.label("anchor"),
            Person.code,
            Person.name,
        )
        .select_from(Case)
        .outerjoin(Person, Person.id == Case.lawyer_id)
        .where(condition)
        for rule_id, branches in overdue_parts(rules, calendar, on=on).items()
        for anchor, condition in branches
    ]
    if not selects:
        return []
    statement = selects[0] if len(selects) == 1 else selects[0].union_all(*selects[1:])
    items = []
    for rule_id, case_no, anchor, code, name in session.execute(statement):
        assert anchor is not None  # the condition holds it on or before a date
        rule = rules[rule_id]
        deadline = rule.deadline(anchor, calendar)
        role = "lawyer" if "lawyer" in rule.remind else rule.remind[0]
        person, person_name = (code or "", name or "") if role == "lawyer" else ("", "")
        items.append(
            OverdueItem(rule_id, case_no, anchor, deadline, (on - deadline).days, role, person, person_name)
        )
    items.sort(key=lambda item: (item.role != "lawyer", item.person, -item.days_overdue, item.case_no))
    return items


class OverdueCount(NamedTuple):
    """How many items one person (or group) has overdue, and the most overdue one's days."""

    role: str
    person: str
    person_name: str
    overdue: int  # how many items
    worst: int  # the most overdue one's days


def overdue_counts(
    session: Session, rules: Mapping[str, Rule], calendar: WorkCalendar, *, on: date, limit: int
) -> tuple[list[OverdueCount], int]:
    """The ``limit`` people with the most items overdue on ``on`` (what ``overdue_items`` lists, counted
    in SQL: a page of counts never reads a province's items one by one), most first, and how many people
    have any. Each rule's items are grouped by lawyer with their earliest anchor, whose deadline is the
    most overdue."""
    selects = [
        select(
            literal(rule_id, String).label("rule"), Person.code, Person.name, func.count(), func.min(anchor)
        )
        .select_from(Case)
        .outerjoin(Person, Person.id == Case.lawyer_id)
        .where(condition)
        .group_by(Person.code, Person.name)
        for rule_id, branches in overdue_parts(rules, calendar, on=on).items()
        for anchor, condition in branches
    ]
    if not selects:
        return [], 0
    statement = selects[0] if len(selects) == 1 else selects[0].union_all(*selects[1:])
    counts: dict[tuple[str, str, str], list[int]] = {}
    for rule_id, code, name, count, earliest in session.execute(statement):
        rule = rules[rule_id]
        role = "lawyer" if "lawyer" in rule.remind else rule.remind[0]
        key = (role, code or "", name or "") if role == "lawyer" else (role, "", "")
        assert earliest is not None  # the condition holds the anchor on or before a date
        worst = (on - rule.deadline(earliest, calendar)).days
        total = counts.setdefault(key, [0, 0])
        total[0] += count
        total[1] = max(total[1], worst)
    ranked = sorted(counts.items(), key=lambda entry: (-entry[1][0], entry[0]))
    return [OverdueCount(*key, count, worst) for key, (count, worst) in ranked[:limit]], len(counts)


def overdue_by_person(items: list[OverdueItem]) -> list[dict[str, Any]]:
    """The items grouped by the person who must act, in their order: ``role``, ``person`` (the code, or
    None for a group or no lawyer), ``name`` and ``items`` (rule, case_no, anchor, deadline, days_overdue).
    What ``legalaid reminders overdue --json`` prints and ``GET /api/v1/reminders/overdue`` answers."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault((item.role, item.person, item.person_name), []).append(
            {
                "rule": item.rule,
                "case_no": item.case_no,
                "anchor": item.anchor,
                "deadline": item.deadline,
                "days_overdue": item.days_overdue,
            }
        )
    return [
        {"role": role, "person": code or None, "name": name or _nobody(role), "items": rows}
        for (role, code, name), rows in groups.items()
    ]


def _nobody(role: str) -> str:
    """The name a group has in the list: the center staff, or a lawyer's case with no lawyer recorded."""
    return "no lawyer recorded" if role == "lawyer" else role.replace("_", " ")
