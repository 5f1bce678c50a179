"""Dates out of order (issue 13, item 10): a case's steps in the import and in ``case assign``, one line
naming the row and both columns, nothing written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from builders import make_decided_case, make_lawyer
from factories import load
from readback import table_counts

from legalaid.casework import assign_case
from legalaid.errors import UserError
from legalaid.importing import ImportFailed, import_file, out_of_order
from legalaid.runtime import Runtime

# The columns every cases file has; the rest are left as stored.
REQUIRED = "case_no,case_type,applicant,applied_on"


@pytest.fixture
def seeded(rt: Runtime, tmp_path: Path) -> Runtime:
    load(rt, tmp_path, "firms", "people", "cases")
    return rt


def refused(rt: Runtime, path: Path, content: str) -> list[str]:
    path.write_text(content, encoding="utf-8")
    before = table_counts(rt)
    with pytest.raises(ImportFailed) as caught:
        import_file(rt, "cases", path)
    assert table_counts(rt) == before
    return [line.removeprefix(f"{path}:") for line in caught.value.errors]


def test_an_application_after_its_decision(seeded: Runtime, tmp_path: Path) -> None:
    content = (
        "案号,案件类型,受援人,申请日期,审查决定日期,决定\n"
        "2012援101,民事,张三,2012-01-05,2012-01-06,给予\n"
        "2012援102,民事,李四,2012/3/5,2010-12-21,给予\n"
    )
    assert refused(seeded, tmp_path / "cases.csv", content) == [
        "3:申请日期: 2012-03-05 is after 审查决定日期 2010-12-21"
    ]


def test_each_step_is_compared_with_the_nearest_earlier_one_present(seeded: Runtime, tmp_path: Path) -> None:
    header = "case_no,case_type,applicant,applied_on,assigned_on,lawyer,first_contact_on,ended_on\n"
    content = header + (
        "2012援103,civil,张三,2012-03-01,2012-03-06,L001,,2012-03-05\n"  # ended before the assignment
        "2012援104,civil,李四,2012-03-01,2012-03-06,L001,2012-03-07,2012-03-20\n"  # in order
    )
    assert refused(seeded, tmp_path / "cases.csv", content) == [
        "2:assigned_on: 2012-03-06 is after ended_on 2012-03-05"
    ]


def test_a_file_of_some_columns_is_checked_against_the_stored_steps(seeded: Runtime, tmp_path: Path) -> None:
    # 2012援002 is stored as decided on 2012-04-02 and assigned on 2012-04-03, with no first contact yet.
    content = f"{REQUIRED},ended_on\n2012援002,criminal,李四,2012-04-02,2012-04-01\n"
    assert refused(seeded, tmp_path / "cases.csv", content) == [
        "2:ended_on: 2012-04-01 is before the stored assigned_on 2012-04-03"
    ]
    content = "案号,案件类型,受援人,申请日期\n2012援002,刑事,李四,2012-04-05\n"
    assert refused(seeded, tmp_path / "cases.csv", content) == [
        "2:申请日期: 2012-04-05 is after the stored 审查决定日期 2012-04-02"
    ]
    path = tmp_path / "ok.csv"
    path.write_text(f"{REQUIRED},ended_on\n2012援002,criminal,李四,2012-04-02,2012-05-01\n", encoding="utf-8")
    assert import_file(seeded, "cases", path).updated == 1


def test_the_latest_progress_is_not_before_the_assignment(seeded: Runtime, tmp_path: Path) -> None:
    content = f"{REQUIRED},last_progress_on\n2012援002,criminal,李四,2012-04-02,2012-04-02\n"
    assert refused(seeded, tmp_path / "cases.csv", content) == [
        "2:last_progress_on: 2012-04-02 is before the stored assigned_on 2012-04-03"
    ]


def test_the_next_hearing_and_the_limitation_are_not_steps() -> None:
    assert (
        out_of_order(
            {
                "applied_on": date(2012, 3, 1),
                "next_hearing_on": date(2012, 2, 1),
                "limitation_on": date(2011, 1, 1),
            }
        )
        == []
    )


def test_case_assign_refuses_a_date_out_of_the_case_s_order(rt: Runtime) -> None:
    with rt.transaction() as session:
        code = make_lawyer(session).code
        make_decided_case(session, case_no="A1", assigned_on=None, lawyer=None)
        make_decided_case(session, case_no="A0", assigned_on=None, decided_on=None, decision=None)
        make_decided_case(
            session, case_no="A2", assigned_on=None, lawyer=None, first_contact_on=date(2012, 10, 15)
        )
    refusals = [
        ("A1", date(2012, 10, 9), "--on 2012-10-09: before the decision (2012-10-10)"),
        ("A0", date(2012, 10, 7), "--on 2012-10-07: before the application (2012-10-08)"),
        ("A2", date(2012, 10, 16), "--on 2012-10-16: after the first contact (2012-10-15)"),
    ]
    for case_no, on, message in refusals:
        with rt.transaction() as session, pytest.raises(UserError) as caught:
            assign_case(session=session, case_no=case_no, lawyer_code=code, on=on)
        assert str(caught.value) == message
    with rt.transaction() as session:
        assign_case(session=session, case_no="A2", lawyer_code=code, on=date(2012, 10, 12))
