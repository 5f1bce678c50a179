"""Start-up: ``legalaid --help`` loads the command line, not the domain's heavy libraries (a structural check;
bench/bench_startup.py measures the time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cli import documents_cmd, import_cmd
from legalaid.documents import KINDS as DOCUMENT_KINDS
from legalaid.importing import KINDS as IMPORT_KINDS

# Loaded only by the commands that use them (the worker, the scheduler, documents, reports, imports).
HEAVY = ("celery", "kombu", "apscheduler", "docx", "docxtpl", "openpyxl", "matplotlib")

_LOADED_AFTER = """
import json, sys
from cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def _modules_after(args: list[str], cwd: Path, *, code: int = 0) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _LOADED_AFTER, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] == code, done
    return set(report["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name.split(".")[0] in HEAVY)


def test_help_loads_no_heavy_library(tmp_path: Path) -> None:
    assert _heavy(_modules_after(["--help"], tmp_path)) == []


def test_config_loads_no_heavy_library(tmp_path: Path) -> None:
    assert _heavy(_modules_after(["config"], tmp_path)) == []


def test_status_reads_the_queues_without_loading_celery(tmp_path: Path) -> None:
    # It names the queues (workers.routing) and checks the schedule (APScheduler's cron parser), but builds
    # no Celery application. Exit 1: a folder without a database has something for a person to do.
    loaded = _modules_after(["status"], tmp_path, code=1)
    assert [name for name in _heavy(loaded) if name.split(".")[0] != "apscheduler"] == []


def test_kinds_written_out_for_the_help_are_the_domain_kinds() -> None:
    assert import_cmd.KINDS_HELP == " | ".join(IMPORT_KINDS)
    assert documents_cmd.KINDS_HELP == ", ".join(DOCUMENT_KINDS)
