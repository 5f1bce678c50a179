"""The month's duty roster notice (值班安排表) for posting at the desk: a Word document and a workbook.

Built with python-docx directly rather than a docxtpl template: the table's rows depend on the month and
the desk's slots, and nothing in it is free text a user should edit. Chinese text gets its East Asian font
(``w:eastAsia``); a plain font name would set only the Latin fonts. No phone numbers: the sheet hangs in a
public hall.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.errors import UserError
from legalaid.importing import write_xlsx
from legalaid.models import Person
from legalaid.roster.data import settings_desk_days
from legalaid.roster.mailing import Labels
from legalaid.roster.store import load_window
from legalaid.word import CENTER, RIGHT, docx_bytes, new_document, set_size

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EAST_ASIAN_FONT = "宋体"
LATIN_FONT = "Times New Roman"


@dataclass(frozen=True)
class RosterSheet:
    """The month's rows (day, weekday, slot, hours, who) and the files written from them."""

    month: date  # the first of the month
    title: str
    headers: list[str]
    rows: list[list[str]]


def parse_month(value: str) -> date:
    """``2012-11`` → 2012-11-01; a UserError naming ``--month`` otherwise."""
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise UserError(f"--month: {value!r} is not a month (YYYY-MM)") from None


def month_sheet(
    session: Session, settings: Settings, *, month: date, calendar: WorkCalendar | None = None
) -> RosterSheet:
    """The roster of ``month`` as rows: every desk day and slot, with who is on duty (or empty)."""
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
    rows: list[list[str]] = []
    for day in settings_desk_days(settings, calendar, start, end):
        for slot in settings.roster_slots:
            on_duty = [s.person for s in window.shifts if s.on == day and s.slot == slot]
            names = "、".join(firms[code][0] for code in on_duty) or ("（待定）" if zh else "(to be set)")
            firm_names = "、".join(dict.fromkeys(firms[code][1] for code in on_duty if firms[code][1]))
            rows.append(
                [
                    labels.day(day),
                    labels.weekday(day),
                    labels.slot(slot),
                    labels.hours(slot),
                    names,
                    firm_names,
                ]
            )
    if zh:
        title = f"{settings.roster_desk_name}{start.year}年{start.month}月值班安排表"
        headers = ["日期", "星期", "班次", "时间", "值班人员", "所属机构"]
    else:
        title = f"{settings.roster_desk_name}: duty roster for {start:%B %Y}"
        headers = ["Date", "Weekday", "Slot", "Hours", "On duty", "Firm"]
    return RosterSheet(month=start, title=title, headers=headers, rows=rows)


def sheet_docx(sheet: RosterSheet, settings: Settings) -> bytes:
    """The sheet as a Word document: title, the desk's address, the table, the center's name."""
    document = new_document(latin_font=LATIN_FONT, east_asian_font=EAST_ASIAN_FONT, size=11)
    title = document.add_paragraph()
    title.alignment = CENTER
    run = title.add_run(sheet.title)
    run.bold = True
    set_size(run, 16)
    zh = settings.locale == "zh_CN"
    where = "地点：" if zh else "Where: "
    document.add_paragraph(f"{where}{settings.roster_desk_address}")
    table = document.add_table(rows=1, cols=len(sheet.headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, sheet.headers, strict=True):
        cell.text = header
        for paragraph in cell.paragraphs:
            for header_run in paragraph.runs:
                header_run.bold = True
    for row in sheet.rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    note = (
        "如需调班，请提前与中心联系，由中心登记调整。"
        if zh
        else "To swap a duty, ask the center in advance; it records the change."
    )
    document.add_paragraph(note)
    signature = document.add_paragraph(settings.center_name)
    signature.alignment = RIGHT
    return docx_bytes(document)


def write_sheet(sheet: RosterSheet, settings: Settings, folder: Path) -> list[Path]:
    """Write ``值班安排表-2012-11.docx`` and ``.xlsx`` (or ``duty-roster-…``) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{'值班安排表' if settings.locale == 'zh_CN' else 'duty-roster'}-{sheet.month:%Y-%m}"
    docx_path, xlsx_path = folder / f"{stem}.docx", folder / f"{stem}.xlsx"
    docx_path.write_bytes(sheet_docx(sheet, settings))
    write_xlsx(xlsx_path, sheet.headers, [dict(zip(sheet.headers, row, strict=True)) for row in sheet.rows])
    return [docx_path, xlsx_path]
