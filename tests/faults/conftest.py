"""The fault suite: real scheduler, workers, Redis, PostgreSQL and SMTP server; faults injected; figures.

Every scenario ends with ``report.record(...)``; the figures are printed after the run and kept in JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from report import OUTCOMES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not OUTCOMES:
        return
    terminalreporter.section("fault suite: what the SMTP server received")
    for outcome in OUTCOMES:
        terminalreporter.write_line(outcome.line())
    default = terminalreporter.config.rootpath / ".faults-report.json"
    target = Path(os.environ.get("LEGALAID_FAULTS_REPORT", str(default)))
    target.write_text(
        json.dumps([o.as_dict() for o in OUTCOMES], ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
