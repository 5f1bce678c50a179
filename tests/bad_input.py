"""What the property-based bad-input tests share: the hypothesis profile, running the command in-process,
and a snapshot of the whole database to compare before and after.

The profile keeps the examples few enough that the property tests together take well under 40 s on a
2-core machine; ``LEGALAID_TEST_THOROUGH=1`` runs ten times as many (by hand, when changing the importers
or the command line).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import select
from sqlalchemy.engine import Engine

from cli import main
from legalaid.models import Base

_THOROUGH = os.environ.get("LEGALAID_TEST_THOROUGH", "") not in ("", "0", "false", "no")

settings.register_profile(
    "bad-input",
    deadline=None,  # a shared 2-core machine: one slow example is not a failure
    database=None,  # the tests run in a temporary folder; a failure prints the blob to reproduce it
    print_blob=True,
    # One database per test, not per example: each example compares the database with itself before it.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def examples(count: int) -> settings:
    """The bad-input profile with ``count`` examples (ten times as many when thorough)."""
    return settings(settings.get_profile("bad-input"), max_examples=count * (10 if _THOROUGH else 1))


Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every table, sorted: two snapshots are equal when nothing at all was written."""
    with engine.connect() as conn:
        return {
            name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
            for name, table in Base.metadata.tables.items()
        }


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


def run(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> Outcome:
    """``legalaid argv`` in this process, with what it printed."""
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


_ONE_ERROR = re.compile(r"error: \S.*")


def assert_one_line_error(outcome: Outcome, *, naming: str | None = None) -> None:
    """A refusal: a non-zero exit, exactly one line on stderr (``error: …``), no traceback; ``naming``:
    what the line must name (the argument or the file)."""
    assert outcome.code != 0, outcome
    assert "Traceback" not in outcome.err, outcome.err
    assert len(outcome.err_lines) == 1 and outcome.err.endswith("\n"), outcome.err
    assert _ONE_ERROR.fullmatch(outcome.err_lines[0]), outcome.err
    if naming is not None:
        assert naming in outcome.err, (naming, outcome.err)
