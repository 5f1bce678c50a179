"""The report as a Word document, built with python-docx from the report's content.

Not a docxtpl template: the sections, tables and charts depend on the data, and nothing in the report is
free text to edit (the figures are the report). Chinese text needs its East Asian font set explicitly
(``w:eastAsia``); a plain font name sets only the Latin fonts, and Word would then pick whatever it likes
for the Chinese. Body text in 宋体, headings in 黑体, as official documents are set.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from legalaid.models.base import utcnow
from legalaid.reports._files import normalised_zip
from legalaid.reports.charts import render_chart
from legalaid.reports.content import BarChart, Cell, ReportContent

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY_FONT, HEADING_FONT, LATIN_FONT = "宋体", "黑体", "Times New Roman"
BLACK = RGBColor(0, 0, 0)

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
    run.font.name = LATIN_FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold
    run.font.color.rgb = BLACK


def render_docx(
    content: ReportContent,
    *,
    author: str,
    as_of_time: datetime | None = None,
    chart_renderer: ChartRenderer = render_chart,
    appendix_name: str | None = None,
) -> bytes:
    """The Word document of ``content``: title, sections (sentences, charts, tables), closing."""
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    section = document.sections[0]
    section.left_margin = section.right_margin = Cm(2.5)
    # Fixed document properties, so that the same figures give the same file (and checksum).
    properties = document.core_properties
    properties.title = content.title
    properties.author = properties.last_modified_by = author
    stamp = as_of_time or datetime.combine(utcnow().date(), time())
    properties.created = properties.modified = stamp
    properties.revision = 1

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(content.title), HEADING_FONT, size=16, bold=True)
    subtitle = document.add_paragraph()
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(subtitle.add_run(content.subtitle), BODY_FONT, size=10.5)

    for part in content.sections:
        heading = document.add_heading(level=1)
        _font(heading.add_run(part.heading), HEADING_FONT, size=14, bold=True)
        for text in part.paragraphs:
            paragraph = document.add_paragraph()
            paragraph.paragraph_format.first_line_indent = Pt(22)
            _font(paragraph.add_run(text), BODY_FONT)
        for chart in part.charts:
            picture = document.add_paragraph()
            picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
            picture.add_run().add_picture(io.BytesIO(chart_renderer(chart)), width=Cm(15))
        for table in part.tables:
            caption = document.add_paragraph()
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(caption.add_run(table.title), HEADING_FONT, size=10.5, bold=True)
            grid = document.add_table(rows=1, cols=len(table.headers))
            grid.style = "Table Grid"
            grid.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, header in zip(grid.rows[0].cells, table.headers, strict=True):
                _font(cell.paragraphs[0].add_run(header), HEADING_FONT, size=10, bold=True)
            for row in table.rows:
                cells = grid.add_row().cells
                for cell, value in zip(cells, row, strict=True):
                    _font(cell.paragraphs[0].add_run(cell_text(value)), BODY_FONT, size=10)
                    if not isinstance(value, str):
                        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            document.add_paragraph()
    if appendix_name:
        note = document.add_paragraph()
        zh = any("\u4e00" <= char <= "\u9fff" for char in content.title)
        label = f"附件：{appendix_name}（各表数据）" if zh else f"Appendix: {appendix_name} (every table)"
        _font(note.add_run(label), BODY_FONT, size=10.5)
    for line in content.closing.splitlines():
        closing = document.add_paragraph()
        closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _font(closing.add_run(line), BODY_FONT)
    out = io.BytesIO()
    document.save(out)
    return normalised_zip(out.getvalue())
