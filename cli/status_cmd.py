"""``legalaid status``: database, broker, SMTP, scheduler leader, queues, outbox, last runs."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._common import console, missing_database, print_json, runtime
from legalaid.errors import UserError


def register(app: typer.Typer) -> None:
    @app.command("status")
    def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
        """Show whether every part is up; exit 1 when something needs a person."""
        from legalaid.config import load_settings
        from legalaid.models import utcnow
        from legalaid.status import Check, collect_status, status_without_database
        from schedules.table import load_schedule, schedule_path
        from workers.routing import QUEUES  # the queue names only: no Celery app is built

        settings = load_settings()
        try:
            jobs = [entry.id for entry in load_schedule(schedule_path(settings))]
            broken = None
        except UserError as exc:
            jobs, broken = [], Check("schedule", False, str(exc))
        # Status only reads: a database that does not exist yet is reported, not created by opening it.
        if (missing := missing_database(settings)) is not None:
            report = status_without_database(settings, queues=QUEUES, missing=missing)
        else:
            report = collect_status(runtime(), queues=QUEUES, now=utcnow(), scheduled_jobs=jobs)
        if broken is not None:  # the scheduler would refuse to start on it
            report.checks.append(broken)
        if as_json:
            print_json(report.as_dict())
        else:
            width = max(len(check.name) for check in report.checks)
            for check in report.checks:
                mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
                console.print(f"{mark} {check.name.ljust(width)}  ", end="")
                console.print(check.summary, markup=False, highlight=False, soft_wrap=True)
        if not report.ok:
            raise typer.Exit(1)
