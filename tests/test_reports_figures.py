"""The report's figures from small hand-built centers: a year with nothing the year before, a fall, no
change, quarters across the new year, timeliness and the overdue items open at the period's end (from the
reminder rules), a firm's own report; and the same figures on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from builders import make_cases, make_consultations, make_reports_center
from readback import docx_text
from sqlalchemy.orm import Session

from legalaid.models.enums import CaseType, ConsultationChannel, ConsultationOutcome, RecipientGroup
from legalaid.reports import ReportRequest, render_report, statistical_quarter, statistical_year
from legalaid.reports.collect import ReportFigures, collect_figures, figures_dict
from legalaid.reports.content import compose
from legalaid.runtime import Runtime

YEAR = statistical_year(2012, start_month=11)
AS_OF = date(2012, 11, 14)
MIGRANT = (RecipientGroup.migrant_worker,)


def _center(session: Session) -> dict[str, int]:
    ids = make_reports_center(session)
    # 2012: three civil (two of migrant workers) and one criminal; 2011: four criminal, no civil case.
    make_cases(session, 2, applied_on=date(2011, 11, 1), groups=MIGRANT, lawyer=ids["L1"])
    make_cases(session, 1, applied_on=date(2012, 1, 31), groups=(RecipientGroup.women,), matter="婚姻家庭")
    make_cases(
        session,
        1,
        applied_on=date(2012, 2, 1),
        case_type=CaseType.criminal,
        matter="盗窃",
        lawyer=ids["L2"],
    )
    make_cases(session, 4, applied_on=date(2011, 10, 31), case_type=CaseType.criminal, matter="盗窃")
    make_consultations(session, date(2012, 3, 1), 30)
    make_consultations(session, date(2011, 3, 1), 40)
    desk = ConsultationChannel.arbitration_desk
    make_consultations(session, date(2012, 3, 2), 5, channel=desk)
    make_consultations(session, date(2012, 3, 2), 2, channel=desk, outcome=ConsultationOutcome.mediated)
    return ids


def _figures(rt: Runtime, request: ReportRequest, as_of: date = AS_OF) -> ReportFigures:
    with rt.sessions() as session:
        return collect_figures(session, rt.settings, request, as_of=as_of)


def test_zero_last_year_a_fall_and_no_change(rt: Runtime) -> None:
    with rt.transaction() as session:
        _center(session)
    figures = _figures(rt, ReportRequest("annual", YEAR))
    assert (figures.current.total, figures.current.civil, figures.current.criminal) == (4, 3, 1)
    assert (figures.before.total, figures.before.civil, figures.before.criminal) == (4, 0, 4)
    text = compose(figures, locale="zh_CN", center_name="XX区法律援助中心").text
    assert "援助中心共办理法律援助案件4件，与去年持平。" in text
    assert "其中民事法律援助案件为3件，去年为0件；刑事法律援助案件为1件，比去年下降75.00%。" in text
    assert "以外来务工人员为受援人的民事案件达2件，占民事案件总数的66.7%。" in text
    assert "148法律服务热线共接待群众来电来访30件，比去年下降25.00%。" in text
    assert (
        "劳动仲裁法律援助咨询点共接待咨询7人次，解答各类咨询5例，成功调解劳动纠纷2起，转为法律援助案件0起。"
        in text
    )
    english = compose(figures, locale="en", center_name="XX District Legal Aid Center").text
    assert "Civil cases: 3, none last year; Criminal cases: 1, down 75.00% on last year." in english


def test_quarters_across_the_new_year(rt: Runtime) -> None:
    with rt.transaction() as session:
        _center(session)
    q1 = _figures(rt, ReportRequest("quarterly", statistical_quarter(2012, 1, start_month=11)))
    assert (q1.period.start, q1.period.end) == (date(2011, 11, 1), date(2012, 1, 31))
    assert q1.current.total == 3  # 2011-11-01 and 2012-01-31 in, 2012-02-01 and 2011-10-31 out
    assert q1.before.total == 0  # 2010-11-01 … 2011-01-31
    assert [p.key for p in q1.chart_periods] == ["2011Q1", "2011Q2", "2011Q3", "2011Q4", "2012Q1"]
    assert q1.cases[statistical_quarter(2011, 4, start_month=11)].total == 4  # 2011-10-31
    text = compose(q1, locale="zh_CN", center_name="中心").text
    # The first case is of 31 October 2011: the same quarter a year before has no data, not 0 cases
    # (issue 12, defect 5: this said 去年同期为0件).
    assert "2012年度第一季度（2011年11月1日至2012年1月31日），援助中心共办理法律援助案件3件。" in text
    assert "案件记录自2011年10月31日起，去年同期无数据，不作同比。" in text
    assert "去年同期为0件" not in text


def test_timeliness_and_overdue_items_at_the_period_end(rt: Runtime) -> None:
    with rt.transaction() as session:
        ids = make_reports_center(session)
        # Applied on Saturday 20 October, no decision: the 7 days end on the 27th, a Saturday, so Monday
        # the 29th; overdue on the 31st.
        make_cases(session, 1, applied_on=date(2012, 10, 20))
        # Decided on 5 November, after the period: on 31 October it was open and overdue, and it was late.
        make_cases(session, 1, applied_on=date(2012, 10, 10), decided_on=date(2012, 11, 5))
        # Decided in time, assigned the next day, in progress.
        make_cases(
            session,
            1,
            applied_on=date(2012, 9, 3),
            decided_on=date(2012, 9, 5),
            assigned_on=date(2012, 9, 6),
            first_contact_on=date(2012, 9, 7),
            last_progress_on=date(2012, 10, 20),
            lawyer=ids["L1"],
        )
        handled = {
            "applied_on": date(2012, 5, 2),
            "decided_on": date(2012, 5, 3),
            "assigned_on": date(2012, 5, 3),
            "first_contact_on": date(2012, 5, 4),
        }
        # Ended 1 August, closure materials never came: overdue since 31 August, on F1's lawyer.
        make_cases(session, 1, **handled, ended_on=date(2012, 8, 1), lawyer=ids["L1"])
        # Ended 1 September, materials in on the 10th: on time.
        make_cases(
            session,
            1,
            **handled,
            ended_on=date(2012, 9, 1),
            closure_submitted_on=date(2012, 9, 10),
            return_visit_on=date(2012, 9, 20),
            lawyer=ids["L2"],
        )
    figures = _figures(rt, ReportRequest("annual", YEAR))
    t = figures.timeliness
    assert (t.decided.counted, t.decided.on_time) == (5, 3)
    assert (t.closure.counted, t.closure.on_time) == (2, 1)
    assert t.overdue["review_due"] == 2
    assert t.overdue["closure_due"] == 1
    assert "hearing_soon" not in t.overdue  # a date, not a deadline to be late for
    firms = {f.code: f for f in figures.firms.values()}
    assert firms["F1"].closure_overdue == 1 and firms["F2"].closure_overdue == 0
    assert (firms["F1"].assigned, firms["F1"].ended, firms["F1"].open) == (2, 1, 1)
    assert firms["F2"].average_days == 121.0  # 3 May → 1 September
    text = compose(figures, locale="zh_CN", center_name="中心").text
    # Each share states its basis (issue 12, defect 6: this said 审查申请5件，其中…).
    assert "本期受理的申请（按申请日期计）5件，其中在7日内作出决定3件，占60.0%。" in text
    assert (
        "本期办结的案件（按办结日期计，含往年受理的案件）2件，其中在30日内提交结案材料1件，占50.0%。" in text
    )
    assert "截至2012年10月31日，逾期未办结的事项共3项：" in text
    # As of 31 August nothing had ended without its materials yet: the ledger of that day is its own.
    quarter = _figures(rt, ReportRequest("quarterly", statistical_quarter(2012, 4, start_month=11)))
    assert quarter.timeliness.overdue["closure_due"] == 1


def test_a_firm_report_counts_only_its_lawyers(rt: Runtime) -> None:
    with rt.transaction() as session:
        _center(session)
    figures = _figures(rt, ReportRequest("firm", YEAR, "F1"))
    assert figures.firm is not None and figures.firm.code == "F1"
    assert (figures.current.total, figures.current.civil) == (2, 2)
    assert figures.consultations is None and figures.roster is None
    rendered_text = compose(figures, locale="zh_CN", center_name="中心").text
    assert rendered_text.startswith("明理律师事务所2012年度法律援助工作报告")
    # The center speaks about the firm, not as it (issue 12, defect 7: this said 本所律师…).
    assert "明理律师事务所律师共办理法律援助案件2件，去年为0件。" in rendered_text
    assert "本所" not in rendered_text
    assert "法律咨询" not in rendered_text and "值班" not in rendered_text


def test_the_word_report_reads_back(rt: Runtime) -> None:
    with rt.transaction() as session:
        _center(session)
    with rt.sessions() as session:
        rendered = render_report(session, rt.settings, ReportRequest("annual", YEAR), as_of=AS_OF)
        again = render_report(session, rt.settings, ReportRequest("annual", YEAR), as_of=AS_OF)
    text = docx_text(rendered.docx)
    assert "其中民事法律援助案件为3件，去年为0件" in text
    assert "民事 | 3 | 0 | —" in text  # the table: no percentage when last year is 0
    assert rendered.docx == again.docx and rendered.xlsx == again.xlsx  # same figures, same bytes


@pytest.mark.services
def test_postgresql_counts_the_same(rt: Runtime, pg_rt: Runtime) -> None:
    """FILTER, the deadline tables, the as-of rewriting and date arithmetic agree on both databases."""
    results = []
    for runtime in (rt, pg_rt):
        with runtime.transaction() as session:
            ids = _center(session)
            make_cases(session, 1, applied_on=date(2012, 10, 20))
            make_cases(
                session,
                1,
                applied_on=date(2012, 5, 2),
                decided_on=date(2012, 5, 3),
                assigned_on=date(2012, 5, 3),
                ended_on=date(2012, 8, 1),
                lawyer=ids["L1"],
            )
        results.append(
            [
                figures_dict(_figures(runtime, ReportRequest(kind, period, firm)))
                for kind, period, firm in (
                    ("annual", YEAR, None),
                    ("firm", YEAR, "F1"),
                    ("quarterly", statistical_quarter(2012, 4, start_month=11), None),
                )
            ]
        )
    sqlite, postgres = results
    assert sqlite == postgres
    assert sqlite[0]["firms"]["F1"]["average_days"] == 90.0
