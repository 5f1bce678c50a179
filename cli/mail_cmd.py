"""``legalaid mail``: what the outbox holds, one message in detail, resend, deliver now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import typer

from cli._common import console, err_console, print_json, runtime
from cli._console import Table, Text, count_bar
from legalaid.errors import UserError


class NotDelivered(UserError):
    """Some messages failed: exit 1 (a UserError is the one way to a non-zero exit that main() keeps)."""

    exit_code = 1


# The largest id a database column holds (a BIGINT); a bigger number names no message and would overflow.
MAX_ID = 2**63 - 1

app = typer.Typer(help="The mail outbox: status, one message, resend, deliver now.", no_args_is_help=True)


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    return str(timedelta(seconds=seconds))


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Messages by status, the age of the oldest queued one, and every dead one with its error."""
    from legalaid.mail.views import status_report
    from legalaid.models.base import utcnow

    rt = runtime()
    with rt.transaction() as session:
        report = status_report(session, now=utcnow())
    if as_json:
        print_json(report)
        return
    counts = report["counts"]
    if not any(counts.values()):  # in words: a row of zeros reads like a broken count
        console.print("the outbox is empty: no message queued or sent yet", highlight=False)
        return
    console.print(
        "  ".join(f"{name} {count}" for name, count in counts.items())
        + f"  (due now {report['due_now']}, oldest queued {_age(report['oldest_queued_age_seconds'])})",
        highlight=False,
    )
    if report["dead"]:
        table = Table("id", "key", "to", "attempts", "error", title="dead", title_justify="left")
        for row in report["dead"]:
            # Text, not markup: a key or a server's answer may hold brackets.
            cells = (
                str(row["id"]),
                row["key"],
                ", ".join(row["to"]),
                str(row["attempts"]),
                row["last_error"],
            )
            table.add_row(*(Text(cell or "") for cell in cells))
        console.print(table)
        console.print("resend with: legalaid mail retry ID  or  legalaid mail retry --dead", highlight=False)


@app.command("show")
def show(
    outbox_id: int = typer.Argument(
        ..., metavar="ID", min=1, max=MAX_ID, help="The outbox id (see `legalaid mail status`)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One message: headers, recipients, status, attempts, last error, attachments (names and sizes)."""
    from legalaid.mail.views import message_report

    rt = runtime()
    with rt.transaction() as session:
        report = message_report(
            session, outbox_id, mail_from=rt.settings.mail_from, sender_name=rt.settings.center_name
        )
    if report is None:
        raise UserError(f"no outbox message {outbox_id}")
    if as_json:
        print_json(report)
        return
    _print_message(report)


def _print_message(report: dict[str, Any]) -> None:
    lines = [f"outbox {report['id']}  {report['status']}  attempts {report['attempts']}  key {report['key']}"]
    lines += [f"{name}: {value}" for name, value in report["headers"].items()]
    for label, name in (("created", "created_at"), ("next attempt", "next_attempt_at"), ("sent", "sent_at")):
        if report[name]:
            lines.append(f"{label}: {report[name]}")
    if report["last_error"]:
        lines.append(f"last error: {report['last_error']}")
    for attachment in report["attachments"]:
        lines.append(
            f"attachment: {attachment['filename']} ({attachment['content_type']}, {attachment['size']} bytes)"
        )
    lines += ["", report["text"]]
    console.print("\n".join(lines), highlight=False, markup=False)


@app.command("retry")
def retry(
    outbox_id: int | None = typer.Argument(
        None, metavar="[ID]", min=1, max=MAX_ID, help="The outbox id to send again."
    ),
    dead: bool = typer.Option(False, "--dead", help="Every dead message."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be queued; change nothing."),
) -> None:
    """Queue a dead (or waiting) message again, due now, with a fresh retry horizon.

    A worker delivers it at once (a Redis broker) or at its next mail sweep (the embedded broker);
    ``legalaid mail flush`` sends it from here at once.
    """
    from legalaid.mail import DEAD, QUEUED, requeue
    from legalaid.mail.outbox import dead_ids
    from legalaid.mail.views import message_report

    if (outbox_id is None) == (not dead):
        raise UserError("name one message ID or --dead")
    rt = runtime()
    with rt.transaction() as session:
        if outbox_id is not None:
            report = message_report(
                session, outbox_id, mail_from=rt.settings.mail_from, sender_name=rt.settings.center_name
            )
            if report is None:
                raise UserError(f"no outbox message {outbox_id}")
            if report["status"] not in (DEAD, QUEUED):
                when = report["sent_at"] or report["lease_until"]
                raise UserError(f"outbox {outbox_id} is {report['status']} ({when}); nothing to retry")
        if dry_run:
            ids = [outbox_id] if outbox_id is not None else dead_ids(session)
            session.rollback()
        else:
            ids = requeue(session, ids=[outbox_id] if outbox_id is not None else [], dead=dead)
    from workers.handoff import hand_over_queued

    note = None if dry_run else hand_over_queued(rt, ids)
    verb = "would queue" if dry_run else "queued"
    console.print(f"{verb} {len(ids)} message(s) again: {', '.join(map(str, ids)) or '-'}", highlight=False)
    if note:
        console.print(note, markup=False, highlight=False)


@app.command("flush")
def flush_cmd(
    dry_run: bool = typer.Option(False, "--dry-run", help="List what is due; send nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Deliver every message due now, in this process, through the configured transport."""
    from legalaid.mail import Outcome, due_ids, flush, make_transport
    from legalaid.models.base import utcnow

    rt = runtime()
    if dry_run:
        with rt.transaction() as session:
            ids = due_ids(session, now=utcnow())
        if as_json:
            print_json({"due": ids})
        else:
            console.print(f"{len(ids)} message(s) due: {', '.join(map(str, ids)) or '-'}", highlight=False)
        return
    transport = make_transport(rt.settings)
    progress = count_bar("delivering", disable=as_json or not err_console.is_terminal)
    try:
        with progress:
            task = progress.add_task("mail", total=None)
            outcomes = flush(
                rt,
                transport=transport,
                on_start=lambda total: progress.update(task, total=total),
                on_each=lambda _id, _outcome: progress.advance(task),
            )
    finally:
        transport.close()
    summary = {outcome.value: outcomes.get(outcome, 0) for outcome in Outcome}
    if as_json:
        print_json(summary)
    else:
        console.print("  ".join(f"{name} {count}" for name, count in summary.items()), highlight=False)
    failed = outcomes.get(Outcome.RETRY, 0) + outcomes.get(Outcome.DEAD, 0)
    if failed:
        raise NotDelivered(f"{failed} message(s) not delivered: see `legalaid mail status`")
