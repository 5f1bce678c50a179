"""``GET /api/v1/reminders/due`` (what the daily scan would send on a day, sending nothing: ``legalaid
reminders run --dry-run``) and ``GET /api/v1/reminders/overdue`` (the open overdue items by the person who
must act: ``legalaid reminders overdue``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from legalaid.calendar import WorkCalendar
from legalaid.casework.notices import business_today
from legalaid.importing import FIRST_YEAR, LAST_YEAR
from legalaid.reminders import load_rules, run_reminders
from legalaid.reminders.overdue import overdue_by_person, overdue_items
from web.auth import Reader
from web.state import AppRuntime

router = APIRouter(tags=["reminders"])

AsOf = Annotated[
    date | None,
    Query(
        ge=date(FIRST_YEAR, 1, 1),
        le=date(LAST_YEAR, 12, 31),
        description="The business day, YYYY-MM-DD (default: today in the center)",
    ),
]


class DueLine(BaseModel):
    """One item for one person, as ``legalaid reminders run --dry-run --json`` prints it."""

    rule: str
    case_no: str
    recipient: str
    role: str
    level: str
    anchor: date
    deadline: date
    threshold: int
    catch_up: bool
    delivery: str  # would_queue, or undeliverable (with the reason)
    reason: str | None
    outbox_id: int | None  # always null: nothing is queued


class Due(BaseModel):
    as_of: date
    working_day: bool  # on a day off nothing is sent: what falls due goes into the next working day's
    next_working_day: date | None
    holiday_name: str | None
    lines: list[DueLine]
    problems: list[str]


class OverdueRow(BaseModel):
    rule: str
    case_no: str
    anchor: date
    deadline: date
    days_overdue: int


class OverdueGroup(BaseModel):
    role: str
    person: str | None  # null for a group (the center staff) or a case with no lawyer recorded
    name: str
    items: list[OverdueRow]


class Overdue(BaseModel):
    as_of: date
    groups: list[OverdueGroup]


@router.get("/reminders/due", response_model=Due, summary="What the reminder scan would send on a day")
def due(runtime: AppRuntime, _caller: Reader, as_of: AsOf = None) -> Due:
    """The reminder and escalation lines the daily scan would queue on ``as_of``; nothing is sent or
    recorded (a dry run, rolled back)."""
    day = as_of or business_today(runtime.settings)
    with runtime.transaction() as session:
        report = run_reminders(session, runtime.settings, as_of=day, dry_run=True)
        session.rollback()  # run_reminders wrote nothing; the rollback makes sure of it
    return Due(
        as_of=day,
        working_day=report.working_day,
        next_working_day=report.next_working_day,
        holiday_name=report.holiday_name,
        lines=[DueLine(**row) for row in report.rows],
        problems=report.problems,
    )


@router.get("/reminders/overdue", response_model=Overdue, summary="The open overdue items, by person")
def overdue(runtime: AppRuntime, _caller: Reader, as_of: AsOf = None) -> Overdue:
    """The open items past their deadline on ``as_of``, grouped by the person who must act (reminded
    already or not): the items the reports count as 逾期未办."""
    day = as_of or business_today(runtime.settings)
    calendar = WorkCalendar.from_settings(runtime.settings)
    with runtime.sessions() as session:
        items = overdue_items(session, load_rules(runtime.settings), calendar, on=day)
    groups = [OverdueGroup.model_validate(group) for group in overdue_by_person(items)]
    return Overdue(as_of=day, groups=groups)
