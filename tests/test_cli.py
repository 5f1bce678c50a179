"""The command's frame: exit codes, one-line errors, the effective settings with secrets masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import main


def test_usage_error_exits_2_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "current", "--no-such-option"]) == 2
    err = capsys.readouterr().err
    assert "No such option" in err
    assert "Traceback" not in err


def test_unknown_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_bad_setting_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGALAID_ROSTER_SLOTS", "morning")
    assert main(["config"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: LEGALAID_ROSTER_SLOTS: must be 'day' or 'am,pm'"


def test_config_masks_every_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGALAID_SMTP_PASSWORD", "s3cret-smtp-pw")
    monkeypatch.setenv("LEGALAID_DATABASE_URL", "postgresql+psycopg://legalaid:s3cret-db-pw@db/legalaid")
    monkeypatch.setenv("LEGALAID_BROKER_URL", "redis://:s3cret-redis-pw@redis:6379/0")
    assert main(["config", "--json"]) == 0
    out = capsys.readouterr().out
    assert "s3cret" not in out
    values = json.loads(out)
    assert values["smtp_password"] == "********"
    assert values["database_url"] == "postgresql+psycopg://legalaid:********@db/legalaid"
    assert values["broker_url"] == "redis://:********@redis:6379/0"


def test_password_in_config_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "legalaid.toml").write_text('smtp_password = "hunter2"\n', encoding="utf-8")
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert "legalaid.toml: 'smtp_password' may not be set in a config file" in err
    assert "hunter2" not in err


def test_config_file_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "legalaid.toml").write_text(
        '[legalaid]\nreport_year_start_month = 11\ncenter_staff = "S01,S02"\n', encoding="utf-8"
    )
    assert main(["config", "--json"]) == 0
    values = json.loads(capsys.readouterr().out)
    assert values["report_year_start_month"] == 11
    assert values["center_staff"] == ["S01", "S02"]


def test_placeholder_password_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGALAID_SMTP_PASSWORD", "changeme")
    assert main(["config"]) == 2
    assert "placeholder" in capsys.readouterr().err


def test_database_unreachable_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGALAID_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert main(["db", "upgrade"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: database:") and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("身份证330203198001011234", "身份证3302**********1234"),
        ("33020319800101123X。", "3302**********123X。"),
        ("ID 330203198013011234.", "ID 3302**********1234."),  # not a valid date: still an 18-digit ID
        ("手机13812345678，", "手机138****5678，"),
        ("succeeded in 0.003812345678901234s", "succeeded in 0.003812345678901234s"),  # a decimal, not an ID
        ("电话0571-88001234", "电话0571-88001234"),  # a landline: the center's own numbers are public
    ],
)
def test_personal_numbers_are_masked(text: str, masked: str) -> None:
    from legalaid.logs import mask_personal

    assert mask_personal(text) == masked
