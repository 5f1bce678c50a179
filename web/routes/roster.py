"""``/api/v1/roster``: the arbitration desk's duties of a window, its checks and quality figures, and the
changes a coordinator makes by hand (a swap, leave), as ``legalaid roster`` makes them.

Reads are one ``load_window`` and the domain's own ``find_problems``/``measure``; a change is the domain's
``swap``/``add_leave`` in one transaction on the business date, its change notices handed to the broker
after the commit. Who asked: ``by`` (a person code, checked as ``--by`` is), else the token's name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from legalaid.casework.notices import business_today
from legalaid.importing import FIRST_YEAR, LAST_YEAR
from legalaid.roster import ChangeResult, Window, add_leave, find_problems, load_window, measure, swap
from legalaid.roster.ics import slot_hours
from legalaid.roster.mailing import Labels
from legalaid.runtime import Runtime
from web.auth import Caller, Reader, Writer
from web.state import AppRuntime
from workers.handoff import hand_over_queued

router = APIRouter(tags=["roster"])

# The dates a request gives are those an import takes: a window of year 1 would reach back before the
# first day a date can hold (its history), which is bad input, not a server error.
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
From = Annotated[date, Query(alias="from", ge=FIRST_DAY, le=LAST_DAY, description="First day, YYYY-MM-DD")]
To = Annotated[
    date,
    Query(
        alias="to",
        ge=FIRST_DAY,
        le=LAST_DAY,
        description="Last day, YYYY-MM-DD (at most a year after from)",
    ),
]
Day = date  # the type, for models that have a field named date
InDay = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]  # a date a request gives
LEAVE_REASON_MAX = 200  # the leave table's reason column


class Duty(BaseModel):
    date: Day
    weekday: str
    slot: str
    person: str
    name: str
    starts_at: datetime
    ends_at: datetime


class Position(BaseModel):
    """A slot of a desk day: who is on duty and how many people it still lacks."""

    date: Day
    slot: str
    people: list[str]
    missing: int


class Roster(BaseModel):
    start: Day = Field(serialization_alias="from")
    end: Day = Field(serialization_alias="to")
    desk_days: list[Day]
    duties: list[Duty]
    positions: list[Position]
    warnings: list[str]


class ProblemOut(BaseModel):
    kind: str
    date: Day | None
    slot: str | None
    person: str | None
    message: str
    over: list[str] | None = None
    under: list[str] | None = None
    missing: int | None = None


class Check(BaseModel):
    start: Day = Field(serialization_alias="from")
    end: Day = Field(serialization_alias="to")
    problems: list[ProblemOut]
    warnings: list[str]


class Over(BaseModel):
    person: str
    over: str  # "+31%"


class LoadOut(BaseModel):
    person: str
    duties: int
    share: float
    available_days: int


class QualityOut(BaseModel):
    start: Day = Field(serialization_alias="from")
    end: Day = Field(serialization_alias="to")
    coverage: float
    required: int
    filled: int
    balance: float
    best_balance: float
    over: list[Over]
    score: int
    loads: list[LoadOut]
    warnings: list[str]


_BY = "Who asked (a person code); default: the token"


# The change bodies name each field's argument of legalaid.roster (``swap``, ``add_leave``) by its
# serialization alias: ``_change`` hands ``model_dump(by_alias=True)`` over as it is.
class SwapIn(BaseModel):
    date: InDay = Field(serialization_alias="on")
    slot: str = Field(max_length=8, description="day, am or pm (roster_slots)")
    from_person: str = Field(
        min_length=1, max_length=32, description="Who gives the duty (code)", serialization_alias="from_code"
    )
    to_person: str = Field(
        min_length=1, max_length=32, description="Who takes it (code)", serialization_alias="to_code"
    )
    by: str | None = Field(None, max_length=32, description=_BY, serialization_alias="requested_by")
    reason: str | None = Field(None, max_length=2000)
    as_of: InDay | None = Field(None, description="The business date (default: today)")
    dry_run: bool = False


class LeaveIn(BaseModel):
    person: str = Field(
        min_length=1, max_length=32, description="Who is away (code)", serialization_alias="person_code"
    )
    start: InDay
    end: InDay
    reason: str | None = Field(None, max_length=LEAVE_REASON_MAX, description="事由")
    by: str | None = Field(None, max_length=32, description=_BY, serialization_alias="requested_by")
    as_of: InDay | None = Field(None, description="The business date (default: today)")
    dry_run: bool = False


class ShiftOut(BaseModel):
    date: Day
    slot: str
    person: str


class Notice(BaseModel):
    kind: str
    key: str
    person: str
    to: str
    subject: str
    outbox_id: int | None = None


class Change(BaseModel):
    request: int | None  # the roster request recorded; null in a dry run
    removed: list[ShiftOut]
    added: list[ShiftOut]
    notices: list[Notice]
    outbox_ids: list[int]
    warnings: list[str]
    dry_run: bool
    note: str | None  # how the notices get delivered when no broker took them at once


def _window(runtime: Runtime, start: date, end: date) -> Window:
    with runtime.sessions() as session:
        return load_window(session, runtime.settings, start=start, end=end)


@router.get("/roster", response_model=Roster, summary="The desk's duties from one day to another")
def show_roster(start: From, end: To, runtime: AppRuntime, _caller: Reader) -> Roster:
    """Every duty of the window with its hours (in the center's zone), and each desk day's slots with who
    is on duty and how many are missing: what the week-ahead roster shows."""
    settings = runtime.settings
    window = _window(runtime, start, end)
    labels = Labels(settings)
    names = {code: person.name for code, person in window.people.items()}

    def hours(on: date, slot: str) -> tuple[datetime, datetime]:
        first, last = slot_hours(settings, slot)
        return datetime.combine(on, first, settings.tz), datetime.combine(on, last, settings.tz)

    duties = [
        Duty(
            date=s.on,
            weekday=labels.weekday(s.on),
            slot=s.slot,
            person=s.person,
            name=names.get(s.person, ""),
            starts_at=hours(s.on, s.slot)[0],
            ends_at=hours(s.on, s.slot)[1],
        )
        for s in window.shifts
    ]
    positions = []
    for day in window.desk_days:
        for slot in window.desk.slots:
            people = [s.person for s in window.shifts if s.on == day and s.slot == slot]
            missing = max(window.desk.per_slot - len(people), 0)
            positions.append(Position(date=day, slot=slot, people=people, missing=missing))
    return Roster(
        start=start,
        end=end,
        desk_days=window.desk_days,
        duties=duties,
        positions=positions,
        warnings=window.warnings,
    )


@router.get("/roster/check", response_model=Check, summary="What `legalaid roster check` finds")
def check_roster(start: From, end: To, runtime: AppRuntime, _caller: Reader) -> Check:
    """Gaps, double bookings, leave, inactive people, closed days, runs and imbalance (200 whether or
    not it finds any: the list says)."""
    window = _window(runtime, start, end)
    problems = [ProblemOut.model_validate(p.as_dict()) for p in find_problems(window.view())]
    return Check(start=start, end=end, problems=problems, warnings=window.warnings)


@router.get("/roster/quality", response_model=QualityOut, summary="What `legalaid roster quality` measures")
def roster_quality(start: From, end: To, runtime: AppRuntime, _caller: Reader) -> QualityOut:
    """Coverage, balance (and the best whole duties allow), who is over their fair share, one score."""
    window = _window(runtime, start, end)
    figures = measure(window.view()).as_dict()
    return QualityOut.model_validate({"start": start, "end": end, **figures, "warnings": window.warnings})


@router.post("/roster/swaps", response_model=Change, summary="Give a duty to someone else (调班)")
def post_swap(body: SwapIn, runtime: AppRuntime, caller: Writer) -> Change:
    """`legalaid roster swap`: the taker must be free, in the pool and not on leave; both are told at
    once (after the commit). Recorded as asked by ``by``, else by the token's name."""
    return _change(runtime, caller, swap, body)


@router.post("/roster/leave", response_model=Change, summary="Record leave (请假)")
def post_leave(body: LeaveIn, runtime: AppRuntime, caller: Writer) -> Change:
    """`legalaid roster leave add`: the person's duties from the business date on within the leave go to
    others, fairly; everyone whose duty moved is told. Recorded as asked by ``by``, else the token."""
    return _change(runtime, caller, add_leave, body)


def _change(
    runtime: Runtime, caller: Caller, change: Callable[..., ChangeResult], body: SwapIn | LeaveIn
) -> Change:
    """``change`` with the body's fields under their aliases (the domain's names), on its business date."""
    settings = runtime.settings
    today = body.as_of or business_today(settings)
    dry_run = body.dry_run
    arguments = body.model_dump(by_alias=True, exclude={"as_of", "dry_run"})
    with runtime.transaction() as session:
        result = change(
            session, settings, today=today, dry_run=dry_run, default_requester=caller.name, **arguments
        )
    note = None if dry_run else hand_over_queued(runtime, result.outbox_ids)
    return Change.model_validate(
        {**result.as_dict(), "outbox_ids": result.outbox_ids, "dry_run": dry_run, "note": note}
    )
