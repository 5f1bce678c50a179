"""``legalaid jobs``: the scheduled ticks that are not done, and running a dead one again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from sqlalchemy import select

from cli._common import console, print_json, runtime
from cli._console import Table, Text
from legalaid.errors import UserError

if TYPE_CHECKING:
    from legalaid.models import JobRun

app = typer.Typer(help="Scheduled job ticks: what is not done, run a dead one again.", no_args_is_help=True)


def _tick(run: JobRun) -> dict[str, Any]:
    return {
        "key": run.key,
        "job": run.job,
        "status": run.status,
        "attempts": run.attempts - run.attempts_at_retry,
        "due_at": run.due_at.isoformat() if run.due_at else None,
        "worker": run.worker,
        "error": run.error,
    }


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Each job's last run, the ticks not done yet (dead, failed, waiting, running), and what needs a person.

    Exit 1 when a tick is dead or stuck, as ``legalaid status`` does.
    """
    from legalaid import jobs
    from legalaid.models import utcnow
    from legalaid.status import STUCK_AFTER

    rt = runtime()
    with rt.sessions() as session:
        last = [_tick(run) for run in jobs.last_runs(session)]
        open_ticks = [_tick(run) for run in jobs.unfinished(session)]
        problems = jobs.needing_attention(session, now=utcnow(), stuck_after=STUCK_AFTER)
    if as_json:
        print_json({"last_runs": last, "unfinished": open_ticks, "problems": problems})
    else:
        console.print(
            "  ".join(f"{run['job']} {run['status']}" for run in last) or "no runs yet", highlight=False
        )
        if last and not open_ticks:  # said, not left to an absent table
            console.print("every tick is done: none dead, failed, waiting or running", highlight=False)
        if open_ticks:
            table = Table("key", "status", "attempts", "due", "error", title="not done", title_justify="left")
            for tick in open_ticks:
                # Text cells: an error message is shown as it is, never read as console markup.
                cells = (tick["key"], tick["status"], str(tick["attempts"]), tick["due_at"], tick["error"])
                table.add_row(*(Text(cell or "-") for cell in cells))
            console.print(table)
        for problem in problems:
            console.print(problem, highlight=False, markup=False)
    if problems:
        raise typer.Exit(1)


@app.command("retry")
def retry(
    key: str | None = typer.Argument(None, metavar="[KEY]", help="The tick (see `legalaid jobs status`)."),
    dead: bool = typer.Option(False, "--dead", help="Every dead tick."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be scheduled; change nothing."),
) -> None:
    """Schedule a dead (or failed) tick again, due now, with as many attempts as a new one.

    The leader scheduler's sweep sends it within seconds; its work runs once, as for any tick.
    """
    from legalaid import jobs
    from legalaid.models import JobRun

    if (key is None) == (not dead):
        raise UserError("name one tick KEY (see `legalaid jobs status`) or --dead")
    rt = runtime()
    with rt.transaction() as session:
        if key is not None:
            run = session.scalar(select(JobRun).where(JobRun.key == key))
            if run is None:
                raise UserError(f"no tick {key!r} (see `legalaid jobs status`)")
            if run.status not in (jobs.DEAD, jobs.FAILED):
                raise UserError(f"tick {key} is {run.status}; only a dead or failed tick is retried")
        if dry_run:
            dead_keys = select(JobRun.key).where(JobRun.status == jobs.DEAD).order_by(JobRun.scheduled_for)
            chosen = [key] if key is not None else list(session.scalars(dead_keys))
            session.rollback()
        else:
            chosen = jobs.retry(session, keys=[key] if key is not None else [], dead=dead)
    verb = "would schedule" if dry_run else "scheduled"
    console.print(f"{verb} {len(chosen)} tick(s) again: {', '.join(chosen) or '-'}", highlight=False)
