"""The fault suite's figures: one line per scenario, printed at the end of the run and kept as JSON.

A scenario test calls ``record(...)`` once it has counted what the SMTP server received against what
should have been sent. The lines are printed in the terminal summary (``pytest tests/faults``) and written
to ``$LEGALAID_FAULTS_REPORT`` (default ``<pytest rootdir>/.faults-report.json``) so that the README's
"Guarantees" table can be filled from a real run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


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


OUTCOMES: list[Outcome] = []


def record(
    scenario: str, *, expected: int, delivered: int, duplicates: int, lost: int, recovery_s: float
) -> Outcome:
    """Keep one scenario's figures for the summary; returns them so the test can assert on them."""
    outcome = Outcome(scenario, expected, delivered, duplicates, lost, round(recovery_s, 2))
    OUTCOMES.append(outcome)
    print(outcome.line())
    return outcome
