"""The Today page's bounded reads of the reminders: ``run_reminders(..., dry_run=True, limit=N)`` gives the
first N due items and counts them all; ``overdue_counts`` counts in SQL what ``overdue_items`` lists."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from builders import make_case, make_reminders_center

from legalaid.calendar import WorkCalendar
from legalaid.reminders.overdue import overdue_counts, overdue_items
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


def test_a_limited_dry_run_shows_the_first_and_counts_all(center: Runtime) -> None:
    with center.sessions() as session:
        whole = run_reminders(session, center.settings, as_of=MONDAY, dry_run=True)
        first = run_reminders(session, center.settings, as_of=MONDAY, dry_run=True, limit=2)
    keys = {line.item.key for line in whole.lines}
    assert len(keys) > 2 and whole.due_total is None
    assert first.due_total == len(keys) and len({line.item.key for line in first.lines}) == 2
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
