"""``legalaid import``: a summary line, JSON on request, every bad row on stderr, exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import CASES, SAMPLES, write_file

from cli import _common, main


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Path]:
    """A migrated embedded database under the test's folder (the working directory), firms and people in."""
    _common.reset_runtime()
    assert main(["db", "upgrade"]) == 0
    for kind in ("firms", "people"):
        write_file(tmp_path, kind, SAMPLES[kind])
        assert main(["import", kind, f"{kind}.csv"]) == 0
    capsys.readouterr()
    yield tmp_path
    _common.reset_runtime()


def test_summary_line(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_file(cli, "cases", CASES)
    assert main(["import", "cases", "cases.csv"]) == 0
    assert capsys.readouterr().out == "cases.csv: 4 rows, 4 inserted, 0 updated, 0 unchanged\n"
    assert main(["import", "cases", "cases.csv"]) == 0
    assert capsys.readouterr().out == "cases.csv: 4 rows, 0 inserted, 0 updated, 4 unchanged\n"


def test_json_and_dry_run(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_file(cli, "cases", CASES, fmt="xlsx")
    assert main(["import", "cases", "cases.xlsx", "--dry-run", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["inserted"], result["dry_run"], result["import_id"]) == (4, True, None)
    assert result["assignment_changes"][0] == {
        "case_no": "2012援001",
        "old_lawyer": None,
        "new_lawyer": "L001",
        "assigned_on": "2012-03-06",
    }
    assert main(["import", "cases", "cases.xlsx"]) == 0  # the dry run left everything to do
    assert capsys.readouterr().out.startswith("cases.xlsx: 4 rows, 4 inserted")


def test_bad_rows_are_listed_on_stderr_with_exit_1(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (cli / "roster.csv").write_text("date,slot,person\n2012-02-30,am,L001\n2012-10-08,[pm],X9\n", "utf-8")
    assert main(["import", "roster", "roster.csv"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "roster.csv:2:date: not a date: '2012-02-30' (day is out of range for month)",
        "roster.csv:3:slot: unknown value '[pm]' (one of am/上午, pm/下午, day/全天)",
        "roster.csv:3:person: unknown person code 'X9'",
        "error: roster.csv: 3 errors, nothing imported",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["import", "lawyers", "people.csv"], "error: unknown kind 'lawyers' (one of firms, people, cases, "),
        (["import", "cases", "missing.csv"], "error: missing.csv: no such file"),
        (["import", "cases", "."], "error: .: is a directory, not a file"),
    ],
)
def test_usage_mistakes_are_one_line_with_exit_2(
    cli: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1 and "Traceback" not in err


def test_consultations_twice(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_file(cli, "consultations", SAMPLES["consultations"], fmt="utf-8-sig")
    assert main(["import", "consultations", "consultations.csv"]) == 0
    assert main(["import", "consultations", "consultations.csv"]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert first == "consultations.csv: 3 rows, 3 inserted, 0 updated, 0 unchanged"
    assert second.startswith("consultations.csv: already imported on ") and second.endswith("nothing to do")


def test_progress_bar_on_request(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_file(cli, "cases", CASES)
    assert main(["import", "cases", "cases.csv", "--progress"]) == 0
    assert capsys.readouterr().out == "cases.csv: 4 rows, 4 inserted, 0 updated, 0 unchanged\n"
