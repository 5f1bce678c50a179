"""``legalaid case``: case steps by hand (an assignment), with their notices."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from cli._common import console, err_console, parse_date_option, print_json, runtime
from legalaid.errors import UserError

app = typer.Typer(help="Case steps by hand: assign a case to a lawyer.", no_args_is_help=True)


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
    from legalaid.casework import assign_and_notify
    from legalaid.casework.notices import business_today
    from legalaid.paths import StagedFiles

    for value, name in ((case_no, "CASE_NO"), (person, "PERSON")):
        if not value.strip():
            raise UserError(f"{name}: empty")
    rt = runtime()
    today = business_today(rt.settings)
    assigned_on = parse_date_option(on, "--on") or today
    # The 指派通知书 is staged in the transaction and put in the documents folder once it has committed.
    with StagedFiles() as staged, rt.transaction() as session:
        assignment = assign_and_notify(
            session, rt.settings, case_no=case_no, lawyer_code=person, on=assigned_on, today=today,
            staged=staged, dry_run=dry_run,
        )  # fmt: skip
    change, report = assignment.change, assignment.notices
    from workers.handoff import hand_over_queued

    note = None if dry_run else hand_over_queued(rt, report.queued)
    if as_json:
        print_json(
            {
                **asdict(change),
                "notices_queued": report.notices,
                "problems": report.problems,
                "dry_run": dry_run,
            }
        )
        return
    moved = f" (from {change.old_lawyer})" if change.old_lawyer else ""
    would = "would be " if dry_run else ""
    console.print(
        f"{case_no} {would}assigned to {person}{moved} on {assigned_on.isoformat()}; "
        f"{report.notices} notice(s) {would}queued",
        markup=False,
        highlight=False,
    )
    for line in report.problems:
        err_console.print(f"warning: {line}", markup=False, highlight=False)
    if note:
        console.print(note, markup=False, highlight=False)
