"""The fault suite's figures: one line per scenario, printed at the end of the run and kept as JSON.

A scenario test calls ``record(...)`` once it has counted what the SMTP server received against what
should have been sent. The figures travel on the test's report (its ``user_properties``), so that they
reach the terminal summary from pytest-xdist's worker processes too: ``collect`` gathers them where the
run is reported, and ``summarize`` prints them and writes them to ``$LEGALAID_FAULTS_REPORT`` (default
``<pytest rootdir>/.faults-report.json``), from which the README's "Guarantees" table is filled.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Outcome:
    scenario: str
    expected: int
    delivered: int  # distinct messages the SMTP server received (by Message-ID)
    duplicates: int  # messages received more than once (extra copies)
    lost: int  # expected but never received
    recovery_s: float  # from the fault's end (service back, standby started, ...) to the last delivery

    def line(self) -> str:
        return (
            f"{self.scenario:<46} expected {self.expected:>4}  delivered {self.delivered:>4}  "
            f"duplicates {self.duplicates:>2}  lost {self.lost:>2}  recovery {self.recovery_s:6.2f} s"
        )

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


USER_PROPERTY = "fault_outcome"
RECORDED: list[Outcome] = []  # by the scenarios of this process, until their test's report takes them
COLLECTED: list[Outcome] = []  # from the reports, where the run is reported


def record(
    scenario: str, *, expected: int, delivered: int, duplicates: int, lost: int, recovery_s: float
) -> Outcome:
    """Keep one scenario's figures for the summary; returns them so the test can assert on them."""
    outcome = Outcome(scenario, expected, delivered, duplicates, lost, round(recovery_s, 2))
    RECORDED.append(outcome)
    print(outcome.line())
    return outcome


def attach(report: pytest.TestReport) -> None:
    """Move the figures recorded during a test's call onto its report."""
    report.user_properties.extend((USER_PROPERTY, outcome.as_dict()) for outcome in RECORDED)
    RECORDED.clear()


def collect(report: pytest.TestReport) -> None:
    COLLECTED.extend(Outcome(**value) for name, value in report.user_properties if name == USER_PROPERTY)


def summarize(terminalreporter: pytest.TerminalReporter) -> None:
    if not COLLECTED:
        return
    terminalreporter.section("fault suite: what the SMTP server received")
    for outcome in COLLECTED:
        terminalreporter.write_line(outcome.line())
    default = terminalreporter.config.rootpath / ".faults-report.json"
    target = Path(os.environ.get("LEGALAID_FAULTS_REPORT", str(default)))
    target.write_text(
        json.dumps([o.as_dict() for o in COLLECTED], ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
