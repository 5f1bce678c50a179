"""Every command's usage line names its arguments as the help's Arguments table does, in capitals (a
metavar), required ones bare and optional ones in brackets: no ``{kind}`` (typer's braces, lowercase)."""

from __future__ import annotations

import re

import pytest

from cli import app, main
from cli.demo_cmd import command_names


def test_no_usage_line_has_braces_or_a_lowercase_argument(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ["", *sorted(command_names(app))]:
        main([*name.split(), "--help"])
        [usage] = [line.strip() for line in capsys.readouterr().out.splitlines() if "Usage:" in line]
        arguments = usage.split("[OPTIONS]", 1)[-1]
        assert "{" not in usage and "}" not in usage, usage
        assert not re.search(r"\b[a-z_]+\b", arguments), usage


def test_examples(capsys: pytest.CaptureFixture[str]) -> None:
    expected = {
        "documents render": "legalaid documents render [OPTIONS] KIND",
        "case assign": "legalaid case assign [OPTIONS] CASE_NO PERSON",
        "jobs retry": "legalaid jobs retry [OPTIONS] [KEY]",
    }
    for name, usage in expected.items():
        main([*name.split(), "--help"])
        assert f"Usage: {usage}" in capsys.readouterr().out
