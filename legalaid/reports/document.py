"""The report as a Word document, built with python-docx from the report's content.

Not a docxtpl template: the sections, tables and charts depend on the data, and nothing in the report is
free text to edit (the figures are the report). Chinese text needs its East Asian font set explicitly
(``w:eastAsia``); a plain font name sets only the Latin fonts, and Word would then pick whatever it likes
for the Chinese. Set as official documents are (GB/T 9704): A4, the title in 小标宋 二号, headings in 黑体
三号, the body in 仿宋 三号, tables in 仿宋 五号 (six columns must fit the 156 mm body), the page number
"— 1 —" in the footer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from legalaid.ooxml import normalised_zip
from legalaid.reports.charts import render_chart
from legalaid.reports.content import BarChart, Cell, ReportContent
from legalaid.word import (
    CENTER,
    FANGSONG,
    HEITI,
    LATIN,
    RIGHT,
    SIZE_2,
    SIZE_3,
    SIZE_4,
    SIZE_5,
    TABLE_CENTER,
    XIAOBIAOSONG,
    add_picture,
    docx_bytes,
    indent_first_line,
    keep_table_together,
    keep_with_next,
    new_document,
    set_font,
    set_properties,
)

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY_FONT, HEADING_FONT, TITLE_FONT, LATIN_FONT = FANGSONG, HEITI, XIAOBIAOSONG, LATIN

ChartRenderer = Callable[[BarChart], bytes]


def cell_text(value: Cell) -> str:
    """A table cell as the document shows it: a missing figure as a dash, decimals as rounded."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _font(run: Any, name: str, *, size: float | None = None, bold: bool | None = None) -> None:
    set_font(run, latin=LATIN_FONT, east_asian=name, size=size, bold=bold)


def render_docx(
    content: ReportContent,
    *,
    author: str,
    as_of_time: datetime,
    chart_renderer: ChartRenderer = render_chart,
    appendix_name: str | None = None,
) -> bytes:
    """The Word document of ``content``: title, sections (sentences, charts, tables), closing.

    ``as_of_time`` is the report's as-of moment, its creation and modification time: never the clock, so
    that a rebuild of the same figures gives the same bytes.
    """
    document = new_document(latin_font=LATIN_FONT, east_asian_font=BODY_FONT, size=SIZE_3)
    set_properties(document, title=content.title, author=author, stamp=as_of_time)

    title = document.add_paragraph()
    title.alignment = CENTER
    _font(title.add_run(content.title), TITLE_FONT, size=SIZE_2)
    subtitle = document.add_paragraph()
    subtitle.alignment = CENTER
    _font(subtitle.add_run(content.subtitle), BODY_FONT, size=SIZE_4)

    for part in content.sections:
        heading = document.add_heading(level=1)
        _font(heading.add_run(part.heading), HEADING_FONT, size=SIZE_3, bold=False)
        for text in part.paragraphs:
            paragraph = document.add_paragraph()
            indent_first_line(paragraph, 2 * SIZE_3)  # two characters
            _font(paragraph.add_run(text), BODY_FONT)
        for chart in part.charts:
            picture = document.add_paragraph()
            picture.alignment = CENTER
            add_picture(picture, chart_renderer(chart), width_cm=15)
        for table in part.tables:
            caption = document.add_paragraph()
            caption.alignment = CENTER
            keep_with_next(caption)
            _font(caption.add_run(table.title), HEADING_FONT, size=SIZE_4)
            grid = document.add_table(rows=1, cols=len(table.headers))
            grid.style = "Table Grid"
            grid.alignment = TABLE_CENTER
            for cell, header in zip(grid.rows[0].cells, table.headers, strict=True):
                _font(cell.paragraphs[0].add_run(header), HEADING_FONT, size=SIZE_5)
            for row in table.rows:
                cells = grid.add_row().cells
                for cell, value in zip(cells, row, strict=True):
                    _font(cell.paragraphs[0].add_run(cell_text(value)), BODY_FONT, size=SIZE_5)
                    if not isinstance(value, str):
                        cell.paragraphs[0].alignment = RIGHT
            keep_table_together(grid)
            document.add_paragraph()
    if appendix_name:
        note = document.add_paragraph()
        zh = any("\u4e00" <= char <= "\u9fff" for char in content.title)
        label = f"附件：{appendix_name}（各表数据）" if zh else f"Appendix: {appendix_name} (every table)"
        _font(note.add_run(label), BODY_FONT)
    for line in content.closing.splitlines():
        closing = document.add_paragraph()
        closing.alignment = RIGHT
        _font(closing.add_run(line), BODY_FONT)
    return normalised_zip(docx_bytes(document))
