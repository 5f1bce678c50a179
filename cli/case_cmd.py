"""``legalaid case``: case steps by hand (an assignment), with their notices."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import asdict
from typing import Annotated

import typer

from cli._common import console, err_console, parse_date_option, print_json, runtime
from legalaid.casework import assign_case, notify_case_changes
from legalaid.casework.notices import business_today
from legalaid.errors import UserError

app = typer.Typer(help="Case steps by hand: assign a case to a lawyer.", no_args_is_help=True)


class _DryRun(Exception):
    """Raised inside the transaction to roll back a dry run after it has done everything but commit."""


@app.command("assign")
def assign(
    case_no: Annotated[str, typer.Argument(metavar="CASE_NO", help="The case number, e.g. 2012民援第001号.")],
    person: Annotated[str, typer.Argument(metavar="PERSON", help="The lawyer's person code.")],
    on: Annotated[str | None, typer.Option("--on", help="Assignment date (default: today).")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and show; change and send nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Assign a case to a lawyer; the lawyer gets the 指派通知书 by email, a previous lawyer is told."""
    for value, name in ((case_no, "CASE_NO"), (person, "PERSON")):
        if not value.strip():
            raise UserError(f"{name}: empty")
    rt = runtime()
    today = business_today(rt.settings)
    assigned_on = parse_date_option(on, "--on") or today
    with suppress(_DryRun), rt.transaction() as session:
        change = assign_case(session=session, case_no=case_no, lawyer_code=person, on=assigned_on)
        report = notify_case_changes(session, rt.settings, assignments=[change], today=today)
        if dry_run:
            raise _DryRun  # everything checked and built; the transaction rolls back
    if as_json:
        print_json(
            {
                **asdict(change),
                "notices_queued": len(report.queued),
                "problems": report.problems,
                "dry_run": dry_run,
            }
        )
        return
    moved = f" (from {change.old_lawyer})" if change.old_lawyer else ""
    would = "would be " if dry_run else ""
    console.print(
        f"{case_no} {would}assigned to {person}{moved} on {assigned_on.isoformat()}; "
        f"{len(report.queued)} notice(s) {would}queued",
        markup=False,
        highlight=False,
    )
    for line in report.problems:
        err_console.print(f"warning: {line}", markup=False, highlight=False)
