"""Word documents built in code, and the runs of a template read back: the one module that imports
python-docx (ruff's banned-api says so; docxtpl, which uses it underneath, stays in ``render.py``).

The report and the roster sheet are built from data (their tables depend on it), not from a template; they
ask here for a document with the center's fonts, for fonted runs, pictures and alignments, and for the bytes.
Chinese text needs its East Asian font (``w:eastAsia``): a plain font name sets only the Latin fonts.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

# Alignments, as python-docx names them (a paragraph's, and a table's on the page).
CENTER = WD_ALIGN_PARAGRAPH.CENTER
RIGHT = WD_ALIGN_PARAGRAPH.RIGHT
TABLE_CENTER = WD_TABLE_ALIGNMENT.CENTER
_BLACK = RGBColor(0, 0, 0)


def new_document(
    *, latin_font: str, east_asian_font: str, size: float, margins_cm: float | None = None
) -> Any:
    """An empty document whose Normal style has these fonts and size (points); ``margins_cm`` sets the
    left and right margins. Any: python-docx has no type hints."""
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = latin_font
    normal.font.size = Pt(size)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian_font)
    if margins_cm is not None:
        section = document.sections[0]
        section.left_margin = section.right_margin = Cm(margins_cm)
    return document


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


def indent_first_line(paragraph: Any, points: float) -> None:
    paragraph.paragraph_format.first_line_indent = Pt(points)


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
