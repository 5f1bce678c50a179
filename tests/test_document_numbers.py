"""Document numbers (文号): one numbering per kind and year of issue, across civil, criminal and
administrative cases; recorded when issued, kept on a re-render; never given twice, even at once."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from builders import make_decided_case, make_lawyer, make_person
from sqlalchemy import func, select

from legalaid.config import Settings
from legalaid.documents import Issuer, render_document
from legalaid.errors import ConfigError
from legalaid.models import DocumentNumber
from legalaid.models.enums import CaseType
from legalaid.runtime import Runtime


def _number(rt: Runtime, kind: str, case_no: str, **options: object) -> str:
    with rt.transaction() as session:
        doc = render_document(session, kind=kind, case_no=case_no, locale="zh_CN", **options)  # type: ignore[arg-type]
    return doc.document_no


def test_a_civil_and_a_criminal_case_with_the_same_serial_get_different_numbers(rt: Runtime) -> None:
    with rt.transaction() as session:
        lawyer = make_lawyer(session)
        make_decided_case(session, case_no="2012民援第035号", lawyer=lawyer)
        make_decided_case(session, case_no="2012刑援第035号", case_type=CaseType.criminal, lawyer=lawyer)
    # Before issue 12 both were X法援指〔2012〕第035号 (and X法援决〔2012〕第035号).
    assert _number(rt, "assignment_notice", "2012民援第035号") == "X法援指〔2012〕1号"
    assert _number(rt, "assignment_notice", "2012刑援第035号") == "X法援指〔2012〕2号"
    # Each kind is a register of its own.
    assert _number(rt, "grant_decision", "2012刑援第035号") == "X法援决〔2012〕1号"
    assert _number(rt, "grant_decision", "2012民援第035号") == "X法援决〔2012〕2号"


def test_a_re_render_keeps_its_number_and_a_new_document_gets_the_next(rt: Runtime) -> None:
    with rt.transaction() as session:
        case = make_decided_case(session, case_no="2012民援第001号", lawyer=make_lawyer(session))
        make_decided_case(session, case_no="2012民援第002号", lawyer=make_lawyer(session))
    first = _number(rt, "assignment_notice", "2012民援第001号")
    assert _number(rt, "assignment_notice", "2012民援第001号") == first == "X法援指〔2012〕1号"
    with rt.transaction() as session:  # the same notice in English: the same document, the same number
        english = render_document(session, kind="assignment_notice", case_no=case.case_no, locale="en")
    assert english.document_no == first
    assert _number(rt, "assignment_notice", "2012民援第002号") == "X法援指〔2012〕2号"
    # Re-assigned to another lawyer: a new notice, the next number; the first one stays on record.
    with rt.transaction() as session:
        session.get(type(case), case.id).lawyer_id = make_person(session, name="赵六").id  # type: ignore[union-attr]
    assert _number(rt, "assignment_notice", "2012民援第001号") == "X法援指〔2012〕3号"
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DocumentNumber)) == 3


def test_the_year_is_the_year_of_issue_and_the_numbering_restarts_each_year(rt: Runtime) -> None:
    with rt.transaction() as session:
        lawyer = make_lawyer(session)
        make_decided_case(session, case_no="2012民援第100号", lawyer=lawyer, assigned_on=date(2012, 12, 31))
        make_decided_case(session, case_no="2012民援第101号", lawyer=lawyer, assigned_on=date(2013, 1, 4))
        make_decided_case(session, case_no="2012民援第102号", lawyer=lawyer, assigned_on=date(2013, 1, 5))
    assert _number(rt, "assignment_notice", "2012民援第100号") == "X法援指〔2012〕1号"
    assert _number(rt, "assignment_notice", "2012民援第101号") == "X法援指〔2013〕1号"
    assert _number(rt, "assignment_notice", "2012民援第102号") == "X法援指〔2013〕2号"
    # Issued again on another day of the same year: the same document.
    assert (
        _number(rt, "assignment_notice", "2012民援第101号", issued_on=date(2013, 2, 1))
        == "X法援指〔2013〕1号"
    )


def test_the_format_is_a_setting(rt: Runtime) -> None:
    with rt.transaction() as session:
        make_decided_case(session, case_no="2012民援第001号")
    issuer = Issuer(number_prefix="西湖", number_format="{prefix}法援{code}字〔{year}〕第{serial:03d}号")
    assert _number(rt, "grant_decision", "2012民援第001号", issuer=issuer) == "西湖法援决字〔2012〕第001号"
    # The number as issued is kept: a later change of the format does not renumber a filed document.
    assert _number(rt, "grant_decision", "2012民援第001号") == "西湖法援决字〔2012〕第001号"
    assert Issuer.from_settings(Settings()).number_format == "{prefix}法援{code}〔{year}〕{serial}号"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{prefix}〔{year}〕{serial}号", "lacks {code}"),
        ("{prefix}法援{code}{serial}号", "lacks {year}"),
        ("{prefix}法援{code}〔{year}〕{number}号", "unknown placeholder {number}"),
        ("{prefix}法援{code}〔{year}〕{serial号", "is not a number format"),
    ],
)
def test_a_bad_format_is_refused_when_the_settings_load(value: str, message: str) -> None:
    from legalaid.config import load_settings

    with pytest.raises(ConfigError, match="(?i)document_number_format") as raised:
        load_settings(document_number_format=value)
    assert message in str(raised.value)


def test_a_dry_run_shows_the_next_number_and_records_nothing(rt: Runtime) -> None:
    with rt.transaction() as session:
        lawyer = make_lawyer(session)
        make_decided_case(session, case_no="2012民援第001号", lawyer=lawyer)
        make_decided_case(session, case_no="2012民援第002号", lawyer=lawyer)
    assert _number(rt, "assignment_notice", "2012民援第001号") == "X法援指〔2012〕1号"
    preview = _number(rt, "assignment_notice", "2012民援第002号", record_number=False)
    assert preview == "X法援指〔2012〕2号"
    assert _number(rt, "assignment_notice", "2012民援第001号", record_number=False) == "X法援指〔2012〕1号"
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DocumentNumber)) == 1


def _issue_at_once(rt: Runtime, workers: int, per_worker: int) -> list[str]:
    """``workers`` threads, each with its own session, issue notices for their own cases all at once."""
    with rt.transaction() as session:
        lawyer = make_lawyer(session)
        case_nos = [
            [make_decided_case(session, lawyer=lawyer).case_no for _ in range(per_worker)]
            for _ in range(workers)
        ]
    start = threading.Barrier(workers)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def work(mine: list[str]) -> None:
        try:
            start.wait()
            for case_no in mine:
                numbers.append(_number(rt, "assignment_notice", case_no))
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(mine,)) for mine in case_nos]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return numbers


def test_two_workers_never_get_the_same_number_on_sqlite(rt: Runtime) -> None:
    numbers = _issue_at_once(rt, workers=2, per_worker=5)
    assert sorted(numbers) == sorted(f"X法援指〔2012〕{n}号" for n in range(1, 11))


@pytest.mark.services
def test_two_workers_never_get_the_same_number_on_postgresql(pg_rt: Runtime) -> None:
    numbers = _issue_at_once(pg_rt, workers=4, per_worker=5)
    assert sorted(numbers) == sorted(f"X法援指〔2012〕{n}号" for n in range(1, 21))
