"""``legalaid report``: the center's quarterly and annual reports and each firm's, by hand; the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from cli._common import console, output_folder, parse_date_option, print_json, runtime, warn
from cli._console import Table, Text
from cli._options import with_options
from legalaid.errors import UserError

if TYPE_CHECKING:
    from legalaid.reports import Period, ReportRequest, ReportResult

app = typer.Typer(
    help="Quarterly and annual reports (Word + Excel) for the leadership and for each firm.",
    no_args_is_help=True,
)

OutOption = Annotated[
    Path | None,
    typer.Option("--out", metavar="DIR", help="Folder for the files (default: <data_dir>/reports)."),
]
SendOption = Annotated[
    bool, typer.Option("--send", help="Mail the report (once: a report sent before is not sent again).")
]
ResendOption = Annotated[bool, typer.Option("--resend", help="Mail the report even if it was sent before.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON: the result and every figure.")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Count and render only: write, record and send nothing.")
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Count the data as of this day, YYYY-MM-DD (default: the period's publication day once it has "
        "come, else today).",
    ),
]
YearOption = Annotated[
    str | None,
    typer.Option("--year", metavar="YYYY", help="Statistical year, e.g. 2012 (see report_year_start_month)."),
]
QuarterOption = Annotated[
    str | None,
    typer.Option("--quarter", metavar="YYYYQn", help="Quarter of a statistical year, e.g. 2012Q1."),
]


@dataclass(frozen=True)
class Delivery:
    """What every report command takes after its period: the folder, mailing, the output, the day."""

    out: OutOption = None
    send: SendOption = False
    resend: ResendOption = False
    as_json: JsonOption = False
    dry_run: DryRunOption = False
    as_of: AsOfOption = None


def _run(request: ReportRequest, delivery: Delivery) -> None:
    out, send, resend = delivery.out, delivery.send, delivery.resend
    as_json, dry_run, as_of = delivery.as_json, delivery.dry_run, delivery.as_of
    from legalaid.casework.notices import business_today
    from legalaid.reports import produce_report
    from legalaid.reports.deliver import default_as_of

    rt = runtime()
    given = parse_date_option(as_of, "--as-of")
    if out is not None:  # a file named as the folder is the user's mistake, not a failed report
        output_folder(out, "--out")
    # A closed period's report is counted as of its publication day, whatever day it is run on: the same
    # data gives the same report (and bytes) tomorrow.
    day = default_as_of(rt.settings, request.period, today=business_today(rt.settings), given=given)
    result = produce_report(rt, request, as_of=day, out_dir=out, send=send, resend=resend, dry_run=dry_run)
    from workers.handoff import hand_over_queued

    note = hand_over_queued(rt, [result.outbox_id] if result.outbox_id is not None else [])
    warn(result.problems)
    if as_json:
        print_json(result.as_dict())
        return
    _show(result, dry_run=dry_run)
    if note:
        console.print(note, markup=False, highlight=False)


def _show(result: ReportResult, *, dry_run: bool) -> None:
    for line in result.headline:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if result.as_of is not None:
        console.print(f"as of {result.as_of.describe()}", markup=False, highlight=False, soft_wrap=True)
    verb = "would write" if dry_run else "written"
    for path in result.files:
        console.print(f"{verb}: {path}", markup=False, highlight=False, soft_wrap=True)
    if dry_run:
        to = f" to {', '.join(result.recipients)}" if result.recipients else ""
        console.print(
            f"{result.key}: dry run, nothing written or sent{to}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return
    if result.changed is not None:
        console.print(
            _change_note(result.changed, result.changes), markup=False, highlight=False, soft_wrap=True
        )
    status = f"{result.key}: {result.status}"
    if result.recipients:
        status += f" to {', '.join(result.recipients)} (outbox #{result.outbox_id}; a worker delivers it)"
    if result.note:
        status += f" ({result.note})"
    console.print(status, markup=False, highlight=False, soft_wrap=True)


def _change_note(changed: bool | None, changes: list[str] | None) -> str:
    """What a rebuild changed: nothing, these figures, or the document only (wording, layout)."""
    if not changed:
        return "unchanged since the last build"
    if changes is None:
        return "rebuilt: the document changed (the figures of the last build were not recorded)"
    if not changes:
        return "rebuilt: the document changed, the figures did not"
    return "rebuilt with other figures: " + "; ".join(changes)


def _start_month() -> int:
    return runtime().settings.report_year_start_month


def _center_report(kind: Literal["annual", "quarterly"], period: Period, delivery: Delivery) -> None:
    """The center's report (``annual``, ``quarterly``) for the period."""
    from legalaid.reports import ReportRequest

    _run(ReportRequest(kind, period), delivery)


@app.command("annual")
@with_options
def annual(
    year: Annotated[str, typer.Option("--year", metavar="YYYY", help="Statistical year, e.g. 2012.")],
    delivery: Delivery,
) -> None:
    """The center's annual report for a statistical year; to report_recipients with --send.

    With report_year_start_month = 11, --year 2012 is 2011-11-01 … 2012-10-31.
    """
    from legalaid.reports import parse_year

    _center_report("annual", parse_year(year, start_month=_start_month()), delivery)


@app.command("quarterly")
@with_options
def quarterly(
    quarter: Annotated[str, typer.Option("--quarter", metavar="YYYYQn", help="Quarter, e.g. 2012Q1.")],
    delivery: Delivery,
) -> None:
    """The center's quarterly report; to report_recipients with --send.

    Quarters of the statistical year: with a November start, --quarter 2012Q1 is November 2011 … January 2012.
    """
    from legalaid.reports import parse_quarter

    _center_report("quarterly", parse_quarter(quarter, start_month=_start_month()), delivery)


@app.command("firm")
@with_options
def firm(
    code: Annotated[str, typer.Option("--firm", metavar="CODE", help="The firm's code.")],
    year: YearOption = None,
    quarter: QuarterOption = None,
    *,
    delivery: Delivery,
) -> None:
    """A firm's report for a year or a quarter; to the firm's director with --send.

    Its lawyers' cases, recipients and matters, timeliness, and the firm's totals.
    """
    from legalaid.reports import ReportRequest, parse_quarter, parse_year

    start_month = _start_month()
    if (year is None) == (quarter is None):
        raise UserError("--year, --quarter: give one of them (a firm's report is for a year or a quarter)")
    period: Period = (
        parse_year(year, start_month=start_month)
        if year is not None
        else parse_quarter(quarter or "", start_month=start_month)
    )
    request = ReportRequest("firm", period, code.strip())
    _run(request, delivery)


@app.command("runs")
def runs_command(
    failed: Annotated[
        bool, typer.Option("--failed", help="Only the reports whose last attempt failed.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """The report ledger: each report made, its files, whether it was sent, and why it failed."""
    from legalaid.reports.runs import list_runs, run_dict

    rt = runtime()
    with rt.sessions() as session:
        rows = [run_dict(run) for run in list_runs(session, limit=200)]
    if failed:
        rows = [row for row in rows if row["status"] == "failed"]
    if as_json:
        print_json(rows)
        return
    if not rows:  # an empty table would say nothing: say what was looked for and found absent
        console.print("no failed runs" if failed else "no report runs yet")
        return
    table = Table("report", "as of", "status", "sends", "built", "sent", "note")
    table.columns[0].overflow = "fold"
    for row in rows:
        changes = row["changes"]
        note = str(row["error"] or "")
        if not note and isinstance(changes, list):
            note = ("changed: " + "; ".join(map(str, changes))) if changes else "figures unchanged"
        cells = (
            str(row["key"]),
            str(row["as_of"] or "-"),
            str(row["status"]),
            str(row["sends"]),
            str(row["built_at"] or "-")[:16],
            str(row["sent_at"] or "-")[:16],
            note,
        )
        table.add_row(*map(Text, cells))  # Text, not markup: a firm code or an error may hold brackets
    console.print(table)
