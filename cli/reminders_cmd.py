"""``legalaid reminders``: the daily follow-up scan by hand, and the rule book it follows."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli._common import console, err_console, parse_date_option, print_json, runtime
from cli._console import Table, Text
from legalaid.config import load_settings

if TYPE_CHECKING:
    from legalaid.reminders import Rule, RunReport

app = typer.Typer(
    help="Follow-up reminders: run the daily scan, list what is overdue, show the rules.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command("run")
def run(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The business date to scan for, YYYY-MM-DD (default: today)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent; send and record nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Queue today's reminder and escalation digests (each item once, ever); a worker delivers them."""
    from legalaid.casework.notices import business_today
    from legalaid.reminders import run_reminders
    from legalaid.reminders.rules import threshold_label

    rt = runtime()
    day = parse_date_option(as_of, "--as-of") or business_today(rt.settings)
    with rt.transaction() as session:
        report = run_reminders(session, rt.settings, as_of=day, dry_run=dry_run)
        if dry_run:
            session.rollback()  # run_reminders wrote nothing; the rollback makes sure of it
    from workers.handoff import hand_over_queued

    note = None if dry_run else hand_over_queued(rt, report.outbox_ids)
    if not report.working_day:
        holiday = f" ({report.holiday_name})" if report.holiday_name else ""
        next_day = report.next_working_day.isoformat() if report.next_working_day else "?"
        message = (
            f"{day.isoformat()} is not a working day{holiday}: no digests are sent; "
            f"what falls due on it goes into the digests of {next_day}"
        )
        if as_json:
            print_json([])
            err_console.print(message, markup=False, highlight=False, soft_wrap=True)
        else:
            console.print(message, markup=False, highlight=False, soft_wrap=True)
        return
    for problem in report.problems:
        err_console.print(f"warning: {problem}", markup=False, highlight=False, soft_wrap=True)
    rows = report.rows
    already = _already_sent(report, rt.settings.tz)
    if as_json:
        print_json(rows)
        if already:
            err_console.print(already, markup=False, highlight=False, soft_wrap=True)
        return
    if rows:
        table = Table("rule", "case", "recipient", "level", "deadline", "threshold", "delivery")
        for row in rows:
            delivery = row["delivery"] + (f": {row['reason']}" if row["reason"] else "")
            cells = (
                row["rule"],
                row["case_no"],
                row["recipient"] or "-",
                row["level"],
                row["deadline"].isoformat(),
                threshold_label(row["threshold"]) + (" catch-up" if row["catch_up"] else ""),
                delivery,
            )
            table.add_row(*map(Text, cells))  # Text, not markup: a case number may hold brackets
        console.print(table)
    console.print(_summary(report), highlight=False)
    if already:
        console.print(already, markup=False, highlight=False, soft_wrap=True)
    if note:
        console.print(note, markup=False, highlight=False)


def _already_sent(report: RunReport, tz: tzinfo) -> str | None:
    """Why a scan that found nothing found nothing, when the ledger knows: the day's items went out."""
    if report.lines or not report.sent_before:
        return None
    when = (
        report.sent_before_at.astimezone(tz).isoformat(timespec="seconds") if report.sent_before_at else "?"
    )
    return (
        f"nothing new: {report.sent_before} item(s) for {report.as_of.isoformat()} were sent before, "
        f"the last at {when} (each item is sent once)"
    )


def _summary(report: RunReport) -> str:
    verb = "would be queued" if report.dry_run else "queued"
    items = len({line.item.key for line in report.lines})
    reminders, escalations = report.digests.get("reminder", 0), report.digests.get("escalation", 0)
    parts = [
        f"{report.as_of.isoformat()}: {items} item(s) due",
        f"{reminders} reminder and {escalations} escalation digest(s) {verb}",
    ]
    if report.superseded:
        parts.append(f"{report.superseded} earlier threshold(s) superseded")
    if report.undeliverable:
        parts.append(f"{report.undeliverable} could not be delivered (reported to the center staff)")
    return "; ".join(parts)


@app.command("overdue")
def overdue(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The day, YYYY-MM-DD (default: today)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The open items past their deadline, by the person who must act (reminded already or not).

    The same items the reports count as 逾期未办 (overdue and open) for that day.
    """
    from legalaid.calendar import WorkCalendar
    from legalaid.casework.notices import business_today
    from legalaid.reminders import load_rules
    from legalaid.reminders.overdue import overdue_by_person, overdue_items

    rt = runtime()
    day = parse_date_option(as_of, "--as-of") or business_today(rt.settings)
    calendar = WorkCalendar.from_settings(rt.settings)
    with rt.transaction() as session:
        items = overdue_items(session, load_rules(rt.settings), calendar, on=day)
    listed = overdue_by_person(items)
    if as_json:
        print_json(listed)
        return
    for group in listed:
        label = f"{group['person']} {group['name']}" if group["person"] else group["name"]
        console.print(
            f"{label} ({group['role']}): {len(group['items'])} overdue", markup=False, highlight=False
        )
        table = Table("rule", "case", "deadline", "days overdue")
        for row in group["items"]:
            cells = (row["rule"], row["case_no"], row["deadline"].isoformat(), str(row["days_overdue"]))
            table.add_row(*map(Text, cells))
        console.print(table)
    if not items:  # in words, not a bare 0: nothing open is past its deadline
        console.print(
            f"{day.isoformat()}: nothing overdue (no open item is past its deadline)", highlight=False
        )
        return
    console.print(f"{day.isoformat()}: {len(items)} overdue open item(s)", highlight=False)


@app.command("rules")
def rules(as_json: JsonOption = False) -> None:
    """The rule book: each rule's deadline, thresholds, recipients and legal basis."""
    from legalaid.reminders import load_rules

    settings = load_settings()
    table_rows = [_rule_row(rule, settings.locale) for rule in load_rules(settings).values()]
    if as_json:
        print_json(table_rows)
        return
    table = Table("rule", "what is due", "open while", "deadline", "reminds", "escalates", show_lines=True)
    for row in table_rows:
        cells = (
            row["id"] + ("" if row["enabled"] else " (off)"),
            row["title"],
            "; ".join(row["open_while"]),
            row["deadline"],
            row["reminds"] or "—",
            row["escalates"] or "—",
        )
        table.add_row(*map(Text, cells))  # a local rules file's titles are text, not markup
    console.print(table)
    # The legal basis is a sentence each: below the table, whole, rather than squeezed into a cell.
    for row in table_rows:
        console.print(f"{row['id']}: {row['basis']}", markup=False, highlight=False, soft_wrap=True)


def _rule_row(rule: Rule, locale: str) -> dict[str, Any]:
    from legalaid.reminders import BRANCHES
    from legalaid.reminders.rules import LEVELS, threshold_label

    anchors = " or ".join(dict.fromkeys(branch.anchor.key for branch in BRANCHES[rule.id]))
    if rule.deadline_kind == "period":
        deadline = f"{anchors} + {rule.days} days (a period: ends on a working day)"
    else:
        deadline = f"{anchors} (a fixed date)"
    described = {}
    for level in LEVELS:
        labels = ", ".join(threshold_label(t) for t in rule.offsets(level))
        described[level] = f"{', '.join(rule.roles(level))}: {labels}" if labels else ""
    return {
        "id": rule.id,
        "title": rule.title(locale),
        "enabled": rule.enabled,
        "open_while": [branch.open_while for branch in BRANCHES[rule.id]],
        "deadline": deadline,
        "days": rule.days,
        "deadline_kind": rule.deadline_kind,
        "remind_before": list(rule.remind_before),
        "remind": list(rule.remind),
        "escalate_after": list(rule.escalate_after),
        "escalate": list(rule.escalate),
        "reminds": described["reminder"],
        "escalates": described["escalation"],
        "basis": rule.basis(locale),
        "basis_zh": rule.basis_zh,
        "basis_en": rule.basis_en,
    }
