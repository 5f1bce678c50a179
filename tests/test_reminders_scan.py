"""The scan on SQLite: once per item however often it runs, anchors that move, steps that get done,
people who cannot be reached, digests as people read them, the dry run and the command line."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from builders import make_case, make_person, make_reminders_center, scan
from mailroom import digest_rows, outbox
from readback import table_counts
from sqlalchemy import select, update

from cli import main
from legalaid.config import Settings
from legalaid.models import Case, Person, ReminderDelivery, ReminderSent
from legalaid.models.enums import Role
from legalaid.runtime import Runtime, build_runtime

MONDAY = date(2012, 10, 15)


def test_two_scans_the_same_day_send_each_item_once(rt: Runtime) -> None:
    with rt.transaction() as session:
        center = make_reminders_center(session)
        make_case(session, applied_on=date(2012, 10, 10))  # review: D-2 on Monday 10-15
        make_case(session, assigned_on=date(2012, 10, 10), lawyer=center.lawyer_id)  # first contact D
    first = scan(rt, MONDAY)
    assert {(r["rule"], r["recipient"]) for r in first.rows} == {
        ("review_due", "S1"),
        ("review_due", "S2"),
        ("first_contact_due", "L1"),
    }
    sent = table_counts(rt)
    second = scan(rt, MONDAY)
    assert second.rows == [] and second.outbox_ids == []
    assert table_counts(rt) == sent
    assert len(outbox(rt)) == 3  # S1, S2, L1


def test_digests_written_in_several_inserts_each_point_at_their_own_row(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("legalaid.reminders.run.DIGESTS_PER_INSERT", 2)  # 3 digests: inserts of 2 and 1
    with rt.transaction() as session:
        center = make_reminders_center(session)
        make_case(session, applied_on=date(2012, 10, 10))
        make_case(session, assigned_on=date(2012, 10, 10), lawyer=center.lawyer_id)
    report = scan(rt, MONDAY)
    rows = {row.id: row for row in outbox(rt)}
    assert sorted(report.outbox_ids) == sorted(rows) and len(rows) == 3
    for line in report.rows:
        recipient = _person_email(rt, line["recipient"])
        assert rows[line["outbox_id"]].to_addrs == [recipient]


def _person_email(rt: Runtime, code: str) -> str:
    with rt.transaction() as session:
        return str(session.scalar(select(Person.email).where(Person.code == code)))


def test_a_later_scan_the_same_day_mails_only_what_is_new_under_a_new_key(rt: Runtime) -> None:
    with rt.transaction() as session:
        make_reminders_center(session)
        make_case(session, case_no="A", applied_on=date(2012, 10, 10))
    morning = scan(rt, MONDAY)
    with rt.transaction() as session:
        make_case(session, case_no="B", applied_on=date(2012, 10, 10))  # entered at noon
    afternoon = scan(rt, MONDAY)
    assert {r["case_no"] for r in morning.rows} == {"A"}
    assert {r["case_no"] for r in afternoon.rows} == {"B"}
    keys = [m.idempotency_key for m in outbox(rt) if ":S1:" in m.idempotency_key]
    assert len(keys) == 2 and keys[0] != keys[1]
    assert all(re.fullmatch(r"reminder-digest:2012-10-15:S1:[0-9a-f]{16}", key) for key in keys)


def test_new_progress_starts_the_thresholds_again(rt: Runtime) -> None:
    with rt.transaction() as session:
        center = make_reminders_center(session)
        case = make_case(
            session,
            assigned_on=date(2012, 8, 1),
            first_contact_on=date(2012, 8, 2),
            last_progress_on=date(2012, 9, 14),
            lawyer=center.lawyer_id,
        )
        case_id = case.id
    assert [r["deadline"] for r in scan(rt, MONDAY).rows] == [MONDAY]  # 30 days: Sunday 10-14 → Monday
    with rt.transaction() as session:
        session.execute(update(Case).where(Case.id == case_id).values(last_progress_on=date(2012, 9, 20)))
    for day in range(16, 20):
        assert scan(rt, date(2012, 10, day)).rows == []
    again = scan(rt, date(2012, 10, 22))  # 09-20 + 30 = Saturday 10-20 → Monday 10-22
    assert [(r["rule"], r["anchor"], r["threshold"], r["deadline"]) for r in again.rows] == [
        ("progress_stale", date(2012, 9, 20), 0, date(2012, 10, 22))
    ]
    with rt.transaction() as session:
        ledger = session.execute(select(ReminderSent.anchor, ReminderSent.threshold)).all()
    assert sorted(ledger) == [(date(2012, 9, 14), 0), (date(2012, 9, 20), 0)]


def test_a_step_done_stops_its_reminders(rt: Runtime) -> None:
    with rt.transaction() as session:
        make_reminders_center(session)
        case = make_case(session, applied_on=date(2012, 10, 10))
        case_id = case.id
    assert scan(rt, MONDAY).rows  # D-2
    with rt.transaction() as session:
        session.execute(update(Case).where(Case.id == case_id).values(decided_on=date(2012, 10, 16)))
    assert scan(rt, date(2012, 10, 17)).rows == []  # the deadline, but decided: nothing
    assert scan(rt, date(2012, 10, 18)).rows == []  # and no escalation


def test_a_day_off_sends_nothing_and_says_when(rt: Runtime) -> None:
    with rt.transaction() as session:
        make_reminders_center(session)
        make_case(session, applied_on=date(2012, 9, 24))
    report = scan(rt, date(2012, 10, 3))
    assert (report.working_day, report.holiday_name, report.next_working_day) == (
        False,
        "国庆节",
        date(2012, 10, 8),
    )
    assert report.rows == [] and outbox(rt) == []


def test_people_who_cannot_be_reached_are_reported_to_the_staff(rt: Runtime) -> None:
    with rt.transaction() as session:
        center = make_reminders_center(session)
        no_email = make_person(session, "L2", name="李律师", firm=center.firm_id)
        gone = make_person(session, "L3", name="孙律师", email="sun@x.cn", firm=center.firm_id, active=False)
        firm = make_person(session, "L4", name="钱律师", email="qian@x.cn")  # no firm, so no director
        assigned = {"assigned_on": date(2012, 10, 10), "applied_on": date(2012, 10, 8)}
        make_case(session, case_no="C-NOEMAIL", applicant="张小三", lawyer=no_email.id, **assigned)
        make_case(session, case_no="C-INACTIVE", applicant="李四", lawyer=gone.id, **assigned)
        make_case(session, case_no="C-NOLAWYER", applicant="赵六", lawyer=None, **assigned)
        make_case(session, case_no="C-NOFIRM", applicant="钱七", lawyer=firm.id, **assigned)
    reminders = scan(rt, MONDAY)  # first contact due (D) for every case
    escalations = scan(rt, date(2012, 10, 16))  # D+1: the firm's director

    undeliverable = {
        (r["case_no"], r["level"], r["recipient"], r["reason"])
        for r in reminders.rows + escalations.rows
        if r["delivery"] == "undeliverable"
    }
    assert undeliverable == {
        ("C-NOEMAIL", "reminder", "L2", "L2 李律师 has no email address"),
        ("C-INACTIVE", "reminder", "L3", "L3 孙律师 is not active"),
        ("C-NOLAWYER", "reminder", "", "no lawyer recorded for the case"),
        ("C-NOLAWYER", "escalation", "", "no lawyer recorded for the case"),
        ("C-NOFIRM", "escalation", "", "lawyer L4 钱律师 has no firm recorded"),
    }
    delivered = {(r["case_no"], r["recipient"]) for r in reminders.rows if r["delivery"] == "queued"}
    assert delivered == {("C-NOFIRM", "L4")}

    staff_mail = [m for m in outbox(rt) if m.to_addrs == ["s1@center.example.cn"]]
    assert [m.subject for m in staff_mail] == [
        "法律援助案件提醒（2012年10月15日）：3项无法送达",
        "法律援助案件提醒（2012年10月16日）：2项无法送达",
    ]
    rows = digest_rows(staff_mail[0].body_text)
    assert rows[0] == ["案号", "受援人", "事项", "期限", "剩余/逾期", "应收人", "原因"]
    assert sorted(row[0] for row in rows[1:]) == ["C-INACTIVE", "C-NOEMAIL", "C-NOLAWYER"]
    assert ["C-NOEMAIL", "张*三", "与受援人签订委托协议和授权委托书", "2012年10月15日", "今日到期", "承办人",
            "李律师（L2）未登记电子邮箱"] in rows  # fmt: skip
    with rt.transaction() as session:
        statuses = session.execute(select(ReminderDelivery.status, ReminderDelivery.outbox_id)).all()
    assert all(outbox_id is not None for _, outbox_id in statuses)
    assert scan(rt, date(2012, 10, 17)).rows == []  # reported once, not every day


def test_with_no_staff_to_report_to_an_item_waits_for_the_next_scan(rt: Runtime) -> None:
    with rt.transaction() as session:
        make_reminders_center(session)
        session.execute(update(Person).where(Person.role == Role.staff).values(email=None))
        make_case(session, case_no="C1", assigned_on=date(2012, 10, 10), lawyer=None)
        make_case(session, case_no="C2", applied_on=date(2012, 10, 12), limitation_on=date(2012, 10, 18))
    report = scan(rt, MONDAY)
    assert [(r["case_no"], r["recipient"], r["delivery"]) for r in report.rows] == [
        ("C2", "H1", "queued"),  # the head still gets the urgent limitation …
        ("C2", "S1", "undeliverable"),  # … the staff's part is lost, and said so
        ("C2", "S2", "undeliverable"),
    ]
    assert [m.to_addrs for m in outbox(rt)] == [["h1@center.example.cn"]]
    problems = "\n".join(report.problems)
    assert "C1 first_contact_due: no lawyer recorded for the case, and no center staff" in problems
    assert "the item is tried again on the next scan" in problems
    assert "C2 urgent_limitation: S1 陈科员 has no email address" in problems
    assert "the item went to its other recipients" in problems
    with rt.transaction() as session:
        # C1 is not recorded: nobody was told.
        ledger = session.execute(select(ReminderSent.rule, ReminderSent.threshold, ReminderSent.status)).all()
        assert sorted(ledger) == [("urgent_limitation", -6, "superseded"), ("urgent_limitation", -3, "sent")]
        session.execute(update(Person).where(Person.code == "S1").values(email="s1@center.example.cn"))
    later = scan(rt, date(2012, 10, 16))  # D+1: the reminder (overdue) and the escalation, both reported
    assert {(r["level"], r["delivery"]) for r in later.rows if r["case_no"] == "C1"} == {
        ("reminder", "undeliverable"),
        ("escalation", "undeliverable"),
    }


def test_a_group_setting_naming_nobody_is_reported(tmp_path: object, rt: Runtime) -> None:
    other = build_runtime(
        Settings(data_dir=rt.settings.data_dir, center_staff=["S1", "S9"], center_head="H9")
    )
    try:
        with other.transaction() as session:
            make_reminders_center(session)
            make_case(session, case_no="C1", applied_on=date(2012, 9, 24))
        reminders = scan(other, date(2012, 10, 8))
        escalations = scan(other, date(2012, 10, 9))
    finally:
        other.dispose()
    reasons = {(r["recipient"], r["reason"]) for r in reminders.rows + escalations.rows if r["reason"]}
    assert reasons == {("S9", "no person with code S9"), ("H9", "no person with code H9")}
    assert {r["recipient"] for r in reminders.rows if r["delivery"] == "queued"} == {"S1"}


def test_digests_list_the_most_urgent_first_with_the_basis_once(rt: Runtime) -> None:
    with rt.transaction() as session:
        center = make_reminders_center(session)
        lawyer = center.lawyer_id
        steps = {"applied_on": date(2012, 8, 1), "assigned_on": date(2012, 8, 3), "lawyer": lawyer}
        contacted = {**steps, "first_contact_on": date(2012, 8, 4), "last_progress_on": date(2012, 10, 1)}
        make_case(
            session, case_no="H-18", applicant="王小明", next_hearing_on=date(2012, 10, 18), **contacted
        )
        make_case(session, case_no="H-16", applicant="李大", next_hearing_on=date(2012, 10, 16), **contacted)
        make_case(session, case_no="X-25", applicant="欧阳小明", ended_on=date(2012, 9, 25), **contacted)
        make_case(session, case_no="S-15", applicant="赵六", last_progress_on=date(2012, 9, 14), **steps)
    scan(rt, MONDAY)
    (mail,) = [m for m in outbox(rt) if m.to_addrs == ["l1@mingli.example.cn"]]
    assert mail.subject == "法律援助案件提醒（2012年10月15日）：4项待办"
    rows = digest_rows(mail.body_text)
    assert rows[0] == ["案号", "受援人", "事项", "期限", "剩余/逾期"]
    assert [row[0] for row in rows[1:]] == ["S-15", "H-16", "H-18", "X-25"]
    assert rows[1][1:] == ["赵*", "案件30日无进展：推进办理并告知受援人", "2012年10月15日", "今日到期"]
    assert rows[2][4] == "剩1天" and rows[4][1] == "欧**明"
    assert mail.body_text.count("《法律援助法》第五十九条") == 1  # two hearings, one basis line
    assert "第五十条" in mail.body_text and "第四十六条" in mail.body_text
    assert mail.body_html is not None and "<td>S-15</td>" in mail.body_html and "王*明" in mail.body_html
    assert "王小明" not in mail.body_text + mail.body_html


def test_escalations_are_their_own_digest_naming_the_lawyer(rt: Runtime) -> None:
    with rt.transaction() as session:
        center = make_reminders_center(session)
        make_case(session, case_no="C1", assigned_on=date(2012, 10, 10), lawyer=center.lawyer_id)
        make_case(session, case_no="C2", applied_on=date(2012, 10, 9))  # review: D 10-16, escalated 10-17
    scan(rt, date(2012, 10, 16))
    scan(rt, date(2012, 10, 17))
    escalations = [m for m in outbox(rt) if m.kind == "escalation"]
    assert {(m.to_addrs[0], m.subject) for m in escalations} == {
        ("d1@mingli.example.cn", "法律援助案件督办（2012年10月16日）：1项已逾期"),
        ("h1@center.example.cn", "法律援助案件督办（2012年10月17日）：1项已逾期"),
    }
    director = next(m for m in escalations if m.to_addrs == ["d1@mingli.example.cn"])
    rows = digest_rows(director.body_text)
    assert rows[0] == ["案号", "受援人", "事项", "承办人", "期限", "逾期"]
    assert rows[1] == [
        "C1",
        "王*明",
        "与受援人签订委托协议和授权委托书",
        "王律师",
        "2012年10月15日",
        "逾期1天",
    ]
    head = next(m for m in escalations if m.to_addrs == ["h1@center.example.cn"])
    assert digest_rows(head.body_text)[1][3] == "中心工作人员"


def test_a_director_who_is_the_lawyer_is_escalated_to_the_center_head_not_to_herself(rt: Runtime) -> None:
    with rt.transaction() as session:
        make_reminders_center(session)
        director_id = session.scalar(select(Person.id).where(Person.code == "D1"))
        # D1 directs F1 and is the lawyer on C1: asking her to 督促承办人 would ask her to chase herself.
        make_case(session, case_no="C1", assigned_on=date(2012, 10, 10), lawyer=director_id)
    scan(rt, date(2012, 10, 15))  # first contact due: the reminder goes to her as the lawyer
    report = scan(rt, date(2012, 10, 16))  # D+1: escalated one level up, to the head of the center
    escalations = [m for m in outbox(rt) if m.kind == "escalation"]
    assert [(m.to_addrs, m.subject) for m in escalations] == [
        (["h1@center.example.cn"], "法律援助案件督办（2012年10月16日）：1项已逾期")
    ]
    assert [(r["recipient"], r["role"]) for r in report.rows if r["level"] == "escalation"] == [
        ("H1", "center_head")
    ]
    assert digest_rows(escalations[0].body_text)[1][3] == "赵主任"  # the lawyer the head should chase


def test_english_digests(tmp_path: object, rt: Runtime) -> None:
    other = build_runtime(Settings(data_dir=rt.settings.data_dir, locale="en"))
    try:
        with other.transaction() as session:
            make_reminders_center(session)
            make_case(session, case_no="C1", applicant="John Smith", applied_on=date(2012, 10, 10))
        scan(other, MONDAY)
    finally:
        other.dispose()
    mail = outbox(rt)[0]
    assert mail.subject == "Legal aid follow-up (15 October 2012): 1 item due"
    rows = digest_rows(mail.body_text)
    assert rows[1] == [
        "C1",
        "J*******h",
        "Review the application and decide on it",
        "17 October 2012",
        "2 days left",
    ]
    assert "Legal Aid Law art. 43" in mail.body_text


def test_a_dry_run_changes_nothing(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    with rt.transaction() as session:
        center = make_reminders_center(session)
        make_case(session, applied_on=date(2012, 10, 10))
        make_case(session, assigned_on=date(2012, 10, 10), lawyer=None)  # undeliverable, reported
        make_case(session, assigned_on=date(2012, 10, 10), lawyer=center.lawyer_id)
    before = table_counts(rt)
    report = scan(rt, MONDAY, dry_run=True)
    assert {r["delivery"] for r in report.rows} == {"would_queue", "undeliverable"}
    assert report.outbox_ids == [] and table_counts(rt) == before

    assert main(["reminders", "run", "--as-of", "2012-10-15", "--dry-run", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == len(report.rows) == 4
    assert table_counts(rt) == before

    assert main(["reminders", "run", "--as-of", "2012-10-15", "--dry-run"]) == 0
    summary = " ".join(capsys.readouterr().out.split())
    assert "3 reminder and 0 escalation digest(s) would be queued" in summary  # S1, S2 and L1
    assert table_counts(rt) == before
    real = scan(rt, MONDAY)
    assert [(r["rule"], r["case_no"], r["recipient"]) for r in real.rows] == [
        (r["rule"], r["case_no"], r["recipient"]) for r in report.rows
    ]


def test_the_command_line(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    with rt.transaction() as session:
        make_reminders_center(session)
        make_case(session, case_no="C1", applied_on=date(2012, 9, 24))
    assert main(["reminders", "run", "--as-of", "2012-10-08", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [{k: row[k] for k in ("rule", "case_no", "recipient", "level", "deadline", "threshold")}
            for row in listed] == [
        {"rule": "review_due", "case_no": "C1", "recipient": r, "level": "reminder", "deadline": "2012-10-08",
         "threshold": 0}
        for r in ("S1", "S2")
    ]  # fmt: skip
    assert main(["reminders", "run", "--as-of", "2012-10-09"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "H1" in out and "D+1" in out
    assert "1 item(s) due; 0 reminder and 1 escalation digest(s) queued" in out

    assert main(["reminders", "run", "--as-of", "2012-10-01"]) == 0
    out = capsys.readouterr().out
    assert "2012-10-01 is not a working day (国庆节): no digests are sent" in out
    assert "2012-10-08" in out
    assert main(["reminders", "run", "--as-of", "2012-10-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []

    assert main(["reminders", "run", "--as-of", "2012-13-01"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --as-of: '2012-13-01' is not a date") and err.count("\n") == 1


def test_the_rules_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reminders", "rules", "--json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rules][:2] == ["review_due", "assignment_due"]
    review = rules[0]
    assert (review["reminds"], review["escalates"]) == ("center_staff: D-2, D", "center_head: D+1")
    assert review["basis_zh"].startswith("《法律援助法》第四十三条")
    assert main(["reminders", "rules"]) == 0
    out = capsys.readouterr().out
    assert "urgent_limitation" in out and "第四十四条" in out
