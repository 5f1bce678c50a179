"""The month's duty roster notice (值班安排表) for posting at the desk: a Word document and a workbook.

Built with python-docx directly rather than a docxtpl template: the table's rows depend on the month and
the desk's slots, and nothing in it is free text a user should edit. No phone numbers: the sheet hangs in a
public hall.

The sheet is laid out to print on one A4 page as the center would post it: the title names the district
(taken from the center's name: XX区法律援助中心 → XX区) and the month, and breaks, when it must, only
between the desk's name and 值班安排表, never inside a word; each column is as wide as its longest text, so
no date or firm name wraps; the 落款 is the center's name with the date the sheet was made under it. The
workbook holds the same rows on a sheet named for the month, under a title row, with real dates.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.dates import format_date, format_month
from legalaid.errors import UserError
from legalaid.models import Person
from legalaid.roster.data import settings_desk_days
from legalaid.roster.mailing import Labels
from legalaid.roster.store import load_window
from legalaid.spreadsheet import write_titled_sheet
from legalaid.word import (
    CENTER,
    RIGHT,
    SIZE_3,
    SIZE_5,
    SONGTI,
    body_width_pt,
    docx_bytes,
    new_document,
    set_column_widths,
    set_font,
)

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EAST_ASIAN_FONT = SONGTI
LATIN_FONT = "Times New Roman"
TITLE_FONT = "黑体"
# The table in 五号 (10.5 pt), a form's size: at 小四 the full date, the hours and a firm's name such as
# 浙江XX律师事务所 do not fit side by side in the 156 mm of an A4 body.
BODY_SIZE = SIZE_5
# The cells' left and right margins (1 mm; Word's default is 1.9 mm), and what a column gives them and a
# little room for rounding.
CELL_MARGIN_PT = 2.85
CELL_PADDING_PT = 2 * CELL_MARGIN_PT + 3
# How the sheet's dates look in the workbook (an Excel number format).
XLSX_DATE_FORMATS = {"zh_CN": 'yyyy"年"m"月"d"日"', "en": "d mmmm yyyy"}
# The district in the center's name: XX区法律援助中心 → XX区, 杭州市西湖区法律援助中心 → 杭州市西湖区.
_DISTRICT = re.compile(r"^(.+[区县市旗])法律援助")


@dataclass(frozen=True)
class RosterSheet:
    """The month's rows (day, weekday, slot, hours, who, firm) and what is printed around them.

    A row's first cell is the day as a ``date`` (the document writes it in the center's language, the
    workbook stores it as a date); the other cells are texts.
    """

    month: date  # the first of the month
    title: str
    headers: list[str]
    rows: list[list[str | date]]
    # Where the title may break when it does not fit one line: after this many characters, the end of
    # the desk's name (0: nowhere; it stays on one line).
    title_break: int = 0
    signature: list[str] = field(default_factory=list)  # the 落款: the center's name, the date made
    locale: str = "zh_CN"

    @property
    def sheet_name(self) -> str:
        return format_month(self.month, self.locale)


def district(center_name: str) -> str:
    """The district (区、县) of the center, from its name; empty when the name does not say it."""
    match = _DISTRICT.match(center_name.strip())
    return match.group(1) if match else ""


def parse_month(value: str) -> date:
    """``2012-11`` → 2012-11-01; a UserError naming ``--month`` otherwise."""
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise UserError(f"--month: {value!r} is not a month (YYYY-MM)") from None


def month_sheet(
    session: Session,
    settings: Settings,
    *,
    month: date,
    made_on: date,
    calendar: WorkCalendar | None = None,
) -> RosterSheet:
    """The roster of ``month`` as rows: every desk day and slot, with who is on duty (or empty); signed by
    the center with ``made_on``, the day the sheet is made."""
    calendar = calendar or WorkCalendar.from_settings(settings)
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    window = load_window(session, settings, start=start, end=end, calendar=calendar)
    labels = Labels(settings)
    firms = {
        p.code: (p.name, p.firm.name if p.firm else "")
        for p in session.scalars(select(Person).where(Person.code.in_({s.person for s in window.shifts})))
    }
    zh = settings.locale == "zh_CN"
    rows: list[list[str | date]] = []
    for day in settings_desk_days(settings, calendar, start, end):
        for slot in settings.roster_slots:
            on_duty = [s.person for s in window.shifts if s.on == day and s.slot == slot]
            names = "、".join(firms[code][0] for code in on_duty) or ("（待定）" if zh else "(to be set)")
            firm_names = "、".join(dict.fromkeys(firms[code][1] for code in on_duty if firms[code][1]))
            rows.append([day, labels.weekday(day), labels.slot(slot), labels.hours(slot), names, firm_names])
    desk = settings.roster_desk_name
    area = district(settings.center_name)
    if area and not desk.startswith(area):
        desk = area + desk  # 劳动人事争议仲裁委员会… is the district's: XX区劳动人事争议仲裁委员会…
    if zh:
        title = f"{desk}值班安排表（{format_month(start, 'zh_CN')}）"
        headers = ["日期", "星期", "班次", "时间", "值班人员", "所属机构"]
    else:
        title = f"{desk}: duty roster for {format_month(start, 'en')}"
        headers = ["Date", "Weekday", "Slot", "Hours", "On duty", "Firm"]
    return RosterSheet(
        month=start,
        title=title,
        headers=headers,
        rows=rows,
        title_break=len(desk) + (1 if not zh else 0),
        signature=[settings.center_name, format_date(made_on, settings.locale)],
        locale=settings.locale,
    )


def text_width(text: str, size: float) -> float:
    """How wide ``text`` prints at ``size`` points, a little generously: a Chinese (wide) character is
    one em, a Latin capital 0.75, anything else (digits, lower case, ':' and '-') 0.64 (the digits of
    DejaVu Serif, which LibreOffice puts in place of a missing Times New Roman; Times' are 0.5), and each
    change between Chinese and Latin a quarter em more (Word and LibreOffice set them apart: 2012 年)."""
    ems = 0.0
    wide_before: bool | None = None
    for char in text:
        wide = unicodedata.east_asian_width(char) in ("W", "F")
        if wide:
            ems += 1.0
        elif char.isupper():
            ems += 0.75
        else:
            ems += 0.64
        if wide_before is not None and wide != wide_before:
            ems += 0.25
        wide_before = wide
    return ems * size


def title_lines(sheet: RosterSheet, width_pt: float, size: float) -> list[str]:
    """The title on one line when it fits at ``size``; otherwise two, broken after the desk's name (a
    word boundary), never inside a word as the page would break it."""
    if text_width(sheet.title, size) <= width_pt or not 0 < sheet.title_break < len(sheet.title):
        return [sheet.title]
    return [sheet.title[: sheet.title_break].rstrip(" :"), sheet.title[sheet.title_break :].strip()]


def column_widths(cells: list[list[str]], width_pt: float, size: float) -> list[float]:
    """Each column as wide as its widest text (with the cell's margins); the rest of the page goes to
    the last column (the firm), which alone wraps if the texts are wider than the page altogether."""
    needed = [max(text_width(row[n], size) for row in cells) + CELL_PADDING_PT for n in range(len(cells[0]))]
    fixed = sum(needed[:-1])
    return [*needed[:-1], max(width_pt - fixed, 4 * size + CELL_PADDING_PT)]


def sheet_docx(sheet: RosterSheet, settings: Settings) -> bytes:
    """The sheet as a Word document (A4, a page number in the footer): the title, the desk's address,
    the table, the note on swaps, and the 落款 (the center, the date) on the right."""
    zh = settings.locale == "zh_CN"
    document = new_document(latin_font=LATIN_FONT, east_asian_font=EAST_ASIAN_FONT, size=BODY_SIZE)
    width = body_width_pt(document)
    title = document.add_paragraph()
    title.alignment = CENTER
    # A line break (not a new paragraph) between the title's lines: one title, in one paragraph.
    run = title.add_run("\n".join(title_lines(sheet, width, SIZE_3)))
    set_font(run, latin=TITLE_FONT, east_asian=TITLE_FONT, size=SIZE_3, bold=True)
    where = "地点：" if zh else "Where: "
    document.add_paragraph(f"{where}{settings.roster_desk_address}")
    texts = [sheet.headers] + [
        [format_date(value, sheet.locale) if isinstance(value, date) else value for value in row]
        for row in sheet.rows
    ]
    table = document.add_table(rows=0, cols=len(sheet.headers))
    table.style = "Table Grid"
    for number, values in enumerate(texts):
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
            if number == 0:
                for header_run in cell.paragraphs[0].runs:
                    header_run.bold = True
    set_column_widths(table, column_widths(texts, width, BODY_SIZE), cell_margin_pt=CELL_MARGIN_PT)
    note = (
        "如需调班，请提前与中心联系，由中心登记调整。"
        if zh
        else "To swap a duty, ask the center in advance; it records the change."
    )
    document.add_paragraph(note)
    for line in sheet.signature:
        document.add_paragraph(line).alignment = RIGHT
    return docx_bytes(document)


def write_sheet(sheet: RosterSheet, settings: Settings, folder: Path) -> list[Path]:
    """Write ``值班安排表-2012-11.docx`` and ``.xlsx`` (or ``duty-roster-…``) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{'值班安排表' if settings.locale == 'zh_CN' else 'duty-roster'}-{sheet.month:%Y-%m}"
    docx_path, xlsx_path = folder / f"{stem}.docx", folder / f"{stem}.xlsx"
    docx_path.write_bytes(sheet_docx(sheet, settings))
    write_titled_sheet(
        xlsx_path,
        sheet_name=sheet.sheet_name,
        title=sheet.title,
        headers=sheet.headers,
        rows=sheet.rows,
        date_format=XLSX_DATE_FORMATS.get(sheet.locale, XLSX_DATE_FORMATS["en"]),
    )
    return [docx_path, xlsx_path]
