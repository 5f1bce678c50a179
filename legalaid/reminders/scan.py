"""Due-item selection: which cases are due for which threshold on ``as_of``, found in SQL through indexes.

The calendar work happens first and in Python, on dates only: for each rule and level,
``rules.pending`` maps every anchor date near ``as_of`` (a few dozen dates) to the threshold a case with
that anchor is due for. The database is then asked one question (a UNION ALL of one SELECT per rule,
branch, level and threshold): the open cases whose anchor column is IN those dates, and for which the
ledger (``reminders_sent``) holds neither this threshold nor a later one of the same level. Each SELECT is
a range on an indexed anchor column plus "step done / not done" conditions; no case outside the due set
is loaded, so the scan grows with the number of due items, not with the number of cases.

Each rule's "open while" and anchor are fixed here (``BRANCHES``); ``rules.toml`` repeats them in
comments. A rule whose anchor depends on the data has two branches, each on a plain indexed column:
``assignment_due`` counts from the decision, or for a criminal case notified by a court, procuratorate
or police (no decision recorded) from the notice; ``progress_stale`` counts from the later of the last
progress and the assignment.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Row,
    Select,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from legalaid.calendar import WorkCalendar
from legalaid.models import Case, ReminderSent
from legalaid.models.enums import CaseType, Decision
from legalaid.reminders.rules import LEVELS, CatchUp, Pending, Rule, catch_up, pending


@dataclass(frozen=True)
class Branch:
    """One way a rule finds its open cases: the anchor column and the conditions on the other steps."""

    anchor: InstrumentedAttribute[date | None] | InstrumentedAttribute[date]
    conditions: tuple[ColumnElement[bool], ...]
    open_while: str


BRANCHES: dict[str, tuple[Branch, ...]] = {
    "review_due": (
        Branch(
            Case.applied_on,
            (
                Case.decided_on.is_(None),
                Case.decision.is_(None),
                Case.assigned_on.is_(None),
                # A criminal case without a decision is a court's notice: assignment_due, 3 days, covers it.
                Case.case_type != CaseType.criminal,
            ),
            "applied, no decision, not assigned (not criminal)",
        ),
    ),
    "assignment_due": (
        Branch(
            Case.decided_on,
            (Case.decision == Decision.granted, Case.assigned_on.is_(None)),
            "granted, not assigned",
        ),
        Branch(
            Case.applied_on,
            (
                Case.case_type == CaseType.criminal,
                Case.decided_on.is_(None),
                Case.decision.is_(None),
                Case.assigned_on.is_(None),
            ),
            "criminal notice received (no decision), not assigned",
        ),
    ),
    "urgent_limitation": (
        Branch(
            Case.limitation_on,
            (Case.assigned_on.is_(None), or_(Case.decision.is_(None), Case.decision == Decision.granted)),
            "limitation date set, not assigned, not denied",
        ),
    ),
    "first_contact_due": (
        Branch(
            Case.assigned_on,
            (Case.first_contact_on.is_(None), Case.ended_on.is_(None)),
            "assigned, no first contact, not ended",
        ),
    ),
    "progress_stale": (
        Branch(
            Case.last_progress_on,
            (
                Case.ended_on.is_(None),
                Case.assigned_on.is_not(None),
                Case.last_progress_on >= Case.assigned_on,
            ),
            "assigned, not ended; counted from the last progress",
        ),
        Branch(
            Case.assigned_on,
            (
                Case.ended_on.is_(None),
                or_(Case.last_progress_on.is_(None), Case.last_progress_on < Case.assigned_on),
            ),
            "assigned, not ended, no progress since the assignment",
        ),
    ),
    "hearing_soon": (
        Branch(Case.next_hearing_on, (Case.ended_on.is_(None),), "next hearing set, not ended"),
    ),
    "closure_due": (
        Branch(
            Case.ended_on, (Case.closure_submitted_on.is_(None),), "ended, closure materials not submitted"
        ),
    ),
    "return_visit_due": (
        Branch(
            Case.closure_submitted_on,
            (Case.return_visit_on.is_(None),),
            "closure submitted, no return visit",
        ),
    ),
}


class DueItem(NamedTuple):
    """One case due for one threshold of one rule: what a digest line says and the ledger records.

    A named tuple, not a dataclass: a day's scan at a province's scale builds tens of thousands of them.
    """

    rule: str
    level: str
    case_id: int
    case_no: str
    applicant: str
    lawyer_id: int | None
    anchor: date
    deadline: date
    threshold: int
    superseded: tuple[int, ...]
    key: str  # the item's identity: ``<rule>:<case_no>:<anchor>:<threshold>``
    # Sent by the catch-up: every threshold fell before the lookback window, the step is still open.
    catch_up: bool = False

    def days_left(self, as_of: date) -> int:
        """Days from ``as_of`` to the deadline: negative when overdue."""
        return (self.deadline - as_of).days


_Row = tuple[int, int, str, str, int | None, date | None]
# rule, level, deadline, threshold, superseded thresholds, key with %s for the case number, catch-up
_PerAnchor = tuple[str, str, date, int, tuple[int, ...], str, bool]
FETCH_BATCH = 10_000


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a scan builds its items.

    Tens of thousands of new tuples set the collector off again and again, and each full pass walks every
    object of the process, the rows just fetched included: at a province's scale that is a third of the
    scan. Rows and items hold no cycles, so nothing is lost by collecting later. The collector is switched
    back on only if it was on (and another thread's pause ending first just lets it run again).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class _Part:
    rule: Rule
    level: str
    pending: dict[date, Pending]
    catch_up: CatchUp | None = None  # a catch-up part: its anchors are any date up to a last one

    def per_anchor(self, anchor: date, calendar: WorkCalendar) -> _PerAnchor:
        """A catch-up row's values, worked out when its anchor is first met (they are few)."""
        assert self.catch_up is not None
        due = self.catch_up
        deadline = self.rule.deadline(anchor, calendar)
        key = f"{self.rule.id}:%s:{anchor.isoformat()}:{due.threshold}"
        return (self.rule.id, self.level, deadline, due.threshold, due.superseded, key, True)


@dataclass(frozen=True)
class Selection:
    """The due-item query of one scan, and what is needed to read its rows back."""

    statement: CompoundSelect[*_Row] | Select[*_Row] | None
    parts: tuple[_Part, ...]
    calendar: WorkCalendar | None = None  # for the catch-up rows' deadlines

    def count_statement(self) -> Select[int]:
        """``SELECT count(*)`` of the same due set (what the benchmark calls the floor)."""
        if self.statement is None:
            return select(func.count()).select_from(select(Case.id).where(Case.id.is_(None)).subquery())
        return select(func.count()).select_from(self.statement.subquery())

    def items(self, session: Session, *, limit: int | None = None) -> list[DueItem]:
        """The due items; with ``limit``, only the first that many (a page's preview, not a scan)."""
        if self.statement is None:
            return []
        # Everything that depends only on the part and the anchor date, worked out once per date rather
        # than once per row: at a province's scale a scan reads tens of thousands of rows.
        per_anchor: list[dict[date, _PerAnchor]] = [
            {
                anchor: (
                    part.rule.id,
                    part.level,
                    due.deadline,
                    due.threshold,
                    due.superseded,
                    f"{part.rule.id}:%s:{anchor.isoformat()}:{due.threshold}",
                    False,
                )
                for anchor, due in part.pending.items()
            }
            for part in self.parts
        ]
        items: list[DueItem] = []
        # Core on the session's connection (plain rows, none of the ORM's per-row work), fetched a batch
        # at a time: row by row, the driver's per-call checks would cost more than the rows themselves.
        with _cycle_collector_paused():
            statement = self.statement if limit is None else self.statement.limit(limit)
            result = session.connection().execute(statement)
            for rows in result.partitions(FETCH_BATCH):
                items.extend(self._items(rows, per_anchor))
        return items

    def _items(
        self, rows: Sequence[Row[*_Row]], per_anchor: list[dict[date, _PerAnchor]]
    ) -> Iterator[DueItem]:
        for part_no, case_id, case_no, applicant, lawyer_id, anchor in rows:
            assert anchor is not None  # the WHERE clause holds it IN a list of dates, or up to a date
            values = per_anchor[part_no].get(anchor)
            if values is None:  # a catch-up part's anchor, met for the first time
                assert self.calendar is not None
                values = per_anchor[part_no][anchor] = self.parts[part_no].per_anchor(anchor, self.calendar)
            rule, level, deadline, threshold, superseded, key, caught_up = values
            yield DueItem(
                rule,
                level,
                case_id,
                case_no,
                applicant,
                lawyer_id,
                anchor,
                deadline,
                threshold,
                superseded,
                key % case_no,
                caught_up,
            )


def select_due(
    rules: Sequence[Rule], calendar: WorkCalendar, *, as_of: date, lookback_days: int
) -> Selection:
    """Build the due-item query for ``as_of`` (the calendar part runs here, the SQL part not yet).

    Besides the thresholds in the lookback window, each rule with a period deadline has a catch-up part
    (``rules.catch_up``): the open cases whose anchor is before every date the window covers, whose
    thresholds all fell before it, and whose last threshold the ledger does not hold. It is a range on
    the same anchor column with the same conditions and anti-join: what it reads is the open cases, not
    the finished ones, and once sent an item is in the ledger and never read back into a scan's items.
    """
    parts: list[_Part] = []
    selects = []
    for rule in rules:
        for level in LEVELS:
            due = pending(rule, level, calendar, as_of=as_of, lookback_days=lookback_days)
            if not due:
                continue
            part_no = len(parts)
            parts.append(_Part(rule, level, due))
            by_threshold: dict[int, list[date]] = defaultdict(list)
            for anchor, item in due.items():
                by_threshold[item.threshold].append(anchor)
            for threshold, anchors in sorted(by_threshold.items()):
                for branch in BRANCHES[rule.id]:
                    within = branch.anchor.in_(sorted(anchors))
                    selects.append(_branch_select(part_no, rule.id, level, branch, threshold, within))
        overdue = catch_up(rule, calendar, as_of=as_of, lookback_days=lookback_days)
        if overdue is not None:
            part_no = len(parts)
            parts.append(_Part(rule, overdue.level, {}, overdue))
            for branch in BRANCHES[rule.id]:
                before = branch.anchor <= overdue.last_anchor
                selects.append(
                    _branch_select(part_no, rule.id, overdue.level, branch, overdue.threshold, before)
                )
    if not selects:
        return Selection(None, ())
    statement = selects[0] if len(selects) == 1 else selects[0].union_all(*selects[1:])
    return Selection(statement, tuple(parts), calendar)


def _branch_select(
    part_no: int, rule_id: str, level: str, branch: Branch, threshold: int, anchors: ColumnElement[bool]
) -> Select[*_Row]:
    anchor = branch.anchor
    handled = exists().where(
        ReminderSent.case_id == Case.id,
        ReminderSent.rule == rule_id,
        ReminderSent.anchor == anchor,
        ReminderSent.level == level,
        # This threshold or a later one of the level is recorded (sent or superseded): nothing to do.
        ReminderSent.threshold >= threshold,
    )
    return select(
        # The part number rides along as an inlined integer, so each row says which rule and level it is.
        literal_column(str(part_no), Integer).label("part"),
        Case.id,
        Case.case_no,
        Case.applicant,
        Case.lawyer_id,
        anchor.label("anchor"),
    ).where(anchors, *branch.conditions, ~handled)


def due_items(
    session: Session, rules: Sequence[Rule], calendar: WorkCalendar, *, as_of: date, lookback_days: int
) -> list[DueItem]:
    """Every item due on ``as_of`` and not handled yet, in no particular order."""
    return select_due(rules, calendar, as_of=as_of, lookback_days=lookback_days).items(session)
