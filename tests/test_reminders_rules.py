"""Each rule at each threshold, scanned day by day around a weekend, the 2012 National Day holiday
(2012-09-30 … 10-07) and its 调休 working Saturday (2012-09-29); and the rule book itself.

The table gives a case's steps, its deadline, the day each threshold is sent and the thresholds recorded
as superseded. Every day of the window is scanned (days off included, which send nothing), so the test
also shows that nothing is sent twice or on a wrong day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import make_case, make_reminders_center, scan
from sqlalchemy import select

from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.errors import UserError
from legalaid.models import ReminderSent
from legalaid.models.enums import CaseType
from legalaid.reminders import RULE_IDS, load_rules, load_rules_file
from legalaid.reminders.digest import days_text, shorten_name
from legalaid.reminders.rules import SHIPPED_RULES, pending, threshold_label
from legalaid.runtime import Runtime


def d(month_day: str) -> date:
    month, day = month_day.split("-")
    return date(2012, int(month), int(day))


@dataclass(frozen=True)
class Case:
    id: str
    rule: str
    steps: dict[str, Any]
    deadline: str
    sent: dict[str, str]  # day → threshold label sent that day
    superseded: tuple[str, ...] = ()
    window: tuple[str, str] = ("09-24", "10-19")
    case_type: CaseType = CaseType.civil
    extra: dict[str, Any] = field(default_factory=dict)


ASSIGNED = {"applied_on": "08-01", "decided_on": "08-02", "assigned_on": "08-03", "first_contact_on": "08-04"}

CASES = [
    # review_due: 7 days from the application; staff 2 days before and on the day, the head the day after.
    Case("review-plain-week", "review_due", {"applied_on": "10-10"}, "10-17",
         {"10-15": "D-2", "10-17": "D", "10-18": "D+1"}),
    Case("review-ends-in-national-day", "review_due", {"applied_on": "09-24"}, "10-08",
         {"10-08": "D", "10-09": "D+1"}, superseded=("D-2",)),
    Case("review-ends-on-working-saturday", "review_due", {"applied_on": "09-22"}, "09-29",
         {"09-27": "D-2", "09-29": "D", "10-08": "D+1"}),
    Case("review-ends-on-a-weekend", "review_due", {"applied_on": "10-06"}, "10-15",
         {"10-15": "D", "10-16": "D+1"}, superseded=("D-2",)),
    # assignment_due: 3 days from the decision (or a criminal notice); staff on the day, the head after.
    Case("assign-ends-on-working-saturday", "assignment_due", {"applied_on": "09-20", "decided_on": "09-26"},
         "09-29", {"09-29": "D", "10-08": "D+1"}),
    Case("assign-ends-in-national-day", "assignment_due", {"applied_on": "09-20", "decided_on": "09-27"},
         "10-08", {"10-08": "D", "10-09": "D+1"}),
    Case("assign-criminal-notice-weekend", "assignment_due", {"applied_on": "10-10"}, "10-15",
         {"10-15": "D", "10-16": "D+1"}, case_type=CaseType.criminal),
    # urgent_limitation: a fixed date; 6 (the first day under 7), 3 and 1 days before, to staff and head.
    Case("limitation-plain", "urgent_limitation", {"applied_on": "10-08", "limitation_on": "10-19"}, "10-19",
         {"10-12": "D-6", "10-16": "D-3", "10-18": "D-1"}, window=("10-08", "10-24")),
    Case("limitation-after-national-day", "urgent_limitation",
         {"applied_on": "09-26", "limitation_on": "10-08"}, "10-08", {"09-29": "D-1"},
         superseded=("D-6", "D-3")),
    Case("limitation-seen-late-sends-at-once", "urgent_limitation",
         {"applied_on": "10-15", "limitation_on": "10-17"}, "10-17", {"10-16": "D-1"},
         superseded=("D-6", "D-3"), window=("10-16", "10-19")),
    # first_contact_due: 5 days from the assignment; the lawyer on the day, the firm's director after.
    Case("contact-ends-in-national-day", "first_contact_due",
         {"applied_on": "09-20", "decided_on": "09-21", "assigned_on": "09-26"}, "10-08",
         {"10-08": "D", "10-09": "D+1"}),
    Case("contact-ends-on-working-saturday", "first_contact_due",
         {"applied_on": "09-20", "decided_on": "09-21", "assigned_on": "09-24"}, "09-29",
         {"09-29": "D", "10-08": "D+1"}),
    Case("contact-ends-on-a-weekend", "first_contact_due",
         {"applied_on": "10-08", "decided_on": "10-09", "assigned_on": "10-10"}, "10-15",
         {"10-15": "D", "10-16": "D+1"}),
    # progress_stale: 30 days without progress to the lawyer; 30 days later the director and the head.
    Case("stale-ends-on-working-saturday", "progress_stale", {**ASSIGNED, "last_progress_on": "08-30"},
         "09-29", {"09-29": "D", "10-29": "D+30"}, window=("09-24", "10-31")),
    Case("stale-ends-in-national-day", "progress_stale", {**ASSIGNED, "last_progress_on": "09-01"},
         "10-08", {"10-08": "D", "11-07": "D+30"}, window=("09-24", "11-09")),
    Case("stale-since-assignment-weekend", "progress_stale",
         {"applied_on": "09-10", "decided_on": "09-12", "assigned_on": "09-14", "first_contact_on": "09-14"},
         "10-15", {"10-15": "D", "11-14": "D+30"}, window=("10-08", "11-16")),
    # hearing_soon: a fixed date; 3 and 1 days before, a day off moving the reminder earlier.
    Case("hearing-after-national-day", "hearing_soon", {**ASSIGNED, "next_hearing_on": "10-08"}, "10-08",
         {"09-29": "D-1"}, superseded=("D-3",)),
    Case("hearing-tuesday-after-weekend", "hearing_soon", {**ASSIGNED, "next_hearing_on": "10-16"}, "10-16",
         {"10-12": "D-3", "10-15": "D-1"}),
    Case("hearing-monday", "hearing_soon", {**ASSIGNED, "next_hearing_on": "10-15"}, "10-15",
         {"10-12": "D-1"}, superseded=("D-3",)),
    Case("hearing-tuesday-after-national-day", "hearing_soon", {**ASSIGNED, "next_hearing_on": "10-09"},
         "10-09", {"09-29": "D-3", "10-08": "D-1"}),
    # closure_due: 30 days from the end; the lawyer 10 and 3 days before and on the day, then escalation.
    Case("closure-ends-after-national-day", "closure_due", {**ASSIGNED, "ended_on": "09-08"}, "10-08",
         {"09-28": "D-10", "10-08": "D", "10-09": "D+1"}, superseded=("D-3",)),
    Case("closure-ends-on-a-monday", "closure_due", {**ASSIGNED, "ended_on": "09-15"}, "10-15",
         {"10-08": "D-10", "10-12": "D-3", "10-15": "D", "10-16": "D+1"}),
    # return_visit_due: 30 days from the closure materials; the staff on the day.
    Case("visit-ends-in-national-day", "return_visit_due",
         {**ASSIGNED, "ended_on": "08-20", "closure_submitted_on": "09-01"}, "10-08", {"10-08": "D"}),
    Case("visit-ends-on-working-saturday", "return_visit_due",
         {**ASSIGNED, "ended_on": "08-20", "closure_submitted_on": "08-30"}, "09-29", {"09-29": "D"}),
    Case("visit-ends-on-a-weekend", "return_visit_due",
         {**ASSIGNED, "ended_on": "08-20", "closure_submitted_on": "09-14"}, "10-15", {"10-15": "D"}),
]  # fmt: skip

RECIPIENTS = {
    ("review_due", "reminder"): {"S1", "S2"},
    ("review_due", "escalation"): {"H1"},
    ("assignment_due", "reminder"): {"S1", "S2"},
    ("assignment_due", "escalation"): {"H1"},
    ("urgent_limitation", "reminder"): {"S1", "S2", "H1"},
    ("first_contact_due", "reminder"): {"L1"},
    ("first_contact_due", "escalation"): {"D1"},
    ("progress_stale", "reminder"): {"L1"},
    ("progress_stale", "escalation"): {"D1", "H1"},
    ("hearing_soon", "reminder"): {"L1"},
    ("closure_due", "reminder"): {"L1"},
    ("closure_due", "escalation"): {"D1", "H1"},
    ("return_visit_due", "reminder"): {"S1", "S2"},
}


def test_the_table_covers_every_rule_and_threshold() -> None:
    rules = load_rules_file(SHIPPED_RULES)
    for rule in rules.values():
        labels = {threshold_label(t) for level in ("reminder", "escalation") for t in rule.offsets(level)}
        covered = {label for case in CASES if case.rule == rule.id for label in case.sent.values()}
        covered |= {label for case in CASES if case.rule == rule.id for label in case.superseded}
        assert labels <= covered, f"{rule.id}: no case for {sorted(labels - covered)}"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_rule_at_each_threshold(rt: Runtime, case: Case) -> None:
    with rt.transaction() as session:
        center = make_reminders_center(session)
        steps = {name: d(value) for name, value in case.steps.items()}
        needs_lawyer = "assigned_on" in steps
        created = make_case(
            session, case_type=case.case_type, lawyer=center.lawyer_id if needs_lawyer else None, **steps
        )
        case_no = created.case_no

    sent: dict[str, str] = {}
    start, end = d(case.window[0]), d(case.window[1])
    day = start
    while day <= end:
        report = scan(rt, day)
        rows = [r for r in report.rows if r["case_no"] == case_no and r["rule"] == case.rule]
        if rows:
            labels = {threshold_label(r["threshold"]) for r in rows}
            assert len(labels) == 1, f"{day}: two thresholds at once: {labels}"
            label = labels.pop()
            assert f"{day:%m-%d}" not in sent
            sent[f"{day:%m-%d}"] = label
            assert {r["deadline"] for r in rows} == {d(case.deadline)}
            level = rows[0]["level"]
            assert {r["recipient"] for r in rows} == RECIPIENTS[(case.rule, level)]
            assert all(r["delivery"] == "queued" for r in rows)
        day += timedelta(days=1)
    assert sent == case.sent

    with rt.transaction() as session:
        ledger = session.execute(
            select(ReminderSent.threshold, ReminderSent.status).where(ReminderSent.rule == case.rule)
        ).all()
    assert {threshold_label(t) for t, status in ledger if status == "superseded"} == set(case.superseded)
    assert {threshold_label(t) for t, status in ledger if status == "sent"} == set(case.sent.values())


def test_a_criminal_notice_is_not_a_review(rt: Runtime) -> None:
    """A criminal case without a decision is a court's notice: assign within 3 days, no 7-day review."""
    with rt.transaction() as session:
        make_reminders_center(session)
        make_case(session, case_type=CaseType.criminal, applied_on=d("10-10"))
    rules = {row["rule"] for day in ("10-15", "10-16", "10-17", "10-18") for row in scan(rt, d(day)).rows}
    assert rules == {"assignment_due"}


# The rule book -------------------------------------------------------------------------------------------


def test_the_shipped_rules_document_every_rule() -> None:
    rules = load_rules(Settings())
    assert tuple(rules) == RULE_IDS
    for rule in rules.values():
        assert rule.basis_zh.startswith("《") and "法" in rule.basis_zh
        assert rule.basis_en and rule.title_zh and rule.title_en
        assert rule.remind or rule.escalate
    assert rules["review_due"].offsets("reminder") == (-2, 0)
    assert rules["progress_stale"].offsets("escalation") == (30,)


def test_a_rules_file_replaces_keys_rule_by_rule(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[rules.closure_due]\ndays = 15\nremind_before = [5, 0]\n", encoding="utf-8")
    rules = load_rules(Settings(reminder_rules_file=path))
    assert rules["closure_due"].days == 15
    assert rules["closure_due"].offsets("reminder") == (-5, 0)
    assert rules["closure_due"].escalate == ("firm_director", "center_head")  # kept from the shipped file
    assert rules["review_due"].days == 7


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[rules.no_such_rule]\ndays = 1\n", "rule 'no_such_rule': unknown rule (known: review_due,"),
        (
            "[rules.review_due]\ndays = 'seven'\n",
            "rule 'review_due': days must be a whole number, not 'seven'",
        ),
        ("[rules.review_due]\ndays = true\n", "rule 'review_due': days must be a whole number, not True"),
        ("[rules.review_due]\nremind = ['boss']\n", "remind: unknown recipient 'boss' (known: center_staff,"),
        ("[rules.review_due]\ndeadline = 'soon'\n", 'deadline must be "period" or "date", not \'soon\''),
        (
            "[rules.review_due]\nescalate_after = [0]\n",
            "escalate_after counts days after the deadline, from 1",
        ),
        ("[rules.review_due]\nremind_before = [2, 2]\n", "remind_before lists a day twice: [2, 2]"),
        ("[rules.review_due]\ncolour = 'red'\n", "rule 'review_due': unknown key 'colour'"),
        ("[rules.review_due]\nescalate = []\n", "escalate names nobody, but there are thresholds for it"),
        ("days = 1\n", "unknown key 'days' (the rules are [rules.<id>] tables)"),
        ("[rules.review_due\n", "not valid TOML"),
    ],
)
def test_a_bad_rules_file_is_one_line_naming_it(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load_rules(Settings(reminder_rules_file=path))
    assert str(caught.value).startswith(f"{path}:")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_rules_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such reminder rules file"):
        load_rules(Settings(reminder_rules_file=tmp_path / "nope.toml"))


def test_a_disabled_rule_is_never_due() -> None:
    rules = load_rules_file(SHIPPED_RULES)
    off = rules["review_due"].__class__(**{**rules["review_due"].__dict__, "enabled": False})
    assert pending(off, "reminder", WorkCalendar(), as_of=d("10-17"), lookback_days=14) == {}


@pytest.mark.parametrize(("lookback", "due"), [(14, {}), (21, {"reminder": 0, "escalation": 1})])
def test_a_threshold_older_than_the_lookback_is_history(lookback: int, due: dict[str, int]) -> None:
    """Applied 09-10: deadline 09-17, escalation 09-18, 20 days before the scan of 10-08."""
    rule = load_rules_file(SHIPPED_RULES)["review_due"]
    found = {}
    for level in ("reminder", "escalation"):
        item = pending(rule, level, WorkCalendar(), as_of=d("10-08"), lookback_days=lookback).get(d("09-10"))
        if item is not None:
            assert item.deadline == d("09-17")
            found[level] = item.threshold
    assert found == due


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("王小明", "王*明"),
        ("王明", "王*"),
        ("欧阳小明", "欧**明"),
        ("王", "王"),
        ("John Smith", "J*******h"),
        ("", ""),
    ],
)
def test_applicant_names_are_shortened(name: str, short: str) -> None:
    assert shorten_name(name) == short


@pytest.mark.parametrize(
    ("days", "zh", "en"),
    [(2, "剩2天", "2 days left"), (1, "剩1天", "1 day left"), (0, "今日到期", "due today"),
     (-1, "逾期1天", "1 day overdue"), (-9, "逾期9天", "9 days overdue")],
)  # fmt: skip
def test_days_left_or_overdue(days: int, zh: str, en: str) -> None:
    assert (days_text(days, "zh_CN"), days_text(days, "en")) == (zh, en)
