"""The Today page's bounded reads of the reminders: ``run_reminders(..., dry_run=True, limit=N)`` gives the
first N due items and says whether there are more (without counting them all); ``overdue_counts`` counts in
SQL what ``overdue_items`` lists, both through ``overdue_parts``, which must select exactly what the whole
conditions (the report's) select, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from builders import make_case, make_reminders_center
from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.models import Case
from legalaid.models.enums import Decision
from legalaid.reminders.overdue import overdue_conditions, overdue_counts, overdue_items
from legalaid.reminders.rules import load_rules
from legalaid.reminders.run import run_reminders
from legalaid.runtime import Runtime

MONDAY = date(2012, 10, 8)


@pytest.fixture
def center(rt: Runtime) -> Runtime:
    with rt.transaction() as session:
        people = make_reminders_center(session)
        for n in range(6):  # assigned long ago, never contacted: due, and overdue
            make_case(session, case_no=f"2012民援第{n + 1:03d}号", decided_on=date(2012, 8, 1 + n),
                      assigned_on=date(2012, 8, 2 + n), lawyer=people.lawyer_id)  # fmt: skip
    return rt


def test_a_limited_dry_run_shows_the_first_and_says_there_are_more(center: Runtime) -> None:
    with center.sessions() as session:
        whole = run_reminders(session, center.settings, as_of=MONDAY, dry_run=True)
        first = run_reminders(session, center.settings, as_of=MONDAY, dry_run=True, limit=2)
        keys = {line.item.key for line in whole.lines}
        exact = run_reminders(session, center.settings, as_of=MONDAY, dry_run=True, limit=len(keys))
    assert len(keys) > 2 and not whole.due_more
    shown = {line.item.key for line in first.lines}
    assert first.due_more and len(shown) == 2 and shown <= keys
    # Exactly as many as the limit: nothing more (the one extra row read is not there).
    assert not exact.due_more and {line.item.key for line in exact.lines} == keys
    with center.sessions() as session, pytest.raises(ValueError):
        run_reminders(session, center.settings, as_of=MONDAY, limit=2)


def test_overdue_counts_agree_with_the_items(center: Runtime) -> None:
    rules = load_rules(center.settings)
    calendar = WorkCalendar.from_settings(center.settings)
    with center.sessions() as session:
        items = overdue_items(session, rules, calendar, on=MONDAY)
        counted, people = overdue_counts(session, rules, calendar, on=MONDAY, limit=100)
        assert overdue_counts(session, rules, calendar, on=MONDAY, limit=1)[0] == counted[:1]
    expected = Counter((i.role, i.person, i.person_name) for i in items)
    assert items and people == len(expected)
    assert {(c.role, c.person, c.person_name): c.overdue for c in counted} == dict(expected)
    worst = {(c.role, c.person): c.worst for c in counted}
    for item in items:
        assert item.days_overdue <= worst[(item.role, item.person)]


def _changed_since(session: Session, lawyer: int) -> None:
    """Cases whose steps were recorded after MONDAY, or whose decision has no date: overdue on MONDAY as
    they stood then, though finished or different now (the part ``overdue_parts`` reads through the
    steps' indexes), beside cases open now that were not open then."""
    late = date(2012, 10, 20)
    make_case(session, case_no="后来联系", decided_on=date(2012, 8, 1), assigned_on=date(2012, 8, 2),
              first_contact_on=late, lawyer=lawyer)  # fmt: skip
    make_case(session, case_no="后来结案材料", decided_on=date(2012, 3, 1), assigned_on=date(2012, 3, 2),
              first_contact_on=date(2012, 3, 3), last_progress_on=date(2012, 8, 1), ended_on=date(2012, 8, 1),
              closure_submitted_on=late, lawyer=lawyer)  # fmt: skip
    make_case(session, case_no="后来指派", decided_on=date(2012, 9, 1), assigned_on=late, lawyer=lawyer)
    make_case(session, case_no="后来决定", applied_on=date(2012, 9, 3), decided_on=late)
    make_case(session, case_no="决定无日期", applied_on=date(2012, 9, 3), decision=Decision.granted)
    make_case(session, case_no="后来回访", decided_on=date(2012, 3, 1), assigned_on=date(2012, 3, 2),
              first_contact_on=date(2012, 3, 3), last_progress_on=date(2012, 5, 1), ended_on=date(2012, 5, 1),
              closure_submitted_on=date(2012, 5, 2), return_visit_on=late, lawyer=lawyer)  # fmt: skip
    make_case(session, case_no="之后才办", decided_on=date(2012, 10, 10), assigned_on=date(2012, 10, 11),
              lawyer=lawyer)  # fmt: skip


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def test_the_parts_select_what_the_whole_conditions_select(
    database: str, request: pytest.FixtureRequest
) -> None:
    runtime: Runtime = request.getfixturevalue("rt" if database == "sqlite" else "pg_rt")
    with runtime.transaction() as session:
        people = make_reminders_center(session)
        _changed_since(session, people.lawyer_id)
    rules = load_rules(runtime.settings)
    calendar = WorkCalendar.from_settings(runtime.settings)
    with runtime.sessions() as session:
        for on in (MONDAY, date(2012, 10, 25)):
            whole = {
                (rule_id, case_no)
                for rule_id, branches in overdue_conditions(rules, calendar, on=on).items()
                for _anchor, condition in branches
                for case_no in session.scalars(select(Case.case_no).where(condition))
            }
            items = overdue_items(session, rules, calendar, on=on)
            assert {(item.rule, item.case_no) for item in items} == whole
            assert len(items) == len(whole)  # each item once: the two parts do not overlap
            counted, _people = overdue_counts(session, rules, calendar, on=on, limit=100)
            assert sum(c.overdue for c in counted) == len(whole)
        then = {(i.rule, i.case_no) for i in overdue_items(session, rules, calendar, on=MONDAY)}
        now = {(i.rule, i.case_no) for i in overdue_items(session, rules, calendar, on=date(2012, 10, 25))}
    # On MONDAY the steps recorded later read as not done yet: these were overdue then, and are done now.
    assert {
        ("first_contact_due", "后来联系"),
        ("assignment_due", "后来指派"),
        ("closure_due", "后来结案材料"),
        ("return_visit_due", "后来回访"),
    } <= then - now
    # A decision recorded after MONDAY, or with no date at all, reads as none: the review was late then.
    assert {("review_due", "后来决定"), ("review_due", "决定无日期")} <= then
