"""The posted 值班安排表: A4, columns that fit a date and a firm's name, a title that names the district and
breaks only between words, the 落款 with its date; and the workbook: a sheet named for the month, a title
row, column widths, real dates that sort."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import docx
import pytest
from builders import make_desk, make_shifts
from docx.shared import Pt
from openpyxl import load_workbook
from sqlalchemy import select

from legalaid.calendar import WorkCalendar
from legalaid.models import Firm
from legalaid.roster.document import (
    BODY_SIZE,
    CELL_PADDING_PT,
    district,
    month_sheet,
    text_width,
    write_sheet,
)
from legalaid.runtime import Runtime

CALENDAR = WorkCalendar()
NOVEMBER = [d for d in (date(2012, 11, n) for n in range(1, 31)) if CALENDAR.is_working_day(d)]
FIRM = "浙江XX律师事务所"


@pytest.fixture
def files(rt: Runtime, tmp_path: Path) -> list[Path]:
    with rt.transaction() as session:
        make_desk(session, lawyers=3)
        session.scalars(select(Firm)).one().name = FIRM
        make_shifts(session, [(day, "day", f"L0{n % 3 + 1}") for n, day in enumerate(NOVEMBER)])
        sheet = month_sheet(session, rt.settings, month=date(2012, 11, 1), made_on=date(2012, 10, 25))
    return write_sheet(sheet, rt.settings, tmp_path)


def test_the_district_comes_from_the_centers_name() -> None:
    assert district("XX区法律援助中心") == "XX区"
    assert district("杭州市西湖区法律援助中心") == "杭州市西湖区"
    assert district("淳安县法律援助中心") == "淳安县"
    assert district("法律援助中心") == ""


def test_the_word_sheet_is_a4_its_columns_fit_and_it_is_signed_and_dated(files: list[Path]) -> None:
    document = docx.Document(str(files[0]))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    body = (section.page_width - section.left_margin - section.right_margin) / Pt(1)
    # The title names the district and the month, and breaks (if at all) after the desk's name only.
    title = document.paragraphs[0].text
    assert title.replace("\n", "") == "XX区劳动人事争议仲裁委员会法律援助咨询点值班安排表（2012年11月）"
    assert title.split("\n") in (
        [title],
        ["XX区劳动人事争议仲裁委员会法律援助咨询点", "值班安排表（2012年11月）"],
    )
    table = document.tables[0]
    widths = [column.width / Pt(1) for column in table.columns]
    assert sum(widths) <= body + 1
    # The longest date and the firm's name fit their columns on one line (before, all six were equal).
    assert widths[0] >= text_width("2012年11月30日", BODY_SIZE) + CELL_PADDING_PT - 0.5
    assert widths[5] >= text_width(FIRM, BODY_SIZE) + CELL_PADDING_PT - 0.5
    assert len(set(widths)) > 1
    assert [p.text for p in document.paragraphs[-2:]] == ["XX区法律援助中心", "2012年10月25日"]


def test_the_workbook_has_a_month_sheet_a_title_row_widths_and_real_dates(files: list[Path]) -> None:
    workbook = load_workbook(files[1])
    assert workbook.sheetnames == ["2012年11月"]
    sheet = workbook["2012年11月"]
    assert sheet["A1"].value == "XX区劳动人事争议仲裁委员会法律援助咨询点值班安排表（2012年11月）"
    assert [c.value for c in sheet[2]] == ["日期", "星期", "班次", "时间", "值班人员", "所属机构"]
    days = [row[0].value for row in sheet.iter_rows(min_row=3)]
    # Dates, not texts: they sort as dates (as texts, 2012年11月10日 came before 2012年11月2日).
    assert all(isinstance(day, datetime) for day in days)
    assert [day.date() for day in days] == NOVEMBER and days == sorted(days)
    assert sheet["A3"].number_format == 'yyyy"年"m"月"d"日"'
    assert sheet["F3"].value == FIRM
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEF"}
    assert widths["A"] >= 14 and widths["F"] >= 2 * len(FIRM)
    assert int(sheet.page_setup.paperSize) == 9  # A4


@pytest.mark.skipif(not shutil.which("soffice") or not shutil.which("pdftotext"), reason="no LibreOffice")
def test_printed_no_date_or_firm_wraps_and_the_title_breaks_between_words(
    files: list[Path], tmp_path: Path
) -> None:
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
         "pdf", "--outdir", str(tmp_path), str(files[0])],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    pdf = tmp_path / files[0].with_suffix(".pdf").name
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert "pts (A4)" in info
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)
    # Compacted: LibreOffice sets Chinese and Latin text apart (2012 年 11 月), pdftotext shows the gaps.
    lines = ["".join(line.split()) for line in text.splitlines() if line.strip()]
    assert "值班安排表（2012年11月）" in "".join(lines)
    assert not any(line.endswith("值班安") for line in lines)
    for day in NOVEMBER:
        assert any(line.startswith(f"{day.year}年{day.month}月{day.day}日星期") for line in lines), day
    assert sum(line.endswith(FIRM) for line in lines) == len(NOVEMBER)
    assert lines[-3:] == ["XX区法律援助中心", "2012年10月25日", "—1—"]  # the page number last
