"""The reports as a center files them (issue 12): A4 with GB/T 9704 margins and page numbers, 仿宋 body and
黑体 headings; built as of the publication day whatever day they are run, the same bytes for the same data,
and a rebuild with other figures says which; no data instead of 0 before the first record; each figure's
basis; a firm's report written by the center about the firm; tables numbered without gaps; quarters as the
center names them; no ISO date in Chinese text; number formats in the appendix."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest
from builders import make_cases, make_consultations, make_reports_center
from docx.oxml.ns import qn
from docx.shared import Length
from docx.text.run import Run
from readback import docx_text, docx_texts
from sqlalchemy import select

from cli import main
from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.models import ReportRun
from legalaid.models.enums import CaseType, RecipientGroup
from legalaid.reports import ReportRequest, render_report, statistical_quarter, statistical_year
from legalaid.reports.collect import collect_figures
from legalaid.reports.content import compose
from legalaid.reports.periods import report_as_of
from legalaid.runtime import Runtime

YEAR = statistical_year(2012, start_month=11)  # 2011-11-01 … 2012-10-31
PUBLISHED = date(2012, 11, 14)  # the 10th working day after 31 October 2012
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _fill(rt: Runtime) -> dict[str, int]:
    """Cases from 2010-11 on (statistical years 2011 and 2012 have data, 2008–2010 none), consultations
    from 2012 on, work of both firms' people."""
    with rt.transaction() as session:
        ids = make_reports_center(session)
        make_cases(session, 2, applied_on=date(2010, 11, 9), case_type=CaseType.criminal, matter="盗窃")
        make_cases(
            session, 3, applied_on=date(2012, 3, 5), groups=(RecipientGroup.migrant_worker,),
            decided_on=date(2012, 3, 6), assigned_on=date(2012, 3, 7), first_contact_on=date(2012, 3, 8),
            ended_on=date(2012, 6, 1), closure_submitted_on=date(2012, 6, 20), lawyer=ids["L2"],
        )  # fmt: skip
        make_cases(
            session, 1, applied_on=date(2012, 9, 3), decided_on=date(2012, 9, 4),
            assigned_on=date(2012, 9, 20), lawyer=ids["L1"],
        )  # fmt: skip
        make_consultations(session, date(2012, 3, 1), 30)
    return ids


def _cli_env(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    monkeypatch.setenv("LEGALAID_REPORT_YEAR_START_MONTH", "11")


def _today(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    """The command's "today": the business date it asks legalaid.casework.notices for."""
    monkeypatch.setattr("legalaid.casework.notices.business_today", lambda settings, now=None: day)


def _render(rt: Runtime, request: ReportRequest, as_of: date = PUBLISHED) -> tuple[bytes, bytes, str]:
    settings = Settings(data_dir=rt.settings.data_dir, report_year_start_month=11)
    with rt.sessions() as session:
        rendered = render_report(session, settings, request, as_of=as_of)
    return rendered.docx, rendered.xlsx, rendered.content.text


# Defect 3: A4, margins, page numbers, fonts ---------------------------------------------------------------


def _mm(length: Length | None) -> int:
    assert length is not None
    return round(float(length.mm))


def _east_asian(run: Run) -> str | None:
    """The run's own East Asian font (``w:rFonts/@w:eastAsia``)."""
    fonts = run._element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def test_the_report_is_a4_with_page_numbers_and_official_fonts(rt: Runtime) -> None:
    _fill(rt)
    document = docx.Document(io.BytesIO(_render(rt, ReportRequest("annual", YEAR))[0]))
    section = document.sections[0]
    # Word stores lengths in twips: compare in whole millimetres.
    assert [_mm(section.page_width), _mm(section.page_height)] == [210, 297]
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [_mm(m) for m in margins] == [37, 35, 28, 26]
    footer = section.footer._element
    assert [i.text.strip() for i in footer.iter(qn("w:instrText"))] == ["PAGE"]
    assert section.footer.paragraphs[0].text == "— 1 —"  # the field's value until Word counts the pages
    body = [p for p in document.paragraphs if p.text.startswith("2012年度（")][0]
    [run] = body.runs
    size = run.font.size or document.styles["Normal"].font.size  # the body takes the Normal style's
    assert size.pt >= 14  # 三号 (16 pt), at least 四号
    assert _east_asian(run) == "仿宋"
    heading = [p for p in document.paragraphs if p.text == "一、案件办理情况"][0]
    assert _east_asian(heading.runs[0]) == "黑体"


# Defect 4: reproducible, as of the publication day --------------------------------------------------------


def test_the_as_of_day_of_a_report() -> None:
    calendar = WorkCalendar()

    def as_of(today: date, given: date | None = None) -> tuple[date, str]:
        found = report_as_of(YEAR, today, calendar, quarter_days=5, year_days=10, given=given)
        return found.day, found.basis

    assert as_of(date(2026, 12, 6)) == (PUBLISHED, "publication day")
    # Before the publication day (the year is over, its report not yet due) and in an open year: today.
    assert as_of(date(2012, 11, 5)) == (date(2012, 11, 5), "today")
    assert as_of(date(2012, 6, 1)) == (date(2012, 6, 1), "today")
    assert as_of(date(2026, 12, 6), date(2012, 12, 1)) == (date(2012, 12, 1), "given")


def test_the_annual_report_run_on_two_days_is_the_same_file(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _fill(rt)
    _cli_env(rt, monkeypatch)
    files = []
    for today, out in ((date(2013, 1, 7), tmp_path / "first"), (date(2026, 12, 6), tmp_path / "second")):
        _today(monkeypatch, today)
        assert main(["report", "annual", "--year", "2012", "--out", str(out)]) == 0
        printed = capsys.readouterr().out
        assert "as of 2012-11-14 (the report's publication day)" in printed
        files.append(sorted(out.iterdir()))
    (docx1, xlsx1), (docx2, xlsx2) = (sorted(f, key=lambda p: p.suffix) for f in files)
    assert docx1.read_bytes() == docx2.read_bytes() and xlsx1.read_bytes() == xlsx2.read_bytes()
    assert "unchanged since the last build" in printed
    paragraphs, _cells = docx_texts(docx1)
    assert "统计期间：2011年11月1日至2012年10月31日（数据截至2012年11月14日）" in paragraphs
    assert paragraphs[-2:] == ["XX区法律援助中心", "2012年11月14日"]  # the signature's date: the as-of day
    with rt.sessions() as session:
        run = session.scalars(select(ReportRun)).one()
        assert run.as_of == PUBLISHED and run.changes == []
        assert run.figures is not None and run.figures["cases.2012.total"] == 4
    _today(monkeypatch, date(2026, 12, 7))
    assert main(["report", "annual", "--year", "2012", "--dry-run", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["as_of"], result["as_of_basis"]) == ("2012-11-14", "publication day")


def test_a_rebuild_with_other_figures_says_which(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(rt)
    _cli_env(rt, monkeypatch)
    _today(monkeypatch, date(2013, 1, 7))
    assert main(["report", "annual", "--year", "2012"]) == 0
    with rt.transaction() as session:  # a case of the year entered late
        make_cases(session, 1, applied_on=date(2012, 10, 8), case_type=CaseType.criminal, matter="盗窃")
    capsys.readouterr()
    assert main(["report", "annual", "--year", "2012"]) == 0
    out = capsys.readouterr().out
    assert "rebuilt with other figures: " in out
    assert "cases.2012.total: 4 → 5" in out and "cases.2012.criminal: 0 → 1" in out
    assert "rebuilt with new figures" not in out
    assert main(["report", "runs"]) == 0
    assert "changed: " in capsys.readouterr().out
    assert main(["report", "runs", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["as_of"] == "2012-11-14" and "cases.2012.total: 4 → 5" in row["changes"]


# Defect 5: no data is not 0 -------------------------------------------------------------------------------


def test_years_before_the_first_record_have_no_data(rt: Runtime) -> None:
    _fill(rt)
    word, book, text = _render(rt, ReportRequest("annual", YEAR))
    table = docx_text(word)
    for year in (2008, 2009, 2010):
        assert f"{year}年度 | 无数据 | — | — | —" in table
    assert "2011年度 | 0 | 2 | 0 | 2" in table  # a year with records: its zeros are zeros
    workbook = openpyxl.load_workbook(io.BytesIO(book))
    assert [row[1] for row in workbook["案件趋势"].iter_rows(min_row=3, values_only=True)] == [
        "无数据", "无数据", "无数据", 0, 4,
    ]  # fmt: skip
    # The 2011 report: 2010 has no data, so no 去年为0件 anywhere, and the reason is stated.
    _w, _b, text_2011 = _render(rt, ReportRequest("annual", statistical_year(2011, start_month=11)))
    assert "去年为0件" not in text_2011
    assert "援助中心共办理法律援助案件2件。" in text_2011
    assert "案件记录自2010年11月9日起，去年无数据，不作同比。" in text_2011
    # Consultations are on record from March 2012: 2012 is compared with nothing.
    assert "148法律服务热线共接待群众来电来访30件。" in text
    assert "咨询 | " not in table and "148热线 | 30 | 无数据 | —" in table


# Defect 6: each figure's basis ----------------------------------------------------------------------------


def test_each_figure_states_its_basis(rt: Runtime) -> None:
    _fill(rt)
    text = _render(rt, ReportRequest("annual", YEAR))[2]
    assert "本节案件数按申请日期统计" in text
    assert "本期决定给予法律援助及通知辩护的案件（按决定或通知日期计）4件" in text
    assert "本期办结的案件（按办结日期计，含往年受理的案件）3件" in text
    assert "本期共受指派4件（按指派日期计），办结3件（按办结日期计，含往年受理的案件）" in text


# Defect 7: a firm's report ---------------------------------------------------------------------------------


def test_a_firm_report_is_the_centers_about_the_firm(rt: Runtime) -> None:
    _fill(rt)
    word, _book, text = _render(rt, ReportRequest("firm", YEAR, "F2"))
    assert "本所" not in text
    assert "城关法律服务所法律服务工作者共办理法律援助案件3件" in text
    assert "律师" not in text  # a 法律服务所's people are 法律服务工作者
    # Scored on its people's steps only: the agreement with the recipient and the closure materials.
    assert "在5日内与受援人签订委托协议3件，占100.0%" in text
    assert "在30日内提交结案材料3件，占100.0%" in text
    assert "作出决定" not in text and "日内指派" not in text
    assert "申请的审查、指派和回访由援助中心办理，不计入本报告的考核。" in text
    paragraphs, _cells = docx_texts(word)
    numbers = [int(m.group(1)) for p in paragraphs if (m := re.match(r"表(\d+) ", p))]
    assert numbers == list(range(1, len(numbers) + 1)) == [1, 2, 3, 4, 5, 6, 7]
    lawyers = _render(rt, ReportRequest("firm", YEAR, "F1"))[2]
    assert "明理律师事务所律师共办理法律援助案件1件" in lawyers


# Defect 9 and 10: quarters as the center names them, no ISO dates -------------------------------------------


def test_quarters_are_named_by_the_statistical_year(rt: Runtime) -> None:
    _fill(rt)
    quarter = statistical_quarter(2012, 1, start_month=11)
    word, _book, _text = _render(rt, ReportRequest("quarterly", quarter))
    table = docx_text(word)
    assert "2012年度第一季度 | " in table and "2011年度第四季度 | " in table
    assert not re.search(r"\d{4}Q\d", table)
    with rt.sessions() as session:
        figures = collect_figures(session, rt.settings, ReportRequest("quarterly", quarter), as_of=PUBLISHED)
    english = compose(figures, locale="en", center_name="XX District Legal Aid Center")
    assert english.title == "XX District Legal Aid Center: legal aid work, Q1 of statistical year 2012"
    [chart] = [c for s in english.sections for c in s.charts if c.name == "cases_by_type"]
    assert chart.categories[-1] == "Q1 of\nstat. year 2012"
    assert [c for s in compose(figures, locale="zh_CN", center_name="中心").sections for c in s.charts][
        0
    ].categories[-1] == "2012年度\n第一季度"


def test_no_iso_date_in_the_chinese_report(rt: Runtime) -> None:
    _fill(rt)
    for request in (ReportRequest("annual", YEAR), ReportRequest("firm", YEAR, "F1")):
        assert not ISO_DATE.search(docx_text(_render(rt, request)[0]))


# Defect 11: number formats in the appendix -----------------------------------------------------------------


def test_the_appendix_has_number_formats(rt: Runtime) -> None:
    _fill(rt)
    workbook = openpyxl.load_workbook(io.BytesIO(_render(rt, ReportRequest("annual", YEAR))[1]))
    cases = workbook["案件"]
    total = [row for row in cases.iter_rows(min_row=3) if row[0].value == "合计"][0]
    assert (total[1].value, total[1].number_format) == (4, "0")
    assert (total[3].value, total[3].number_format) == (100.0, "0.00")  # 2 → 4: a change of 100.00%
    groups = {row[0].value: row for row in workbook["受援人"].iter_rows(min_row=3)}
    assert (groups["农民工"][2].value, groups["农民工"][2].number_format) == (75.0, "0.0")  # a share
    timeliness = workbook["时效"]
    shares = [row[4] for row in timeliness.iter_rows(min_row=3) if row[4].value is not None]
    assert shares and all(cell.number_format == "0.0" for cell in shares)
