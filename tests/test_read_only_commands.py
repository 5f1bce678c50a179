"""Commands that only read create nothing: in a folder without a database, ``legalaid status`` once created
``var/legalaid.db`` (SQLite creates its file on connect) and then reported it as broken."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli import main

READ_ONLY = [
    ["status"],
    ["status", "--json"],
    ["config"],
    ["config", "--json"],
    ["jobs", "status"],
    ["mail", "status"],
    ["report", "runs"],
    ["reminders", "rules"],
    ["db", "current"],
    ["calendar", "show", "--from", "2012-10-01", "--to", "2012-10-08"],
    ["roster", "show", "--month", "2012-10"],
]


def _listing(folder: Path) -> list[str]:
    return sorted(str(Path(root, name).relative_to(folder)) for root, dirs, files in os.walk(folder)
                  for name in dirs + files)  # fmt: skip


@pytest.mark.parametrize("args", READ_ONLY, ids=" ".join)
def test_a_read_only_command_creates_no_file_nor_folder(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "center"
    folder.mkdir()
    os.chdir(folder)
    before = _listing(folder)
    main(args)
    output = capsys.readouterr()
    assert _listing(folder) == before == []
    assert "Traceback" not in output.err


@pytest.mark.parametrize("args", [["jobs", "status"], ["mail", "status"], ["report", "runs"]], ids=" ".join)
def test_a_command_needing_the_database_says_how_to_create_it(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert (
        err.strip()
        == f"error: no database yet ({tmp_path / 'var' / 'legalaid.db'}): run `legalaid db upgrade` first"
    )


def test_status_without_a_database_names_it_and_still_checks_the_other_parts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(None, 2) == [
        "FAIL",
        "database",
        f"no database yet ({tmp_path / 'var' / 'legalaid.db'}): run `legalaid db upgrade` first",
    ]
    assert [line.split()[1] for line in lines] == ["database", "broker", "smtp", "scheduler"]
    assert not (tmp_path / "var").exists()


def test_db_upgrade_creates_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "var" / "legalaid.db").is_file()
    assert main(["jobs", "status"]) == 0
