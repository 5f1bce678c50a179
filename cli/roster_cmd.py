"""``legalaid roster``: the arbitration desk's rotation, its checks and quality, swaps, leave and notices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli._common import console, err_console, output_folder, parse_date_option, print_json, runtime, warn
from cli._console import Table, Text
from cli._options import with_options
from legalaid.errors import UserError

if TYPE_CHECKING:
    from legalaid.roster import ChangeResult, NoticeRun, Window

app = typer.Typer(
    help=(
        "The labor-arbitration desk's duty rotation: generate, check, quality, notify, swap, leave, ics, "
        "feed."
    ),
    no_args_is_help=True,
)
leave_app = typer.Typer(help="Leave (请假): record it; the person's duties in it go to others.")
app.add_typer(leave_app, name="leave")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change; write and send nothing.")
]
FromOption = Annotated[str, typer.Option("--from", metavar="DATE", help="First day, YYYY-MM-DD.")]
ToOption = Annotated[str, typer.Option("--to", metavar="DATE", help="Last day, YYYY-MM-DD.")]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", metavar="DATE", help="The business date (default: today); earlier duties are past."
    ),
]
ByOption = Annotated[
    str | None, typer.Option("--by", metavar="CODE", help="Who asked for it (a person code); recorded.")
]
AwayArgument = Annotated[str, typer.Argument(metavar="PERSON", help="Who is away (code).")]
# The leave table's reason column; the database would refuse a longer one (PostgreSQL does).
LEAVE_REASON_MAX = 200
NOTIFY_KINDS = ("week-ahead", "day-before", "alerts", "month-report")


def _window_dates(start: str, end: str) -> tuple[date, date]:
    first = parse_date_option(start, "--from")
    last = parse_date_option(end, "--to")
    assert first is not None and last is not None
    return first, last


def _today(as_of: str | None) -> date:
    from legalaid.casework.notices import business_today

    return parse_date_option(as_of, "--as-of") or business_today(runtime().settings)


@app.command("generate")
def generate(
    start: FromOption,
    end: ToOption,
    write: Annotated[
        bool, typer.Option("--write", help="Write the new shifts (default: only show them).")
    ] = False,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Draw every position from today on again, not only the empty ones."),
    ] = False,
    by: ByOption = None,
    as_of: AsOfOption = None,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Draw a fair rotation over the desk days from --from to --to, filling only empty positions.

    --replace draws every position from today (--as-of) on again; the days before stay as they were.
    """
    from legalaid.roster import load_window, rotate, write_rotation
    from legalaid.roster.mailing import Labels

    first, last = _window_dates(start, end)
    rt = runtime()
    today = _today(as_of)
    with rt.transaction() as session:
        window = load_window(session, rt.settings, start=first, end=last)
        rotation = rotate(window, replace=replace, today=today)
        result = None
        if write and not dry_run:
            result = write_rotation(
                session,
                rt.settings,
                window=window,
                rotation=rotation,
                replace=replace,
                requested_by=by,
                today=today,
            )
    from workers.handoff import hand_over_queued

    note = hand_over_queued(rt, result.outbox_ids) if result is not None else None
    warn(window.warnings)
    warn([f"{gap.on} {gap.slot}: nobody free, {gap.missing} short" for gap in rotation.unfilled])
    names = {code: person.name for code, person in window.people.items()}
    added = set(rotation.added)
    rows: list[dict[str, Any]] = [
        {"date": s.on, "slot": s.slot, "person": s.person, "name": names.get(s.person, ""), "new": s in added}
        for s in rotation.shifts
    ]
    if result is not None:
        warn(result.warnings)
    if as_json:
        print_json(rows)
        return
    labels = Labels(rt.settings)
    table = Table("date", "weekday", "slot", "person", "name", "")
    for row in rows:
        cells = (
            row["date"].isoformat(),
            labels.weekday(row["date"]),
            row["slot"],
            row["person"],
            row["name"],
            "new" if row["new"] else "",
        )
        table.add_row(*map(Text, cells))  # Text, not markup: a name may hold brackets
    console.print(table)
    summary = ", ".join(f"{code} {count}" for code, count in rotation.counts.items())
    console.print(f"duties per person: {summary}", markup=False, highlight=False, soft_wrap=True)
    if result is None:
        console.print(
            f"{len(rotation.added)} shift(s) to add; nothing written (add --write)", highlight=False
        )
    else:
        console.print(
            f"written: {len(result.added)} added, {len(result.removed)} removed; "
            f"{len(result.notices)} change notice(s) queued",
            highlight=False,
        )
    if note:
        console.print(note, markup=False, highlight=False)


def _stored_window(start: str, end: str) -> tuple[date, date, Window]:
    """The rota from --from to --to as stored, with what the desk needs; its warnings shown."""
    from legalaid.roster import load_window

    first, last = _window_dates(start, end)
    rt = runtime()
    with rt.transaction() as session:
        window = load_window(session, rt.settings, start=first, end=last)
    warn(window.warnings)
    return first, last, window


@app.command("check")
def check(start: FromOption, end: ToOption, as_json: JsonOption = False) -> None:
    """Find gaps, double bookings, leave, inactive people, closed days, runs and imbalance; exit 1 if any."""
    from legalaid.roster import find_problems

    first, last, window = _stored_window(start, end)
    problems = find_problems(window.view())
    if as_json:
        print_json([p.as_dict() for p in problems])
    elif problems:
        table = Table("kind", "date", "slot", "person", "problem")
        for p in problems:
            cells = (p.kind, str(p.on or ""), p.slot or "", p.person or "", p.message)
            table.add_row(*map(Text, cells))
        console.print(table)
        console.print(f"{len(problems)} problem(s) from {first} to {last}", highlight=False)
    else:
        console.print(f"no problem from {first} to {last}", highlight=False)
    if problems:
        raise typer.Exit(1)


@app.command("quality")
def quality(start: FromOption, end: ToOption, as_json: JsonOption = False) -> None:
    """Coverage, balance, who is over their fair share, and one score (0-100)."""
    from legalaid.roster import measure

    first, last, window = _stored_window(start, end)
    figures = measure(window.view())
    if as_json:
        print_json({"from": first, "to": last, **figures.as_dict()})
        return
    over = ", ".join(f"{code} +{percent}%" for code, percent in figures.over) or "nobody"
    for line in (
        f"coverage  {figures.coverage:.1%} ({figures.filled} of {figures.required} desk positions filled)",
        f"balance   {figures.balance:.3f} (fairest possible with whole duties: {figures.best_balance:.3f})",
        f"over      {over}",
        f"score     {figures.score}",
    ):
        console.print(line, highlight=False, soft_wrap=True, markup=False)


@app.command("notify")
def notify(
    as_of: AsOfOption = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind", help="week-ahead, day-before, alerts or month-report (repeat it; default: all four)."
        ),
    ] = None,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Queue the notices due on the business date: week-ahead, day-before, alerts, the monthly report."""
    from legalaid.calendar import WorkCalendar
    from legalaid.roster import alerts, day_before, month_report, week_ahead
    from legalaid.roster.quiet import why_nothing

    notifiers: dict[str, Any] = {
        "week-ahead": week_ahead,
        "day-before": day_before,
        "alerts": alerts,
        "month-report": month_report,
    }
    kinds = kind or list(NOTIFY_KINDS)
    if bad := [k for k in kinds if k not in NOTIFY_KINDS]:
        raise UserError(f"--kind: {bad[0]!r} is not one of {', '.join(NOTIFY_KINDS)}")
    rt = runtime()
    today = _today(as_of)
    calendar = WorkCalendar.from_settings(rt.settings)
    runs: list[NoticeRun] = []
    with rt.transaction() as session:
        for name in NOTIFY_KINDS:
            if name in kinds:
                runs.append(
                    notifiers[name](session, rt.settings, as_of=today, calendar=calendar, dry_run=dry_run)
                )
        for run in runs:  # a run with nothing to queue says why: not its day, sent before, nothing due
            run.note = run.note or why_nothing(session, rt.settings, run, calendar)
        if dry_run:
            session.rollback()
    from workers.handoff import hand_over_queued

    note = None if dry_run else hand_over_queued(rt, [i for run in runs for i in run.outbox_ids])
    for run in runs:
        warn([f"{run.kind}: {line}" for line in run.problems])
    if as_json:
        print_json([run.as_dict() for run in runs])
        return
    verb = "would queue" if dry_run else "queued"
    for run in runs:
        line = f"{run.kind}: {verb} {len(run.messages)} message(s)"
        console.print(
            line + (f" — {run.note}" if run.note else ""), highlight=False, soft_wrap=True, markup=False
        )
        for message in run.messages:
            console.print(
                f"  {message['to']}: {message['subject']}", highlight=False, soft_wrap=True, markup=False
            )
    if note:
        console.print(note, markup=False, highlight=False)


@dataclass(frozen=True)
class ChangeOptions:
    """What a change to the rota by hand (a swap, leave) takes after its own arguments."""

    as_of: AsOfOption = None
    dry_run: DryRunOption = False
    as_json: JsonOption = False


def _record_change(options: ChangeOptions, change: Callable[..., ChangeResult], **arguments: Any) -> None:
    """Make the domain's ``change`` (swap, add_leave) in one transaction on the business date; show it."""
    rt = runtime()
    today = _today(options.as_of)
    with rt.transaction() as session:
        result = change(session, rt.settings, today=today, dry_run=options.dry_run, **arguments)
    _show_change(result, dry_run=options.dry_run, as_json=options.as_json)


def _show_change(result: ChangeResult, *, dry_run: bool, as_json: bool) -> None:
    from workers.handoff import hand_over_queued

    note = None if dry_run else hand_over_queued(runtime(), result.outbox_ids)
    warn(result.warnings)
    if as_json:
        print_json({**result.as_dict(), "dry_run": dry_run})
        return
    for shift in result.removed:
        console.print(f"- {shift.on} {shift.slot} {shift.person}", highlight=False, markup=False)
    for shift in result.added:
        console.print(f"+ {shift.on} {shift.slot} {shift.person}", highlight=False, markup=False)
    if dry_run:
        console.print("dry run: nothing written, nobody told", highlight=False)
    else:
        console.print(f"recorded; {len(result.notices)} change notice(s) queued", highlight=False)
    if note:
        console.print(note, markup=False, highlight=False)


@app.command("swap")
@with_options
def swap_command(
    day: Annotated[str, typer.Argument(metavar="DATE", help="The duty's day, YYYY-MM-DD.")],
    slot: Annotated[str, typer.Argument(metavar="SLOT", help="day, am or pm.")],
    from_person: Annotated[str, typer.Argument(metavar="FROM_PERSON", help="Who gives the duty (code).")],
    to_person: Annotated[str, typer.Argument(metavar="TO_PERSON", help="Who takes it (code).")],
    by: ByOption = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why; recorded.")] = None,
    *,
    options: ChangeOptions,
) -> None:
    """Give FROM_PERSON's duty to TO_PERSON, who must be free, in the pool and not on leave; both are told."""
    from legalaid.roster import swap

    on = parse_date_option(day, "DATE")
    assert on is not None
    _record_change(
        options,
        swap,
        on=on,
        slot=slot,
        from_code=from_person,
        to_code=to_person,
        requested_by=by,
        reason=reason,
    )


@leave_app.command("add")
@with_options
def leave_add(
    person: AwayArgument,
    start: Annotated[str, typer.Argument(metavar="START", help="First day away, YYYY-MM-DD.")],
    end: Annotated[str, typer.Argument(metavar="END", help="Last day away, YYYY-MM-DD.")],
    reason: Annotated[str | None, typer.Option("--reason", help="事由; recorded.")] = None,
    by: ByOption = None,
    *,
    options: ChangeOptions,
) -> None:
    """Record leave; the person's duties from today on within it go to others, fairly; everyone is told."""
    from legalaid.roster import add_leave

    first, last = parse_date_option(start, "START"), parse_date_option(end, "END")
    assert first is not None and last is not None
    if reason is not None and len(reason) > LEAVE_REASON_MAX:
        raise UserError(f"--reason: {len(reason)} characters, at most {LEAVE_REASON_MAX}")
    _record_change(
        options, add_leave, person_code=person, start=first, end=last, reason=reason, requested_by=by
    )


@app.command("ics")
def ics(
    person: Annotated[str, typer.Option("--person", metavar="CODE", help="Whose duties.")],
    start: Annotated[
        str | None, typer.Option("--from", metavar="DATE", help="First day (default: all).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", metavar="DATE", help="Last day (default: all).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of printing.")] = None,
) -> None:
    """A person's duties as an iCalendar feed; removed duties stay in it as STATUS:CANCELLED."""
    from legalaid.roster.ics import DutyEvent, calendar_bytes
    from legalaid.roster.store import person_by_code, person_duties

    first, last = parse_date_option(start, "--from"), parse_date_option(end, "--to")
    rt = runtime()
    with rt.transaction() as session:
        who = person_by_code(session, person, argument="--person")
        records = person_duties(session, who, start=first, end=last)
        events = [
            DutyEvent(r.on, r.slot, r.person, who.name, r.cancelled, r.sequence, r.changed_at)
            for r in records
        ]
        content = calendar_bytes(events, rt.settings, name=f"{rt.settings.roster_desk_name} {who.name}")
    if out is not None:
        if out.is_dir():
            raise UserError(f"--out: {out} is a folder; name the file to write")
        out.write_bytes(content)
        err_console.print(f"{len(events)} duties written to {out}", highlight=False, markup=False)
        return
    typer.echo(content.decode("utf-8"), nl=False)


@app.command("feed")
def feed(
    person: Annotated[str, typer.Argument(metavar="PERSON", help="Whose duties (code).")],
    new: Annotated[bool, typer.Option("--new", help="Make a new URL; the old one stops working.")] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help="End the person's feed.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The person's secret calendar feed URL for calendar apps (a month back, three months ahead).

    Only a hash of the secret is kept, so the URL is printed once, when it is made.

    A person without a feed gets one; with a feed, --new makes another (ending the old one).
    """
    from legalaid.models import utcnow
    from legalaid.roster.feeds import open_feed, revoke_feed

    if new and revoke:
        raise UserError("--new, --revoke: give one of them")
    rt = runtime()
    with rt.transaction() as session:
        if revoke:
            result = revoke_feed(session, person, now=utcnow())
        else:
            result = open_feed(session, rt.settings, person, new=new, now=utcnow())
    if as_json:
        print_json(result.as_dict())
        return
    who = f"{result.person} {result.name}"
    made = result.created_at.astimezone(rt.settings.tz).date()
    if result.status == "revoked":
        line = f"revoked the calendar feed of {who} (made {made}); its URL answers 404 from now on"
    elif result.status == "exists":
        line = (
            f"{who} has a calendar feed since {made}; its URL was shown once, when it was made. "
            f"`legalaid roster feed {result.person} --new` makes a new URL and ends the old one"
        )
    else:
        line = f"calendar feed of {who} (shown once; subscribe to it in a calendar app):\n{result.url}"
    console.print(line, markup=False, highlight=False, soft_wrap=True)


@app.command("document")
def document(
    month: Annotated[str, typer.Option("--month", metavar="YYYY-MM", help="The month of the roster.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write into.")] = Path("."),
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """The month's 值班安排表 for posting at the desk, as a Word document and an .xlsx, signed with the
    date it is made (``--as-of``, default today)."""
    from legalaid.roster.document import month_sheet, parse_month, write_sheet

    first = parse_month(month)
    output_folder(out, "--out")
    made_on = _today(as_of)
    rt = runtime()
    with rt.transaction() as session:
        sheet = month_sheet(session, rt.settings, month=first, made_on=made_on)
    paths = write_sheet(sheet, rt.settings, out)
    if as_json:
        print_json({"month": month, "rows": len(sheet.rows), "files": [str(p) for p in paths]})
        return
    for path in paths:
        console.print(str(path), highlight=False, markup=False)
