"""The catch-up on SQLite: open items whose thresholds all fell before the lookback window (a first import,
a scan that was down) are sent once, at the highest level they reached, marked overdue; the overdue list;
a scan that finds nothing says what was sent before."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import make_case, make_reminders_center, scan
from mailroom import digest_rows, outbox
from sqlalchemy import select

from cli import _common, main
from cli.demo.data import DEFAULT_AS_OF
from cli.demo.run import SEED_YEAR_START_MONTH, STEPS, run_demo
from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.models import ReminderSent
from legalaid.reminders import load_rules
from legalaid.reminders.overdue import overdue_items
from legalaid.reminders.rules import catch_up
from legalaid.reports.periods import period_containing
from legalaid.reports.timeliness import timeliness
from legalaid.runtime import Runtime, build_runtime

MONDAY = date(2012, 10, 15)  # the lookback window (14 days) starts on 2012-10-01
CONTACTED: dict[str, Any] = {
    "applied_on": date(2012, 5, 20),
    "assigned_on": date(2012, 6, 1),
    "first_contact_on": date(2012, 6, 2),
}


def _scenarios(rt: Runtime) -> None:
    """The issue's four: an escalation missed while the service was down (its reminder was sent), then,
    imported while it was down, no progress for 99 days, closure 68 days overdue, a return visit 19 days
    overdue."""
    with rt.transaction() as session:
        center = make_reminders_center(session)
        # Assigned 09-12: first contact due Monday 09-17, reminded that day; escalation day 09-18 missed.
        make_case(session, case_no="E-28", applied_on=date(2012, 9, 5), assigned_on=date(2012, 9, 12),
                  last_progress_on=date(2012, 10, 10), lawyer=center.lawyer_id)  # fmt: skip
    first = scan(rt, date(2012, 9, 17))
    assert [(r["case_no"], r["level"]) for r in first.rows] == [("E-28", "reminder")]
    with rt.transaction() as session:
        lawyer = center.lawyer_id
        # Progress on 07-08, 99 days ago: deadline 08-07 (69 days overdue), escalation day 09-06.
        make_case(session, case_no="P-99", last_progress_on=MONDAY - timedelta(days=99), lawyer=lawyer,
                  **CONTACTED)  # fmt: skip
        # Ended 07-09: closure due 08-08, 68 days ago; escalation day 08-09.
        make_case(session, case_no="C-68", ended_on=date(2012, 7, 9), last_progress_on=date(2012, 7, 9),
                  lawyer=lawyer, **CONTACTED)  # fmt: skip
        # Closure submitted 08-27: return visit due 09-26, 19 days ago; no escalation.
        make_case(session, case_no="R-19", ended_on=date(2012, 8, 1), closure_submitted_on=date(2012, 8, 27),
                  lawyer=lawyer, **CONTACTED)  # fmt: skip


def test_each_open_overdue_item_is_sent_once_at_its_level_marked_overdue(rt: Runtime) -> None:
    _scenarios(rt)
    report = scan(rt, MONDAY)  # the service comes back after four weeks down
    assert all(r["catch_up"] for r in report.rows)
    assert sorted(
        (r["case_no"], r["rule"], r["level"], r["threshold"], r["recipient"]) for r in report.rows
    ) == [
        ("C-68", "closure_due", "escalation", 1, "D1"),
        ("C-68", "closure_due", "escalation", 1, "H1"),
        ("E-28", "first_contact_due", "escalation", 1, "D1"),
        ("P-99", "progress_stale", "escalation", 30, "D1"),
        ("P-99", "progress_stale", "escalation", 30, "H1"),
        ("R-19", "return_visit_due", "reminder", 0, "S1"),
        ("R-19", "return_visit_due", "reminder", 0, "S2"),
    ]
    mail = {m.to_addrs[0]: m for m in outbox(rt) if m.idempotency_key.split(":")[1] == "2012-10-15"}
    director = digest_rows(mail["d1@mingli.example.cn"].body_text)
    assert [(row[0], row[5]) for row in director[1:]] == [
        ("P-99", "逾期69天（补发督办）"),
        ("C-68", "逾期68天（补发督办）"),
        ("E-28", "逾期28天（补发督办）"),
    ]
    assert "现补发一次" in mail["d1@mingli.example.cn"].body_text
    staff = digest_rows(mail["s1@center.example.cn"].body_text)
    assert staff[1][0] == "R-19" and staff[1][4] == "逾期19天（补发提醒）"
    # The first contact's reminder went out on 09-17; it is not repeated.
    assert "l1@mingli.example.cn" not in mail
    with rt.transaction() as session:
        ledger = session.execute(
            select(ReminderSent.rule, ReminderSent.threshold, ReminderSent.status).where(
                ReminderSent.as_of == MONDAY
            )
        ).all()
    assert sorted(ledger) == [
        ("closure_due", 1, "sent"),
        ("first_contact_due", 1, "sent"),
        ("progress_stale", 30, "sent"),
        ("return_visit_due", 0, "sent"),
    ]
    # The next days: nothing more, from the catch-up or from the daily scan.
    for day in (date(2012, 10, 16), date(2012, 10, 17), date(2012, 10, 22)):
        assert scan(rt, day).rows == []


def test_english_digests_mark_the_catch_up(tmp_path: object, rt: Runtime) -> None:
    other = build_runtime(Settings(data_dir=rt.settings.data_dir, locale="en"))
    try:
        _scenarios(other)
        scan(other, MONDAY)
    finally:
        other.dispose()
    staff = next(
        m for m in outbox(rt) if m.to_addrs == ["s1@center.example.cn"] and "10-15" in m.idempotency_key
    )
    assert digest_rows(staff.body_text)[1][4] == "19 days overdue (catch-up)"
    assert "sent once now" in staff.body_text and staff.body_html and "(catch-up)" in staff.body_html


def test_an_item_sent_by_the_daily_scan_is_not_caught_up(rt: Runtime) -> None:
    with rt.transaction() as session:
        center = make_reminders_center(session)
        make_case(session, case_no="C1", ended_on=date(2012, 7, 9), lawyer=center.lawyer_id, **CONTACTED)
    # The scan of D+1 sends the reminder (D) and the escalation, as usual.
    assert {r["level"] for r in scan(rt, date(2012, 8, 9)).rows} == {"reminder", "escalation"}
    assert scan(rt, MONDAY).rows == []  # still open, 68 days overdue: escalated already, once per anchor


def test_a_threshold_still_in_the_window_is_the_daily_scan_s_not_the_catch_up(rt: Runtime) -> None:
    with rt.transaction() as session:
        center = make_reminders_center(session)
        # Ended 08-31: closure due 09-30 → National Day → 10-08; D-10 (09-28) before the window, D and D+1
        # in it: the daily scan sends them, not the catch-up.
        make_case(session, case_no="C1", ended_on=date(2012, 8, 31), lawyer=center.lawyer_id, **CONTACTED)
    rows = scan(rt, MONDAY).rows
    assert {(r["level"], r["threshold"]) for r in rows} == {("reminder", 0), ("escalation", 1)}
    assert not any(r["catch_up"] for r in rows)
    mail = next(m for m in outbox(rt) if m.to_addrs == ["d1@mingli.example.cn"])
    assert "补发" not in mail.body_text


def test_fixed_dates_that_passed_are_not_overdue_work(rt: Runtime) -> None:
    rules = load_rules(rt.settings)
    calendar = WorkCalendar()
    assert catch_up(rules["hearing_soon"], calendar, as_of=MONDAY, lookback_days=14) is None
    assert catch_up(rules["urgent_limitation"], calendar, as_of=MONDAY, lookback_days=14) is None
    with rt.transaction() as session:
        center = make_reminders_center(session)
        make_case(session, case_no="H1", next_hearing_on=date(2012, 8, 1),
                  last_progress_on=date(2012, 10, 10), lawyer=center.lawyer_id, **CONTACTED)  # fmt: skip
        make_case(session, case_no="L1", applied_on=date(2012, 10, 12), decided_on=date(2012, 10, 12),
                  assigned_on=date(2012, 10, 12), first_contact_on=date(2012, 10, 13),
                  limitation_on=date(2012, 7, 1))  # fmt: skip
    assert scan(rt, MONDAY).rows == []


def test_a_first_import_of_ten_years_yields_what_is_still_open_and_overdue(rt: Runtime) -> None:
    with rt.transaction() as session:
        center = make_reminders_center(session)
        lawyer = center.lawyer_id
        start = date(2002, 10, 1)
        for n in range(300):  # ten years of finished cases: every step done
            on = start + timedelta(days=n * 12)
            make_case(session, case_no=f"OLD-{n:03d}", applied_on=on, decided_on=on + timedelta(days=2),
                      assigned_on=on + timedelta(days=3), first_contact_on=on + timedelta(days=5),
                      last_progress_on=on + timedelta(days=20), ended_on=on + timedelta(days=60),
                      closure_submitted_on=on + timedelta(days=70), return_visit_on=on + timedelta(days=80),
                      lawyer=lawyer)  # fmt: skip
        # Still open: closure materials missing since 2009, a review never decided, a case with no progress.
        make_case(session, case_no="OPEN-1", ended_on=date(2009, 3, 2), lawyer=lawyer, **CONTACTED)
        make_case(session, case_no="OPEN-2", applied_on=date(2011, 6, 1))
        make_case(session, case_no="OPEN-3", last_progress_on=date(2012, 3, 1), lawyer=lawyer, **CONTACTED)
    report = scan(rt, MONDAY)
    assert {r["level"] for r in report.rows} == {"escalation"} and all(r["catch_up"] for r in report.rows)
    items = {(r["case_no"], r["rule"]) for r in report.rows}
    assert items == {
        ("OPEN-1", "closure_due"),
        ("OPEN-2", "review_due"),
        ("OPEN-3", "progress_stale"),
    }
    # One escalation digest each for the firm's director and the head; nothing for 300 finished cases.
    assert sorted(m.to_addrs[0] for m in outbox(rt)) == ["d1@mingli.example.cn", "h1@center.example.cn"]
    with rt.transaction() as session:
        listed = overdue_items(session, load_rules(rt.settings), WorkCalendar(), on=MONDAY)
    assert {(i.case_no, i.rule) for i in listed} == items
    assert scan(rt, date(2012, 10, 16)).rows == []


def test_a_scan_that_finds_nothing_says_what_was_sent_before(
    rt: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    with rt.transaction() as session:
        make_reminders_center(session)
        make_case(session, case_no="C1", applied_on=date(2012, 10, 10))
        make_case(session, case_no="C2", applied_on=date(2012, 10, 10))
    assert main(["reminders", "run", "--as-of", "2012-10-15"]) == 0
    capsys.readouterr()
    assert main(["reminders", "run", "--as-of", "2012-10-15", "--dry-run"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "0 item(s) due" in out
    assert "nothing new: 2 item(s) for 2012-10-15 were sent before, the last at 20" in out
    assert "+08:00" in out
    assert main(["reminders", "run", "--as-of", "2012-10-15", "--dry-run", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == [] and "were sent before" in captured.err
    assert main(["reminders", "run", "--as-of", "2012-10-22", "--dry-run"]) == 0
    assert "sent before" not in capsys.readouterr().out  # nothing due and nothing sent: no such line


def test_the_overdue_command_groups_by_the_person_who_must_act(
    rt: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    _scenarios(rt)
    scan(rt, MONDAY)  # reminded or not, the items are late: the list shows them all
    assert main(["reminders", "overdue", "--as-of", "2012-10-15", "--json"]) == 0
    groups = json.loads(capsys.readouterr().out)
    assert [(g["role"], g["person"], g["name"]) for g in groups] == [
        ("lawyer", "L1", "王律师"),
        ("center_staff", None, "center staff"),
    ]
    assert [(i["case_no"], i["rule"], i["deadline"], i["days_overdue"]) for i in groups[0]["items"]] == [
        ("P-99", "progress_stale", "2012-08-07", 69),
        ("C-68", "closure_due", "2012-08-08", 68),
        ("E-28", "first_contact_due", "2012-09-17", 28),
    ]
    assert [(i["case_no"], i["days_overdue"]) for i in groups[1]["items"]] == [("R-19", 19)]
    assert main(["reminders", "overdue", "--as-of", "2012-10-15"]) == 0
    out = capsys.readouterr().out
    assert "L1 王律师 (lawyer): 3 overdue" in out and "center staff (center_staff): 1 overdue" in out
    assert "2012-10-15: 4 overdue open item(s)" in out
    assert main(["reminders", "overdue", "--as-of", "2012-09-01", "--json"]) == 0
    early = json.loads(capsys.readouterr().out)
    assert [(i["case_no"], i["days_overdue"]) for g in early for i in g["items"]] == [
        ("P-99", 25),
        ("C-68", 24),
    ]  # on 09-01 the return visit and the first contact were not due yet
    assert main(["reminders", "overdue", "--as-of", "2012-02-30"]) == 2


def test_on_the_demo_center_the_list_matches_the_annual_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``reminders overdue --json`` per rule equals the annual report's 逾期未办 figures for the same day:
    the demo date, and the last day of the demo's statistical year."""
    settings = Settings(data_dir=tmp_path / "var")
    run_demo(settings, steps=[step for step in STEPS if step.name in ("schema", "files", "import")])
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(settings.data_dir))
    _common.reset_runtime()
    rt = build_runtime(settings)
    try:
        rules = load_rules(settings)
        calendar = WorkCalendar.from_settings(settings)
        for day in (DEFAULT_AS_OF, DEFAULT_AS_OF - timedelta(days=1)):
            period = period_containing(day, "year", start_month=SEED_YEAR_START_MONTH)
            assert period.end >= day  # the report counts on min(period end, as of): this day
            with rt.transaction() as session:
                figures = timeliness(session, period, rules, calendar, as_of=day).overdue
            assert main(["reminders", "overdue", "--as-of", day.isoformat(), "--json"]) == 0
            groups = json.loads(capsys.readouterr().out)
            listed = Counter(item["rule"] for group in groups for item in group["items"])
            assert {rule: listed.get(rule, 0) for rule in figures} == figures
            assert sum(figures.values()) > 0  # the demo has overdue work to compare
    finally:
        rt.dispose()
        _common.reset_runtime()
