#!/usr/bin/env python3
"""Build the Word templates under templates/docx/<locale>/ with python-docx.

The committed .docx files are the product: users open and edit them in Word or WPS. This script is how they
were made, and how to make them again after a change of wording or layout:

    .venv/bin/python scripts/build_docx_templates.py

Building in code guarantees what hand-editing does not: each Jinja tag sits whole in one run, and every run
names its East Asian font (``w:eastAsia``; python-docx's ``font.name`` sets only the Latin ones).

Layout as GB/T 9704 lays out official documents: A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm;
the title in 方正小标宋简体 at 二号 (22 pt), the body in 仿宋_GB2312 at 三号 (16 pt), fixed line spacing of
28.95 pt (22 lines a page); the document number under the title; the issuing body and the date at the foot,
right-aligned. Where a font is missing, the font table tells Word and WPS what to use instead
(华文中宋, 仿宋).

One page each: the assignment notice's case table is set in 小四 (12 pt) on exact single (16 pt) lines
with a narrow label column and the three dates in one row, so its nine rows take the room of five body
lines; and the closing line, the blank lines for
the seal and the issuing body are kept with the next paragraph, so should a long case overflow the page,
the signature never stands alone on the last one (GB/T 9704 §7.3.5: no seal page without text).
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from legalaid.documents.registry import KINDS, LOCALES, Locale  # noqa: E402

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
LATIN_FONT = "Times New Roman"
TITLE_SIZE = Pt(22)  # 二号
BODY_SIZE = Pt(16)  # 三号
LINE_SPACING = Pt(28.95)  # 22 lines in the 225 mm type area
INDENT = Pt(32)  # 首行缩进两字
CELL_SIZE = Pt(12)  # 小四, the case table of the assignment notice
CELL_LINE_SPACING = Pt(16)  # exact single lines
COLUMN_WIDTHS = (Mm(26), Mm(130))  # label, value: the 156 mm type width; a label is 4 characters at most
_TAG = re.compile(r"(\{\{.*?\}\}|\{%.*?%\})")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# Substitutes for machines without the official fonts: Word and WPS read w:altName, and charset 86
# (GB2312) with the family lets them pick a Chinese face of the same kind.
FONT_TABLE_ENTRIES = {
    TITLE_FONT: ("华文中宋", "roman", "variable"),
    "华文中宋": ("宋体", "auto", "variable"),
    BODY_FONT: ("仿宋", "modern", "fixed"),
    "仿宋": ("FangSong", "modern", "fixed"),
    "宋体": ("SimSun", "auto", "variable"),
}


@dataclass(frozen=True)
class Line:
    """One paragraph: its role (which sets font and alignment) and its text with Jinja tags."""

    # title, number, addressee, body, close (the last line: 特此通知), blank, blank_keep (above the
    # signature), sign, date
    role: str
    text: str = ""


@dataclass(frozen=True)
class Table:
    """A two-column table of labels and values."""

    rows: tuple[tuple[str, str], ...]


Block = Line | Table


def _head(kind: str, locale: Locale) -> list[Block]:
    number = "{{ document_no }}" if locale == "zh_CN" else "No. {{ document_no }}"
    title = KINDS[kind].title(locale)
    return [Line("title", "{{ center_name }}"), Line("title", title), Line("number", number), Line("blank")]


# The issuing body and the date, two blank lines below the text (room for the seal).
_SIGNATURE: list[Block] = [
    Line("blank_keep"),
    Line("blank_keep"),
    Line("sign", "{{ center_name }}"),
    Line("date", "{{ issue_date }}"),
]

_APPLIED_ZH = (
    "你于{{ applied_on }}向本中心提出的{{ matter }}（{{ case_type }}）法律援助申请（案号：{{ case_no }}）"
)
_APPLIED_EN = (
    "Your application for legal aid of {{ applied_on }} concerning {{ matter }} "
    "({{ case_type }} case, case number {{ case_no }})"
)
_LAW_EN = "the Legal Aid Law of the People's Republic of China"

TABLE_ROWS: dict[Locale, tuple[tuple[str, str], ...]] = {
    "zh_CN": (
        ("案号", "{{ case_no }}"),
        ("受援人", "{{ applicant_name }}"),
        ("案件类型", "{{ case_type }}"),
        ("案由", "{{ matter }}"),
        ("日期", "{{ applied_on }}申请，{{ decided_on }}决定给予，{{ assigned_on }}指派"),
        ("承办人", "{{ lawyer_name }}"),
        ("承办机构", "{{ firm_name }}"),
        ("机构地址", "{{ firm_address }}"),
        ("电子邮箱", "{{ firm_email }}"),
    ),
    "en": (
        ("Case no.", "{{ case_no }}"),
        ("Recipient", "{{ applicant_name }}"),
        ("Case type", "{{ case_type }}"),
        ("Matter", "{{ matter }}"),
        ("Dates", "applied {{ applied_on }}, granted {{ decided_on }}, assigned {{ assigned_on }}"),
        ("Lawyer", "{{ lawyer_name }}"),
        ("Firm", "{{ firm_name }}"),
        ("Address", "{{ firm_address }}"),
        ("Email", "{{ firm_email }}"),
    ),
}

# The text between the document number and the signature, by locale and kind.
WORDING: dict[Locale, dict[str, list[Block]]] = {
    "zh_CN": {
        "grant_decision": [
            Line("addressee", "{{ applicant_name }}："),
            Line(
                "body",
                f"{_APPLIED_ZH}，经审查，符合法律援助条件。"
                "根据《中华人民共和国法律援助法》的有关规定，本中心决定给予法律援助。",
            ),
            Line(
                "body",
                "本中心将指派律师或者其他法律援助人员为你提供法律援助，并另行通知你。"
                "请你如实提供与案件有关的情况和证据材料，配合承办人员办理法律援助事项。",
            ),
            Line("close", "特此决定。"),
        ],
        "denial_decision": [
            Line("addressee", "{{ applicant_name }}："),
            Line("body", f"{_APPLIED_ZH}，经审查，不符合法律援助条件，理由如下："),
            Line("body", "{{ reason }}"),
            Line("body", "根据《中华人民共和国法律援助法》的有关规定，本中心决定不予法律援助。"),
            Line("body", "如对本决定有异议，可以向设立本中心的司法行政部门提出。"),
        ],
        "assignment_notice": [
            Line("addressee", "{{ firm_name }}："),
            Line(
                "body",
                "根据《中华人民共和国法律援助法》，本中心指派你单位{{ lawyer_name }}承办下列法律援助案件。"
                "请及时与受援人联系，依法办理，并在案件办结后按照规定向本中心提交结案材料。",
            ),
            Table(TABLE_ROWS["zh_CN"]),
            Line("close", "特此通知。"),
        ],
    },
    "en": {
        "grant_decision": [
            Line("addressee", "To {{ applicant_name }}:"),
            Line(
                "body",
                f"{_APPLIED_EN} has been reviewed. It meets the conditions for legal aid, "
                f"and under {_LAW_EN} this center has decided to grant legal aid.",
            ),
            Line(
                "body",
                "The center will assign a lawyer or another legal aid provider to you and will notify you "
                "separately. Please give them true information and the evidence of your case, and work with "
                "them on the matter.",
            ),
        ],
        "denial_decision": [
            Line("addressee", "To {{ applicant_name }}:"),
            Line(
                "body",
                f"{_APPLIED_EN} has been reviewed. It does not meet the conditions for legal aid, "
                "for the following reason:",
            ),
            Line("body", "{{ reason }}"),
            Line("body", f"Under {_LAW_EN} this center has therefore decided not to grant legal aid."),
            Line(
                "body",
                "If you disagree with this decision, you may raise an objection with the judicial "
                "administration department that established this center.",
            ),
        ],
        "assignment_notice": [
            Line("addressee", "To {{ firm_name }}:"),
            Line(
                "body",
                f"Under {_LAW_EN} this center assigns the legal aid case below to {{{{ lawyer_name }}}} "
                "of your organisation. Please contact the recipient promptly, handle the case according "
                "to law and submit the closing materials to the center when it ends.",
            ),
            Table(TABLE_ROWS["en"]),
        ],
    },
}


def _set_fonts(rpr_owner: object, *, latin: str, east_asia: str) -> None:
    """Set ascii, hAnsi and eastAsia fonts on a run or style (python-docx sets only the first two)."""
    rpr = rpr_owner._element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")


def _fonts(role: str, locale: Locale) -> tuple[str, str]:
    """(Latin font, East Asian font) of a paragraph role."""
    east_asia = TITLE_FONT if role == "title" else BODY_FONT
    if locale == "en":
        return LATIN_FONT, east_asia
    return east_asia, east_asia


def _fill(paragraph: Paragraph, text: str, *, role: str, locale: Locale) -> None:
    """Text as runs, each Jinja tag in a run of its own, every run with its fonts and size."""
    fmt = paragraph.paragraph_format
    fmt.line_spacing = CELL_LINE_SPACING if role == "cell" else LINE_SPACING
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    # The closing line, the seal's blank lines and the issuing body stay on the date's page.
    fmt.keep_with_next = role in ("close", "blank_keep", "sign")
    if role == "title":
        fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif role in ("number", "sign", "date"):
        fmt.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        # 成文日期右空四字; the issuing body above it, roughly centred over the date.
        fmt.right_indent = {"number": None, "sign": Pt(48), "date": Pt(64)}[role]
    elif role in ("body", "close"):
        fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        fmt.first_line_indent = INDENT
    latin, east_asia = _fonts(role, locale)
    for piece in (p for p in _TAG.split(text) if p):
        run = paragraph.add_run(piece)
        _set_fonts(run, latin=latin, east_asia=east_asia)
        run.font.size = {"title": TITLE_SIZE, "cell": CELL_SIZE}.get(role, BODY_SIZE)
        if role == "title" and locale == "en":  # 小标宋 is bold by design; Times New Roman is not
            run.font.bold = True


def _add_table(document: object, table: Table, locale: Locale) -> None:
    grid = document.add_table(rows=0, cols=2)  # type: ignore[attr-defined]
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    # LibreOffice lays a table out by its grid columns, Word by the cells' widths: set both.
    for column, width in zip(grid.columns, COLUMN_WIDTHS, strict=True):
        column.width = width
    for label, value in table.rows:
        row = grid.add_row()
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a row is not split across pages
        cells: tuple[_Cell, ...] = tuple(row.cells)
        cells[0].width, cells[1].width = COLUMN_WIDTHS
        _fill(cells[0].paragraphs[0], label, role="cell", locale=locale)
        _fill(cells[1].paragraphs[0], value, role="cell", locale=locale)
    # The last row goes with what follows (the English notice has no closing line before the seal).
    for cell in grid.rows[-1].cells:
        cell.paragraphs[0].paragraph_format.keep_with_next = True


def _page_and_defaults(document: object, locale: Locale) -> None:
    section = document.sections[0]  # type: ignore[attr-defined]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = document.styles["Normal"]  # type: ignore[attr-defined]
    latin, east_asia = _fonts("body", locale)
    _set_fonts(normal, latin=latin, east_asia=east_asia)
    normal.font.size = BODY_SIZE
    normal.paragraph_format.line_spacing = LINE_SPACING
    normal.paragraph_format.space_after = Pt(0)
    # The document defaults too, so that text a user adds outside the Normal style is 仿宋 as well.
    defaults = document.styles.element.find(qn("w:docDefaults"))  # type: ignore[attr-defined]
    fonts = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
    for name in list(fonts.attrib):
        del fonts.attrib[name]
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)
    lang = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    lang.set(qn("w:eastAsia"), "zh-CN")
    if locale == "zh_CN":
        lang.set(qn("w:val"), "zh-CN")


def build(kind: str, locale: Locale) -> bytes:
    """The template of ``kind`` in ``locale``, as .docx bytes."""
    document = Document()
    _page_and_defaults(document, locale)
    for block in _head(kind, locale) + WORDING[locale][kind] + _SIGNATURE:
        if isinstance(block, Table):
            _add_table(document, block, locale)
        else:
            _fill(document.add_paragraph(), block.text, role=block.role, locale=locale)
    props = document.core_properties
    props.title = KINDS[kind].title(locale)
    props.author = "legalaid"
    props.last_modified_by = "legalaid"
    # docxtpl renders the core properties too: no Jinja tags here.
    props.comments = "legalaid template; its variables: legalaid documents kinds"
    props.subject = ""
    props.revision = 1
    out = io.BytesIO()
    document.save(out)
    return _finish(out.getvalue(), locale)


def _font_entry(name: str, alt: str, family: str, pitch: str) -> str:
    return (
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>'
    )


def _finish(data: bytes, locale: Locale) -> bytes:
    """Package touch-ups python-docx has no API for; fixed zip times so a rebuild changes no byte."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            if entry.filename == "docProps/thumbnail.jpeg":  # python-docx's sample page, not ours
                continue
            content = source.read(entry.filename)
            if entry.filename == "_rels/.rels":
                content = re.sub(rb"<Relationship [^>]*thumbnail[^>]*/>", b"", content)
            elif entry.filename == "word/settings.xml":
                content = content.replace(b'w:eastAsia="ja-JP"', b'w:eastAsia="zh-CN"')
                content = content.replace(b"<w:savePreviewPicture/>", b"")
            elif entry.filename == "word/fontTable.xml":
                fonts = "".join(_font_entry(n, *spec) for n, spec in FONT_TABLE_ENTRIES.items())
                content = content.replace(b"</w:fonts>", fonts.encode("utf-8") + b"</w:fonts>")
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, content)
    return out.getvalue()


def main() -> int:
    for locale in LOCALES:
        folder = ROOT / "templates" / "docx" / locale
        folder.mkdir(parents=True, exist_ok=True)
        for kind in KINDS:
            path = folder / f"{kind}.docx"
            path.write_bytes(build(kind, locale))
            print(f"wrote {path.relative_to(ROOT)}")  # noqa: T201 - a script's report
    return 0


if __name__ == "__main__":
    sys.exit(main())
