"""What ``legalaid demo`` prints for the next steps runs as printed, the demo's settings file names the
broker it was built with, and the desk's notices are named by kind."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from cli.demo.run import settings_file
from cli.demo_cmd import _kinds, legalaid_command
from legalaid import __version__
from legalaid.config import Settings


def test_without_the_venv_on_path_the_hints_name_the_script_in_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """``legalaid: command not found`` when the virtual environment is not active: the hint names the
    script beside this Python, and that line runs as printed."""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    command = legalaid_command()
    script = Path(sys.executable).with_name("legalaid")
    assert command == shlex.quote(str(script)) and script.is_file()
    # Run as printed, from a shell whose PATH does not hold the venv.
    done = subprocess.run(
        f"{command} --version", shell=True, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"legalaid {__version__}"


def test_with_the_venv_active_the_hints_say_legalaid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin")
    assert legalaid_command() == "legalaid"


def test_the_demo_settings_file_records_the_broker_too(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql+psycopg://legalaid@db.example:5432/legalaid",
        broker_url="redis://127.0.0.1:6379/3",
    )
    text = settings_file(settings)
    assert 'database_url = "postgresql+psycopg://legalaid@db.example:5432/legalaid"' in text
    assert 'broker_url = "redis://127.0.0.1:6379/3"' in text
    # A URL with a password stays in the environment.
    secret = settings_file(Settings(data_dir=tmp_path, broker_url="redis://:s3cret@127.0.0.1:6379/3"))
    assert "broker_url" not in secret and "s3cret" not in secret


def test_the_desk_notices_are_named_by_kind() -> None:
    assert _kinds({"day-before notice": 1, "monthly desk report": 5}) == (
        ": 1 day-before notice, 5 monthly desk reports"
    )
    assert _kinds({}) == ""


def test_version_and_help_without_artefacts(capsys: pytest.CaptureFixture[str]) -> None:
    """``--version`` prints the package's; no help shows a type label (<bool>, <str>) or a default that
    rich read as markup and swallowed ("Folder .", "zh_CN or en .")."""
    from cli import app, main
    from cli.demo_cmd import command_names

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"legalaid {__version__}"
    for name in ["", *sorted(command_names(app))]:
        main([*name.split(), "--help"])
        text = capsys.readouterr().out
        assert "Usage:" in text, name
        for artefact in ("<bool>", "<str>", "<path>", "<int>", "Folder .", "or en .", "YYYY-MM-DD ."):
            assert artefact not in text, (name, artefact)
        # A word, a space and a full stop: what is left of a "[default: …]" rich took for markup.
        assert not re.search(r"\w \.(\s|$)", text), (name, text)
