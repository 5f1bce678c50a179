"""Bad input: every problem is reported as file:row:column: message, and nothing at all is written."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from factories import load
from openpyxl import Workbook
from readback import table_counts

from legalaid.importing import ImportFailed, import_file
from legalaid.runtime import Runtime

FIRMS_HEADER = "code,name,kind,email,director,accepts_applications\n"
GOOD_FIRM = "F02,新律师事务所,law_firm,a@b.cn,,no\n"
FIRM_COLUMNS = (
    "code/代码, name/名称, kind/类型, email/邮箱, address/地址, director/负责人, accepts_applications/受理点"
)


@pytest.fixture
def seeded(rt: Runtime, tmp_path: Path) -> Runtime:
    load(rt, tmp_path, "firms", "people")
    return rt


def rejected(rt: Runtime, path: Path, kind: str, content: str | bytes) -> list[str]:
    """The error lines of importing ``content`` (with the file name taken off), after checking that the
    database did not change at all."""
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    before = table_counts(rt)
    with pytest.raises(ImportFailed) as caught:
        import_file(rt, kind, path)
    assert table_counts(rt) == before
    prefix = f"{path}:"
    assert all(line.startswith(prefix) for line in caught.value.errors), caught.value.errors
    return [line.removeprefix(prefix) for line in caught.value.errors]


BAD_ROWS = [
    pytest.param(
        "people",
        "code,name,role,firm\nP09,新人,lawyer,F01\nP10,又一人,lawyer,F99\n",
        ["3:firm: unknown firm code 'F99'"],
        id="unknown-firm",
    ),
    pytest.param(
        "roster",
        "date,slot,person\n2012-10-08,am,L001\n2012-10-09,am,X99\n",
        ["3:person: unknown person code 'X99'"],
        id="unknown-person",
    ),
    pytest.param(
        "roster",
        "日期,班次,值班人\n2012-02-30,上午,L001\n2012-02-29,午夜,L001\n",
        [
            "2:日期: not a date: '2012-02-30' (day is out of range for month)",
            "3:班次: unknown value '午夜' (one of am/上午, pm/下午, day/全天)",
        ],
        id="bad-date-and-unknown-enum",
    ),
    pytest.param(
        "firms",
        FIRMS_HEADER + GOOD_FIRM + "F03,某所,律所,,,\n",
        ["3:kind: unknown value '律所' (one of law_firm/律师事务所, legal_service_office/基层法律服务所)"],
        id="unknown-enum",
    ),
    pytest.param(
        "firms",
        FIRMS_HEADER + GOOD_FIRM + "F04,某所,law_firm,,,maybe\n",
        ["3:accepts_applications: not yes or no: 'maybe' (use yes/no, 是/否, y/n, true/false, 1/0)"],
        id="bad-yes-no",
    ),
    pytest.param(
        "firms",
        FIRMS_HEADER + GOOD_FIRM + GOOD_FIRM,
        ["3:code: duplicate key 'F02' (first on row 2)"],
        id="duplicate-key",
    ),
    pytest.param(
        "roster",
        "date,slot,person\n2012-10-08,am,L001\n2012-10-08,pm,L001\n2012/10/8,上午,L001\n",
        ["4:date: duplicate key '2012-10-08, am, L001' (first on row 2)"],
        id="duplicate-composite-key",
    ),
    pytest.param(
        "cases",
        "case_no,case_type,applicant\n2012援009,civil,张三\n",
        ["1:applied_on: missing required column (applied_on or 申请日期)"],
        id="missing-column",
    ),
    pytest.param(
        "cases",
        "案号,案件类型,受援人\n2012援009,民事,张三\n",
        ["1:申请日期: missing required column (申请日期 or applied_on)"],
        id="missing-column-chinese",
    ),
    pytest.param(
        "firms",
        "code,name,kind,备注,Name\nF05,某所,law_firm,x,y\n",
        [
            f"1:备注: unknown column (the columns of firms: {FIRM_COLUMNS})",
            "1:Name: column given twice (also as 'name')",
        ],
        id="unknown-and-repeated-column",
    ),
    pytest.param(
        "firms",
        FIRMS_HEADER + GOOD_FIRM + "F06,,law_firm,,,\n",
        ["3:name: missing value"],
        id="missing-value",
    ),
    pytest.param(
        "consultations",
        "date,channel,outcome,count\n2012-03-01,148,解答,1.5\n2012-03-01,visit,answered,0\n",
        ["2:count: not a whole number: '1.5'", "3:count: out of range: 0 (from 1 to 100000)"],
        id="wrong-number",
    ),
    pytest.param(
        "firms",
        FIRMS_HEADER + GOOD_FIRM + "F07,某所,law_firm,office@example,,\n",
        ["3:email: not an email address: 'office@example'"],
        id="bad-email",
    ),
    pytest.param(
        "people",
        "code,name,role,phone\nP11,新人,lawyer,call me\n",
        ["2:phone: not a phone number: 'call me'"],
        id="bad-phone",
    ),
    pytest.param(
        "cases",
        "case_no,case_type,applicant,applied_on,matter\n"
        f"2012援010,civil,{'长' * 201},2012-01-01,{'案' * 10_001}\n",
        [
            "2:applicant: too long: 201 characters (limit 200)",
            "2:matter: cell too large: 10001 characters (limit 10000)",
        ],
        id="huge-cells",
    ),
    pytest.param(
        "leave",
        "person,start,end,reason\nL001,2012-10-15,2012-10-12,病假\n",
        ["2:end: ends before it starts (start 2012-10-15)"],
        id="leave-ends-before-it-starts",
    ),
    pytest.param(
        "cases",
        "case_no,case_type,applicant,applied_on,intake,decided_on,decision,assigned_on,lawyer\n"
        "2012援011,civil,张三,2012-01-01,F99,2012-01-02,,,\n"
        "2012援012,civil,李四,2012-01-01,工作站,2012-01-02,denied,2012-01-03,L001\n"
        "2012援013,civil,王五,2012-01-01,中心,,,,L001\n",
        [
            "2:intake: unknown intake 'F99' (center/中心, arbitration_desk/仲裁咨询点, workstation/工作站, "
            "or a firm code)",
            "2:decision: missing value (decided_on is set)",
            "3:lawyer: a case whose legal aid was denied has no lawyer",
            "4:assigned_on: missing value (lawyer is set)",
        ],
        id="cases-that-contradict-themselves",
    ),
    pytest.param(
        "firms",
        "code,name,kind\nF08,某所,law_firm,stray\n",
        ["2:-: a value in column D, which has no header"],
        id="value-without-header",
    ),
    pytest.param("firms", "", ["1:-: empty file: no header row"], id="empty-file"),
    pytest.param("firms", "\n\n", ["1:-: empty file"], id="blank-file"),
    pytest.param("firms", b"%PDF-1.4\n...", ["1:-: not a CSV or XLSX file: a PDF document"], id="pdf"),
    pytest.param(
        "firms",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        ["1:-: not a CSV or XLSX file: an old .xls workbook (save it as .xlsx or CSV)"],
        id="xls",
    ),  # fmt: skip
    pytest.param("firms", b"code\x00name", ["1:-: not a CSV or XLSX file: binary content"], id="binary"),
    pytest.param(
        "firms",
        FIRMS_HEADER.encode() + b"F09,\xff\xfe\xfa,law_firm,,,\n",
        [
            "2:-: not UTF-8 or GB18030 text (undecodable byte 0xff on line 2); "
            "save it as UTF-8 (CSV UTF-8 in Excel) or as .xlsx"
        ],
        id="undecodable",
    ),
    pytest.param(
        "firms",
        b"\xef\xbb\xbf" + FIRMS_HEADER.encode() + "F09,某所,law_firm,,,\n".encode("gb18030"),
        [
            "2:-: not UTF-8 with BOM text (undecodable byte 0xcb on line 2); "
            "save it as UTF-8 (CSV UTF-8 in Excel) or as .xlsx"
        ],
        id="bom-but-not-utf8",
    ),
]


@pytest.mark.parametrize(("kind", "content", "errors"), BAD_ROWS)
def test_bad_input_is_reported_and_nothing_written(
    seeded: Runtime, tmp_path: Path, kind: str, content: str | bytes, errors: list[str]
) -> None:
    assert rejected(seeded, tmp_path / "bad.csv", kind, content) == errors


def test_errors_come_in_row_order_and_all_at_once(seeded: Runtime, tmp_path: Path) -> None:
    rows = "".join(f"F{n:02d},某所{n},{'law_firm' if n % 2 else 'bad'},,,\n" for n in range(10, 16))
    content = FIRMS_HEADER + rows + "F10,重复,law_firm,,,\n"
    assert rejected(seeded, tmp_path / "firms.csv", "firms", content) == [
        "2:kind: unknown value 'bad' (one of law_firm/律师事务所, legal_service_office/基层法律服务所)",
        "4:kind: unknown value 'bad' (one of law_firm/律师事务所, legal_service_office/基层法律服务所)",
        "6:kind: unknown value 'bad' (one of law_firm/律师事务所, legal_service_office/基层法律服务所)",
        "8:code: duplicate key 'F10' (first on row 2)",
    ]


def test_personal_numbers_in_messages_are_masked(seeded: Runtime, tmp_path: Path) -> None:
    content = "code,name,role,phone\nP12,新人,lawyer,13800138000 / 330102199001011234 x\n"
    [line] = rejected(seeded, tmp_path / "people.csv", "people", content)
    assert "13800138000" not in line and "330102199001011234" not in line and "138****8000" in line


def test_a_formula_in_xlsx_names_its_cell(seeded: Runtime, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["date", "channel", "outcome", "count"])
    sheet.append(["2012-03-01", "visit", "answered", "=1+2"])
    sheet.append(["2012-03-01", "visit", "answered", "#DIV/0!"])
    sheet["D3"].data_type = "e"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert rejected(seeded, tmp_path / "consultations.xlsx", "consultations", buffer.getvalue()) == [
        "2:count: cell D2 holds a formula (=1+2); paste its value instead",
        "3:count: cell D3 holds the error value #DIV/0!",
    ]


def test_a_zip_that_is_not_a_workbook(seeded: Runtime, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    [line] = rejected(seeded, tmp_path / "report.docx", "firms", buffer.getvalue())
    assert line.startswith("1:-: not a readable XLSX workbook: ")
