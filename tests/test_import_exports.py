"""Spreadsheets as staff export them (issue 13, item 9): a title above the header, a file of another kind,
a file in Big5 or another encoding. Each is one line, or an import that says what it skipped."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import CASES, PEOPLE, SAMPLES, dump, expected, load, write_file, write_titled_xlsx
from readback import table_counts

from cli import main
from legalaid.importing import ImportFailed, import_file, kind_headers
from legalaid.runtime import Runtime

ACCEPTED = "save it as UTF-8 (CSV UTF-8 in Excel) or as .xlsx"
TITLE = "某区法律援助中心2012年案件登记表"


@pytest.fixture
def seeded(rt: Runtime, tmp_path: Path) -> Runtime:
    load(rt, tmp_path, "firms", "people")
    return rt


def refused(rt: Runtime, path: Path, kind: str) -> list[str]:
    before = table_counts(rt)
    with pytest.raises(ImportFailed) as caught:
        import_file(rt, kind, path)
    assert table_counts(rt) == before
    return [line.removeprefix(f"{path}:") for line in caught.value.errors]


def chinese_cases() -> tuple[list[str], list[list[object]]]:
    headers, names = kind_headers("cases", chinese=True), kind_headers("cases")
    rows = [[";".join(v) if isinstance(v := case.get(name), list) else v for name in names] for case in CASES]
    return headers, rows


def in_chinese(kind: str, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The sample rows keyed by the kind's Chinese headers."""
    zh = dict(zip(kind_headers(kind), kind_headers(kind, chinese=True), strict=True))
    return [{zh[name]: value for name, value in row.items()} for row in rows]


def test_an_xlsx_with_a_merged_title_and_a_blank_row_above_the_header(
    seeded: Runtime, tmp_path: Path
) -> None:
    headers, rows = chinese_cases()
    path = write_titled_xlsx(tmp_path / "cases.xlsx", TITLE, headers, rows)
    result = import_file(seeded, "cases", path)
    assert result.notes == [f"{path}: header found on row 3; rows 1-2 above it skipped (a title: '{TITLE}')"]
    assert (result.rows, result.inserted) == (4, 4)
    assert dump(seeded, "cases") == expected("cases")


def test_rows_under_a_title_are_named_as_the_spreadsheet_numbers_them(
    seeded: Runtime, tmp_path: Path
) -> None:
    headers, rows = chinese_cases()
    rows[1][headers.index("申请日期")] = "2012-02-30"
    path = write_titled_xlsx(tmp_path / "cases.xlsx", TITLE, headers, rows, blank_rows=2)
    assert refused(seeded, path, "cases") == [
        "6:申请日期: not a date: '2012-02-30' (day is out of range for month)"
    ]


def test_a_csv_with_a_title_row(seeded: Runtime, tmp_path: Path) -> None:
    path = write_file(tmp_path, "people", PEOPLE, name="plain.csv")
    titled = tmp_path / "people.csv"
    titled.write_bytes("人员名单,,,\n,,,\n".encode() + path.read_bytes())
    result = import_file(seeded, "people", titled)
    assert result.notes == [
        f"{titled}: header found on row 3; rows 1-2 above it skipped (a title: '人员名单')"
    ]
    assert (result.rows, result.unchanged) == (5, 5)


def test_blank_lines_above_the_header(seeded: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    path.write_text("\ncode,name,kind\nF02,新律师事务所,law_firm\n", encoding="utf-8")
    result = import_file(seeded, "firms", path)
    assert result.notes == [f"{path}: header found on row 2; row 1 above it skipped (blank)"]
    assert result.inserted == 1


def test_the_command_says_what_it_skipped(
    seeded: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    headers, rows = chinese_cases()
    write_titled_xlsx(tmp_path / "cases.xlsx", TITLE, headers, rows)
    assert main(["import", "cases", "cases.xlsx"]) == 0
    assert capsys.readouterr().out == (
        f"cases.xlsx: header found on row 3; rows 1-2 above it skipped (a title: '{TITLE}')\n"
        "cases.xlsx: 4 rows, 4 inserted, 0 updated, 0 unchanged\n"
    )


@pytest.mark.parametrize("fmt", ["utf-8", "xlsx"])
def test_a_file_of_another_kind_is_one_line_naming_it(seeded: Runtime, tmp_path: Path, fmt: str) -> None:
    chinese = kind_headers("people", chinese=True)
    path = write_file(tmp_path, "people", in_chinese("people", PEOPLE), fmt=fmt, headers=chinese)
    assert refused(seeded, path, "cases") == [
        "1:-: this looks like a people file (编号, 姓名, 邮箱, …), not cases: "
        f"run legalaid import people {path}"
    ]


def test_a_roster_given_as_leave(seeded: Runtime, tmp_path: Path) -> None:
    path = write_file(tmp_path, "roster", SAMPLES["roster"])
    assert refused(seeded, path, "leave") == [
        "1:-: this looks like a roster file (date, slot, person), not leave: "
        f"run legalaid import roster {path}"
    ]


BIG5_PEOPLE = (
    "編號,姓名,身份,所屬機構\nP20,陳律師,律師,F01\nP21,黃科員,工作人員,\n"
    "P22,趙法律工作者,基層法律服務工作者,S01\n"
)


def test_big5_is_named(seeded: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(BIG5_PEOPLE.encode("big5"))
    [line] = refused(seeded, path, "people")
    assert (
        line
        == f"1:-: this looks like Big5 (traditional Chinese) text, not UTF-8 or GB18030 (line 1); {ACCEPTED}"
    )


def test_big5_with_english_headers_is_named_at_its_first_chinese_line(
    seeded: Runtime, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(
        ("code,name,role\n" + BIG5_PEOPLE.split("\n", 1)[1].replace(",F01", "").replace(",S01", "")).encode(
            "big5"
        )
    )
    [line] = refused(seeded, path, "people")
    assert line.startswith("2:-: this looks like Big5") and line.endswith(ACCEPTED)


def test_shift_jis_is_refused(seeded: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(
        "code,name,role\nP30,田中弁護士,弁護士\nP31,東京都千代田区の山田,弁護士\n".encode("shift_jis")
    )
    [line] = refused(seeded, path, "people")
    assert line.startswith("2:-: not UTF-8 or GB18030 text (line 2 reads as ") and line.endswith(ACCEPTED)


def test_utf16_without_a_bom(seeded: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    path.write_bytes("code,name,kind\nF02,新律师事务所,law_firm\n".encode("utf-16-le"))
    assert refused(seeded, path, "firms") == [
        f"1:-: UTF-16 text without a BOM, not UTF-8 or GB18030; {ACCEPTED}"
    ]


def test_gb18030_with_many_list_separators_still_imports(seeded: Runtime, tmp_path: Path) -> None:
    chinese = kind_headers("cases", chinese=True)
    path = write_file(tmp_path, "cases", in_chinese("cases", CASES), fmt="gb18030", headers=chinese)
    assert import_file(seeded, "cases", path).inserted == 4
