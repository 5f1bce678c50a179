"""``legalaid status``: database, broker, SMTP, scheduler leader, queues, outbox, last runs."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._common import console, print_json, runtime
from legalaid.errors import UserError


def register(app: typer.Typer) -> None:
    @app.command("status")
    def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
        """Show whether every part is up; exit 1 when something needs a person."""
        from legalaid.models import utcnow
        from legalaid.status import Check, collect_status
        from schedules.table import load_schedule, schedule_path
        from workers.routing import QUEUES  # the queue names only: no Celery app is built

        rt = runtime()
        try:
            jobs = [entry.id for entry in load_schedule(schedule_path(rt.settings))]
            broken = None
        except UserError as exc:
            jobs, broken = [], Check("schedule", False, str(exc))
        report = collect_status(rt, queues=QUEUES, now=utcnow(), scheduled_jobs=jobs)
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
