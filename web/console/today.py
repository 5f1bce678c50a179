"""``/`` (Today): what today's reminder scan sends and what it sent, the overdue items by person, the
desk duties of the coming week, and the mail and jobs that failed, each with a link to the page that acts.

The scan's part is ``run_reminders`` as a dry run for today (what ``GET /api/v1/reminders/due`` and
``legalaid reminders run --dry-run`` show): nothing is written. Every list is bounded (``SHOWN``); a longer
one says how many more there are, but for the due items, which says only that there are more (the scan's
query stops after SHOWN + 1: counting them all would read the whole due set).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.casework.notices import business_today
from legalaid.jobs import unfinished
from legalaid.jobs.ticks import DEAD, FAILED
from legalaid.mail.outbox import DEAD as MAIL_DEAD
from legalaid.mail.outbox import QUEUED
from legalaid.models import Case, DutyShift, OutboxMessage, Person, ReminderDelivery, ReminderSent
from legalaid.models.reminders import SENT
from legalaid.reminders.overdue import overdue_counts
from legalaid.reminders.rules import Rule, load_rules
from legalaid.reminders.run import run_reminders
from web.console.pages import CurrentViewer, NavItem, render
from web.state import AppRuntime

router = APIRouter()
NAV = NavItem("/", "nav_today", order=10)
SHOWN = 100
WEEK = 7


@router.get("/")
def today_page(
    request: Request, runtime: AppRuntime, _viewer: CurrentViewer, on: Annotated[date | None, Query()] = None
) -> HTMLResponse:
    """Today, or the day ``?on=YYYY-MM-DD`` (any day can be looked at again, as every job can be replayed)."""
    settings = runtime.settings
    today = on or business_today(settings)
    calendar = WorkCalendar.from_settings(settings)
    rules = load_rules(settings)
    locale = settings.locale
    with runtime.sessions() as session:
        # The first SHOWN due items and whether there are more (at a province's scale a whole dry run
        # renders thousands of digests, and counting them all reads the whole due set); the overdue
        # items counted per person in SQL through the open cases' indexes, the SHOWN with most.
        scan = run_reminders(
            session, settings, as_of=today, dry_run=True, calendar=calendar, rules=rules, limit=SHOWN
        )
        due = [
            {**line.as_dict(), "title": _title(rules, line.item.rule, locale)} for line in scan.lines[:SHOWN]
        ]
        shown_items = len({line.item.key for line in scan.lines[:SHOWN]})
        overdue, overdue_people = overdue_counts(session, rules, calendar, on=today, limit=SHOWN)
        context: dict[str, Any] = {
            "today": today,
            "working_day": scan.working_day,
            "due": due,
            "due_shown": shown_items,
            "due_more": scan.due_more or len(scan.lines) > SHOWN,
            "sent": _sent(session, rules, today, locale),
            "overdue": [row._asdict() for row in overdue],
            "overdue_more": overdue_people - len(overdue),
            "duties": _duties(session, today),
            "mail": _mail_problems(session, settings.tz),
            "jobs": [
                {"job": run.job, "status": run.status, "error": (run.error or "").splitlines()[:1]}
                for run in unfinished(session)
                if run.status in (DEAD, FAILED)
            ][:SHOWN],
        }
    return render(request, "today.html", **context)


def _title(rules: dict[str, Rule], rule_id: str, locale: str) -> str:
    rule = rules.get(rule_id)
    return rule.title(locale) if rule else rule_id


def _sent(session: Session, rules: dict[str, Rule], today: Any, locale: str) -> list[dict[str, Any]]:
    """Today's ledger (``ix_reminders_sent_as_of``): each item sent and to whom."""
    statement = (
        select(ReminderSent.rule, ReminderSent.level, ReminderSent.deadline, Case.case_no, ReminderDelivery)
        .join(Case, Case.id == ReminderSent.case_id)
        .outerjoin(ReminderDelivery, ReminderDelivery.sent_id == ReminderSent.id)
        .where(ReminderSent.as_of == today, ReminderSent.status == SENT)
        .order_by(Case.case_no, ReminderSent.rule)
        .limit(SHOWN)
    )
    return [
        {
            "case_no": case_no,
            "title": _title(rules, rule, locale),
            "level": level,
            "deadline": deadline,
            "recipient": delivery.recipient if delivery else "",
            "status": delivery.status if delivery else "",
        }
        for rule, level, deadline, case_no, delivery in session.execute(statement)
    ]


def _duties(session: Session, today: Any) -> list[dict[str, Any]]:
    statement = (
        select(DutyShift.on, DutyShift.slot, Person.code, Person.name)
        .join(Person, Person.id == DutyShift.person_id)
        .where(DutyShift.on >= today, DutyShift.on < today + timedelta(days=WEEK))
        .order_by(DutyShift.on, DutyShift.slot, Person.code)
        .limit(SHOWN)
    )
    return [
        {"on": on, "slot": getattr(slot, "value", slot), "code": code, "name": name}
        for on, slot, code, name in session.execute(statement)
    ]


def _mail_problems(session: Session, tz: Any) -> list[dict[str, Any]]:
    """Dead messages, and queued ones that failed at least once (``ix_outbox_status_next_attempt_at``)."""
    rows = []
    for status, extra in ((MAIL_DEAD, None), (QUEUED, OutboxMessage.last_error.is_not(None))):
        statement = select(OutboxMessage).where(OutboxMessage.status == status)
        if extra is not None:
            statement = statement.where(extra)
        statement = statement.order_by(OutboxMessage.next_attempt_at.desc()).limit(SHOWN)
        rows += [
            {
                "id": message.id,
                "status": message.status,
                "subject": message.subject,
                "error": (message.last_error or "").splitlines()[:1],
                "when": message.updated_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            }
            for message in session.scalars(statement)
        ]
    return rows[:SHOWN]
