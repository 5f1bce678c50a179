"""Bad input, property-based: whatever an import file holds — any bytes, any encoding, wrong types, huge
cells, formulas, impossible dates, missing, extra or repeated columns — ``legalaid import`` either imports it
or refuses it with one line per problem naming ``file:row:column``, a closing ``error:`` line, exit 1, and
the database exactly as it was. Never a traceback.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from bad_input import Outcome, examples, run, snapshot
from factories import SAMPLES, write_file
from hypothesis import event, given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from cli import main
from legalaid.importing import KINDS, kind_headers
from legalaid.importing._specs import CASES, CONSULTATIONS, FIRMS, LEAVE, PEOPLE, ROSTER
from legalaid.importing._values import day as _day
from legalaid.runtime import Runtime, build_runtime

SPECS = {spec.kind: spec for spec in (FIRMS, PEOPLE, CASES, CONSULTATIONS, ROSTER, LEAVE)}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "big5", "latin-1", "cp1252")


@pytest.fixture
def seeded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Runtime:
    """A migrated embedded database (the working directory's) with the sample firms and people."""
    assert main(["db", "upgrade"]) == 0
    for kind in ("firms", "people"):
        write_file(tmp_path, kind, SAMPLES[kind], name=f"seed-{kind}.csv")
        assert main(["import", kind, f"seed-{kind}.csv"]) == 0
    capsys.readouterr()
    rt = build_runtime()
    yield rt
    rt.dispose()


def import_outcome(
    rt: Runtime, capsys: pytest.CaptureFixture[str], kind: str, path: Path, content: bytes
) -> Outcome:
    """Import ``content`` as ``path`` and check the property: success, or every problem one line naming
    file:row:column, a closing line, exit 1, and not one row of any table changed."""
    path.write_bytes(content)
    before = snapshot(rt.engine)
    outcome = run(["import", kind, str(path)], capsys)
    assert "Traceback" not in outcome.err, outcome.err
    event(f"{kind}: {'imported' if outcome.code == 0 else 'refused'}")  # --hypothesis-show-statistics
    if outcome.code == 0:
        return outcome
    assert snapshot(rt.engine) == before
    *problems, closing = outcome.err_lines
    assert (
        closing == f"error: {path}: {len(problems)} error{'s' if len(problems) > 1 else ''}, nothing imported"
    )
    place = re.compile(rf"{re.escape(str(path))}:(\d+):([^\n]+?): \S.*")
    for line in problems:
        match = place.fullmatch(line)
        assert match, line
        assert int(match.group(1)) >= 1
    assert outcome.code == 1
    return outcome


# Cells -----------------------------------------------------------------------------------------------------

FORMULAS = (
    "=1+1",
    '=HYPERLINK("http://example.org/x","点我")',
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "=cmd|' /C calc'!A0",
)
IMPOSSIBLE_DATES = (
    "2012-02-30",
    "2012-13-01",
    "2011-02-29",
    "2012/00/10",
    "2012年2月30日",
    "0000-01-01",
    "20121008",
)
AWKWARD = (
    "",
    " ",
    "长" * 10_001,  # a pasted document: bigger than any cell may be
    "x" * 257,
    "\x00",
    "a\x01b",
    "line\nbreak",
    '"quoted"',
    "a,b;c、d",
    "[/red]",
    "😀",
    "\u202egpj.exe",
    "\ufeffBOM",
    "\ufffe",
    "1e400",
    "NaN",
    "-0",
    "0x10",
    "１２",  # full-width digits
    "yes",
    "是",
    "None",
)


def column_values(kind: str) -> st.SearchStrategy[str]:
    """Values that belong in some column of ``kind``: taken from its sample rows, as a CSV writes them."""
    values = {_csv_text(value) for row in SAMPLES[kind] for value in row.values()}
    return st.sampled_from(sorted(values))


def cells(kind: str) -> st.SearchStrategy[str]:
    return st.one_of(
        column_values(kind),
        st.sampled_from(FORMULAS + IMPOSSIBLE_DATES + AWKWARD),
        st.text(max_size=30),
        st.integers(-(10**20), 10**20).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.dates().map(date.isoformat),
    )


def headers(kind: str) -> st.SearchStrategy[list[str]]:
    """A header row: the kind's columns (English or Chinese) in any order, some left out, some repeated,
    mixed with unknown ones."""
    spec = SPECS[kind]
    known = [c.name for c in spec.columns] + [c.zh for c in spec.columns]
    full = st.permutations(kind_headers(kind, chinese=False)).map(list)
    return st.one_of(
        full,
        st.lists(st.sampled_from(known), min_size=1, max_size=len(spec.columns) + 2),
        st.lists(
            st.one_of(st.sampled_from(known), st.text(max_size=12), st.sampled_from(AWKWARD)), max_size=6
        ),
    )


@st.composite
def tables(draw: st.DrawFn, kind: str) -> list[list[str]]:
    head = draw(headers(kind))
    width = len(head)
    rows = draw(
        st.lists(
            st.lists(cells(kind), min_size=max(width - 1, 0), max_size=width + 1), min_size=0, max_size=4
        )
    )
    return [head, *rows]


def csv_bytes(table: list[list[str]], encoding: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    return buffer.getvalue().encode(encoding, errors="replace")


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


# CSV -------------------------------------------------------------------------------------------------------


@examples(60)
@given(kind=st.sampled_from(KINDS), content=st.binary(max_size=600))
def test_any_bytes(
    seeded: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, content: bytes
) -> None:
    import_outcome(seeded, capsys, kind, tmp_path / f"{kind}.csv", content)


@examples(120)
@given(data=st.data(), kind=st.sampled_from(KINDS), encoding=st.sampled_from(ENCODINGS))
def test_any_table_in_any_encoding(
    seeded: Runtime,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    data: st.DataObject,
    kind: str,
    encoding: str,
) -> None:
    content = csv_bytes(data.draw(tables(kind)), encoding)
    if data.draw(st.booleans(), label="break the encoding"):
        cut = data.draw(st.integers(0, len(content)), label="at")
        content = (
            content[:cut]
            + data.draw(st.sampled_from([b"\xff", b"\xe4\xb8", b"\x80\x80", b"\xc3"]))
            + content[cut:]
        )
    import_outcome(seeded, capsys, kind, tmp_path / f"{kind}.csv", content)


# XLSX ------------------------------------------------------------------------------------------------------

XLSX_CELLS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(FORMULAS + IMPOSSIBLE_DATES),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1)),
    st.times(),
    st.none(),
)


@st.composite
def workbooks(draw: st.DrawFn, kind: str) -> bytes:
    """A workbook whose cells are typed values, text, formulas (some with a cached value), error values."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([_storable(value) for value in draw(headers(kind))])
    for row in draw(st.lists(st.lists(st.one_of(cells(kind), XLSX_CELLS), max_size=8), max_size=4)):
        sheet.append([_storable(value) for value in row])
    for cell in draw(st.lists(st.sampled_from(["A2", "B2", "C3", "D2"]), max_size=2)):
        sheet[cell] = "#DIV/0!"
        sheet[cell].data_type = "e"
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = buffer.getvalue()
    if draw(st.booleans(), label="cache formula values"):
        content = with_cached_values(content, draw(st.sampled_from(["2", "王律师", "2012-10-08"])))
    return content


def _storable(value: Any) -> Any:
    """What a workbook can hold: no control characters (XML has none), at most 32,767 characters."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)[:32_000]
    return value


def with_cached_values(xlsx: bytes, value: str) -> bytes:
    """The workbook with a cached value in every formula cell, as Excel saves one."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename.startswith("xl/worksheets/"):
                data = re.sub(
                    rb"(<f>[^<]*</f>)<v\s*/>|(<f>[^<]*</f>)<v></v>",
                    lambda m: (m.group(1) or m.group(2)) + f"<v>{value}</v>".encode(),
                    data,
                )
                data = re.sub(rb'(<c [^>]*?)t="[a-z]+"([^>]*><f>)', rb"\1t=\"str\"\2", data)
            target.writestr(entry, data)
    return out.getvalue()


@examples(40)
@given(data=st.data(), kind=st.sampled_from(KINDS))
def test_any_workbook(
    seeded: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str], data: st.DataObject, kind: str
) -> None:
    content = data.draw(workbooks(kind))
    outcome = import_outcome(seeded, capsys, kind, tmp_path / f"{kind}.xlsx", content)
    # A formula is never taken as its text, nor silently as its cached value: each is named (unless its
    # column has no header, or the file has no header row at all, which are reported instead).
    unnamed = ("which has no header", "row 1 must be the header row")
    for where in _formula_cells(content):
        assert outcome.code == 1
        assert f"cell {where} holds a formula" in outcome.err or any(u in outcome.err for u in unnamed), where


@examples(30)
@given(
    kind=st.sampled_from(KINDS),
    junk=st.binary(max_size=400),
    zipped=st.booleans(),
)
def test_a_binary_file_named_xlsx(
    seeded: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, junk: bytes, zipped: bool
) -> None:
    content = b"PK\x03\x04" + junk
    if zipped:  # a real zip, but not a workbook, or a workbook with a part replaced by junk
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", junk)
            archive.writestr("xl/workbook.xml", junk)
        content = buffer.getvalue()
    outcome = import_outcome(seeded, capsys, kind, tmp_path / f"{kind}.xlsx", content)
    assert outcome.code == 1


def _formula_cells(xlsx: bytes) -> list[str]:
    workbook = load_workbook(io.BytesIO(xlsx))
    sheet = workbook.worksheets[0]
    return [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


# One bad cell among good rows ------------------------------------------------------------------------------

DATE_COLUMNS = {c.name for spec in SPECS.values() for c in spec.columns if c.parse is _day}


def bad_cells(column: str, fmt: str) -> st.SearchStrategy[Any]:
    """A value no column takes, in any format; and what a date column in particular cannot take."""
    # (A workbook cannot hold control characters, and write_xlsx writes "=1+1" as text, as it should.)
    anywhere: list[Any] = ["长" * 10_001] if fmt == "xlsx" else ["长" * 10_001, "a\x01b", "\ufffe"]
    if column in DATE_COLUMNS:  # impossible, not a date, or a typo of a year (0012 for 2012)
        anywhere += ["2012-02-30", "2012-13-01", "20121008", "2012年2月30日", "0012-10-08", "9999-12-30"]
        anywhere += [date(9999, 12, 30), date(1900, 3, 1)]  # Excel date cells (a CSV writes them as text)
    return st.sampled_from(anywhere)


@examples(60)
@given(
    data=st.data(),
    kind=st.sampled_from(KINDS),
    fmt=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "xlsx"]),
)
def test_good_rows_import_and_one_bad_cell_is_named_at_its_row_and_column(
    seeded: Runtime,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    data: st.DataObject,
    kind: str,
    fmt: str,
) -> None:
    rows = [dict(row) for row in SAMPLES[kind]]
    headers = kind_headers(kind, chinese=data.draw(st.booleans(), label="chinese headers"))
    names = kind_headers(kind)
    rows = [{header: row.get(name) for header, name in zip(headers, names, strict=True)} for row in rows]
    spoil = data.draw(st.booleans(), label="spoil a cell")
    if spoil:
        index = data.draw(st.integers(0, len(rows) - 1), label="row")
        column = data.draw(st.integers(0, len(headers) - 1), label="column")
        rows[index][headers[column]] = data.draw(bad_cells(names[column], fmt), label="value")
    path = write_file(
        tmp_path, kind, rows, fmt=fmt, headers=headers, name=f"{kind}.{'xlsx' if fmt == 'xlsx' else 'csv'}"
    )
    outcome = import_outcome(seeded, capsys, kind, path, path.read_bytes())
    if not spoil:
        assert outcome.code == 0, outcome.err
        return
    (problem, _closing) = outcome.err_lines
    assert problem.startswith(f"{path}:{index + 2}:{headers[column]}: "), problem
