"""Word documents built in code, and the runs of a template read back: the one module that imports
python-docx (ruff's banned-api says so; docxtpl, which uses it underneath, stays in ``render.py``).

The report and the roster sheet are built from data (their tables depend on it), not from a template; they
ask here for a document with the center's fonts, for fonted runs, pictures and alignments, and for the bytes.
Every document is A4 with GB/T 9704 margins and, unless told otherwise, a page number in its footer; Chinese
text needs its East Asian font (``w:eastAsia``): a plain font name sets only the Latin fonts.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

# Alignments, as python-docx names them (a paragraph's, and a table's on the page).
CENTER = WD_ALIGN_PARAGRAPH.CENTER
RIGHT = WD_ALIGN_PARAGRAPH.RIGHT
TABLE_CENTER = WD_TABLE_ALIGNMENT.CENTER
_BLACK = RGBColor(0, 0, 0)

# The fonts and sizes of official documents (GB/T 9704-2012): body 仿宋 三号, headings 黑体, the title
# 小标宋 二号, page numbers 宋体 四号. 仿宋 is the name every Windows has (仿宋_GB2312 is not installed by
# default any more); a machine without a font substitutes its own East Asian font, never a Latin one.
LATIN = "Times New Roman"
FANGSONG, HEITI, SONGTI, XIAOBIAOSONG = "仿宋", "黑体", "宋体", "方正小标宋简体"
SIZE_2, SIZE_3, SIZE_4, SIZE_SMALL_4, SIZE_5 = 22.0, 16.0, 14.0, 12.0, 10.5

# GB/T 9704 §5.2.1: A4, top margin (天头) 37 mm, left (订口) 28 mm, body 156 × 225 mm, so right 26 mm and
# bottom 35 mm. A landscape page (a wide table) turns the same margins with the paper: its binding edge is
# the top.
_A4 = (Mm(210), Mm(297))
_MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
_LANDSCAPE_MARGINS_MM = {"top": 28, "bottom": 26, "left": 37, "right": 35}
# The page number sits about 7 mm below the body's last line (§7.5): the footer 28 mm above the page edge.
_FOOTER_MM = 25


def new_document(
    *,
    latin_font: str = LATIN,
    east_asian_font: str = FANGSONG,
    size: float = SIZE_3,
    landscape: bool = False,
    page_numbers: bool = True,
) -> Any:
    """An empty A4 document with GB/T 9704 margins, whose Normal style has these fonts and size (points),
    and (``page_numbers``) the page number centred in the footer as GB/T 9704 writes it: "— 1 —".
    ``landscape`` turns the page (a wide table). Any: python-docx has no type hints."""
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = latin_font
    normal.font.size = Pt(size)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian_font)
    section = document.sections[0]
    width, height = _A4
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        width, height = height, width
    section.page_width, section.page_height = width, height
    for side, mm in (_LANDSCAPE_MARGINS_MM if landscape else _MARGINS_MM).items():
        setattr(section, f"{side}_margin", Mm(mm))
    if page_numbers:
        section.footer_distance = Mm(_FOOTER_MM)
        _page_number_footer(section)
    return document


def _page_number_footer(section: Any) -> None:
    """ "— 1 —" centred in the footer: a PAGE field between two dashes, 宋体 四号."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = CENTER
    set_font(paragraph.add_run("— "), latin=SONGTI, east_asian=SONGTI, size=SIZE_4)
    run = paragraph.add_run()
    set_font(run, latin=SONGTI, east_asian=SONGTI, size=SIZE_4)
    # A complex field (begin, instruction, separate, the value shown until it is updated, end): Word and
    # LibreOffice compute each page's number when they lay the document out.
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText" if text == " PAGE " else "w:t")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._element.append(element)
    set_font(paragraph.add_run(" —"), latin=SONGTI, east_asian=SONGTI, size=SIZE_4)


def page_fields(document: Any) -> list[str]:
    """The field instructions in the first section's footer (``PAGE``): for the tests and the check."""
    footer = document.sections[0].footer._element
    return [(element.text or "").strip() for element in footer.iter(qn("w:instrText"))]


def set_properties(document: Any, *, title: str, author: str, stamp: datetime) -> None:
    """Fixed document properties, so that the same content gives the same file (and checksum)."""
    properties = document.core_properties
    properties.title = title
    properties.author = properties.last_modified_by = author
    properties.created = properties.modified = stamp
    properties.revision = 1


def set_font(
    run: Any, *, latin: str, east_asian: str, size: float | None = None, bold: bool | None = None
) -> None:
    """A run in black, with these fonts, and the size (points) and weight when given."""
    run.font.name = latin
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold
    run.font.color.rgb = _BLACK


def set_size(run: Any, size: float) -> None:
    """A run's size in points."""
    run.font.size = Pt(size)


def body_width_pt(document: Any) -> float:
    """The width between the first section's margins, in points: what a title or a table may fill."""
    section = document.sections[0]
    return float((section.page_width - section.left_margin - section.right_margin) / Pt(1))


def set_column_widths(table: Any, widths_pt: list[float], *, cell_margin_pt: float | None = None) -> None:
    """Fixed column widths (points): the grid and every cell (Word reads the cells, LibreOffice the grid),
    with the fixed layout, so that neither program re-spreads the columns evenly; ``cell_margin_pt`` sets
    the cells' left and right margins (Word's default is 5.4 pt each)."""
    table.autofit = False
    properties = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    properties.append(layout)
    if cell_margin_pt is not None:
        margins = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            margin = OxmlElement(f"w:{side}")
            margin.set(qn("w:w"), str(round(cell_margin_pt * 20)))  # twentieths of a point
            margin.set(qn("w:type"), "dxa")
            margins.append(margin)
        properties.append(margins)
    for column, width in zip(table.columns, widths_pt, strict=True):
        column.width = Pt(width)
        for cell in column.cells:
            cell.width = Pt(width)


def indent_first_line(paragraph: Any, points: float) -> None:
    paragraph.paragraph_format.first_line_indent = Pt(points)


def keep_with_next(paragraph: Any) -> None:
    """Keep the paragraph on the page of the next one (a table's caption with its table)."""
    paragraph.paragraph_format.keep_with_next = True


def keep_table_together(table: Any) -> None:
    """A table that does not break across pages when it fits on one (each row kept with the next, no row
    split), and whose first row repeats on each page when it does not fit (a header printed alone at a
    page's foot, its rows on the next, is what this prevents)."""
    rows = list(table.rows)
    for index, row in enumerate(rows):
        properties = row._tr.get_or_add_trPr()
        properties.append(OxmlElement("w:cantSplit"))
        if index == 0:
            properties.append(OxmlElement("w:tblHeader"))
        if index < len(rows) - 1:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True


def add_picture(paragraph: Any, png: bytes, *, width_cm: float) -> None:
    """An image in its own run of ``paragraph``, scaled to the width."""
    paragraph.add_run().add_picture(io.BytesIO(png), width=Cm(width_cm))


def docx_bytes(document: Any) -> bytes:
    """The document as the bytes of a .docx file."""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def paragraph_runs(path: Path) -> Iterator[list[str]]:
    """The text of each run, paragraph by paragraph, in the body, the tables, the headers and footers."""
    document = Document(str(path))
    roots = [document.element.body]
    roots += [
        rel.target_part.element
        for rel in document.part.rels.values()
        if rel.reltype in (RELATIONSHIP_TYPE.HEADER, RELATIONSHIP_TYPE.FOOTER) and not rel.is_external
    ]
    for root in roots:
        for paragraph in root.iter(qn("w:p")):
            yield [
                "".join(t.text or "" for t in run.iter(qn("w:t")))
                for run in paragraph.iter(qn("w:r"))
                if _paragraph_of(run) is paragraph
            ]


def _paragraph_of(element: Any) -> Any:
    # A text box holds paragraphs inside a run: each run belongs to its nearest paragraph only.
    parent = element.getparent()
    while parent is not None and parent.tag != qn("w:p"):
        parent = parent.getparent()
    return parent
