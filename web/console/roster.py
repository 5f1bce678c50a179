"""``/roster``: the desk's month as a calendar, its check and quality figures, the swap and leave forms,
the swaps lawyers asked for from their notices, and the month's 值班安排表 to download.

Everything is the domain's, as ``legalaid roster`` and the API use it: one ``load_window`` for the month,
``find_problems`` and ``measure`` on it; a change is ``swap``/``add_leave`` (the command line's
validation, its refusal shown in one line at the form), a pending request ``approve_swap_request`` or
``refuse_swap_request``; each in one transaction on the business date, recorded as asked by the
signed-in user, its notices handed to the broker after the commit (``hand_over_queued``). The
值班安排表 is ``month_sheet``/``write_sheet`` (``legalaid roster document``), made on request in a
temporary folder and sent; nothing is kept.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.casework.notices import business_today
from legalaid.errors import UserError
from legalaid.models import Firm, Person, utcnow
from legalaid.roster import ChangeResult, add_leave, find_problems, load_window, measure, swap
from legalaid.roster.document import DOCX_MEDIA_TYPE, month_sheet, parse_month, write_sheet
from legalaid.roster.mailing import Labels
from legalaid.roster.requests import approve_swap_request, pending_swap_requests, refuse_swap_request
from legalaid.runtime import Runtime
from web.console.pages import ConsoleError, CsrfChecked, CurrentViewer, NavItem, render
from web.state import AppRuntime
from workers.handoff import hand_over_queued

router = APIRouter()
NAV = NavItem("/roster", "nav_roster", order=50)
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"docx": DOCX_MEDIA_TYPE, "xlsx": XLSX_MEDIA_TYPE}
REASON_MAX = 200  # the leave table's reason column; a swap's reason is kept as long, for one form


@dataclass(frozen=True)
class Outcome:
    """What a POST did, for the page it answers with: which form (``swap``, ``leave``, ``request``), the
    refusal's one line or the notices queued and the warnings."""

    form: str
    error: str | None = None
    queued: int = 0
    warnings: tuple[str, ...] = ()
    note: str | None = None


@router.get("/roster")
def roster_page(
    request: Request, runtime: AppRuntime, _viewer: CurrentViewer, month: Annotated[str, Query()] = ""
) -> HTMLResponse:
    """The month ``?month=YYYY-MM`` (default: the business date's month)."""
    try:
        first = parse_month(month) if month.strip() else business_today(runtime.settings).replace(day=1)
    except UserError:
        first = business_today(runtime.settings).replace(day=1)
    return _page(request, runtime, first)


def _page(
    request: Request, runtime: Runtime, first: date, outcome: Outcome | None = None, *, status_code: int = 200
) -> HTMLResponse:
    settings = runtime.settings
    calendar = WorkCalendar.from_settings(settings)
    last = _next_month(first) - timedelta(days=1)
    labels = Labels(settings)
    with runtime.sessions() as session:
        window = load_window(session, settings, start=first, end=last, calendar=calendar)
        view = window.view()
        problems = [p.message for p in find_problems(view)]
        quality = measure(view).as_dict()
        people = _people(session, {s.person for s in window.shifts})
        pending = [
            {
                "id": r.id,
                "on": r.on,
                "slot": labels.slot(r.slot),
                "from": people.get_person(session, r.from_person_id),
                "to": people.get_person(session, r.to_person_id),
                "reason": r.reason or "",
            }
            for r in pending_swap_requests(session)
        ]
    desk_days = set(window.desk_days)
    duties: dict[date, list[dict[str, str]]] = {}
    for shift in sorted(window.shifts, key=lambda s: s.sort_key):
        name, firm = people.by_code.get(shift.person, (shift.person, ""))
        duties.setdefault(shift.on, []).append(
            {"slot": labels.slot(shift.slot), "code": shift.person, "name": name, "firm": firm}
        )
    weeks = []
    monday = first - timedelta(days=first.weekday())
    start = monday
    while start <= last:
        week = []
        for offset in range(7):
            day = start + timedelta(days=offset)
            info = calendar.day(day)
            week.append(
                {
                    "on": day,
                    "in_month": day.month == first.month,
                    "working": info.working,
                    "desk": day in desk_days,
                    "adjusted": info.adjusted,  # a 调休 Saturday or Sunday
                    "holiday": info.holiday_name or "",
                    "duties": duties.get(day, []) if day.month == first.month else [],
                }
            )
        weeks.append(week)
        start += timedelta(days=7)
    return render(
        request,
        "roster.html",
        status_code=status_code,
        month=first,
        previous=(first - timedelta(days=1)).replace(day=1),
        following=_next_month(first),
        weekdays=[labels.weekday(monday + timedelta(days=n)) for n in range(7)],
        weeks=weeks,
        problems=problems,
        quality=quality,
        warnings=window.warnings,
        pending=pending,
        slots=[(slot, labels.slot(slot)) for slot in settings.roster_slots],
        today=business_today(settings),
        outcome=outcome,
    )


def _next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


@dataclass
class _People:
    """Names and firms of the people the month names, read once; a request's people by id on demand."""

    by_code: dict[str, tuple[str, str]]
    by_id: dict[int, str]

    def get_person(self, session: Session, person_id: int) -> str:
        if person_id not in self.by_id:
            person = session.get(Person, person_id)
            self.by_id[person_id] = f"{person.name} ({person.code})" if person else str(person_id)
        return self.by_id[person_id]


def _people(session: Session, codes: set[str]) -> _People:
    rows = session.execute(
        select(Person.code, Person.name, Firm.name)
        .outerjoin(Firm, Firm.id == Person.firm_id)
        .where(Person.code.in_(codes))
    )
    return _People({code: (name, firm or "") for code, name, firm in rows}, {})


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{field}: {value!r} is not a date (YYYY-MM-DD)") from None


# A roster change of legalaid.roster (``swap``, ``add_leave``, ``approve_swap_request``) and its arguments.
_Change = Callable[..., ChangeResult]
_Arguments = Callable[[], dict[str, Any]]


def _change(
    request: Request, runtime: Runtime, form: str, month_value: str, change: _Change, arguments: _Arguments
) -> HTMLResponse:
    """Run ``change(session, settings, today=<business date>, **arguments())`` in one transaction; the
    page of ``month_value``'s month (else today's) with its refusal (422) or what it did. ``arguments`` is
    read inside, so that a form field that is not a date is refused like the change itself."""
    settings = runtime.settings
    today = business_today(settings)
    month = _month_of(month_value, today)
    try:
        with runtime.transaction() as session:
            result = change(session, settings, today=today, **arguments())
    except UserError as refused:
        return _page(request, runtime, month, Outcome(form, error=str(refused)), status_code=422)
    note = hand_over_queued(runtime, result.outbox_ids)
    outcome = Outcome(form, queued=len(result.outbox_ids), warnings=tuple(result.warnings), note=note)
    return _page(request, runtime, month, outcome)


def _month_of(value: str, fallback: date) -> date:
    try:
        return date.fromisoformat(value.strip()).replace(day=1)
    except ValueError:
        return fallback.replace(day=1)


class _ChangeForm(BaseModel):
    """A change form's fields (FastAPI reads them from the posted form; others, the CSRF token, are
    ignored); each is text as typed, an empty field an empty string, checked by the change."""

    reason: str = Field("", max_length=REASON_MAX)


class SwapForm(_ChangeForm):
    on: str = ""
    slot: str = ""
    from_person: str = ""
    to_person: str = ""


class LeaveForm(_ChangeForm):
    person: str = ""
    start: str = ""
    end: str = ""


@router.post("/roster/swap")
def post_swap(
    request: Request, runtime: AppRuntime, viewer: CsrfChecked, form: Annotated[SwapForm, Form()]
) -> HTMLResponse:
    """``legalaid roster swap DATE SLOT FROM_PERSON TO_PERSON --by <user>``."""
    return _change(request, runtime, "swap", form.on, swap, lambda: {
        "on": _day(form.on, "DATE"), "slot": form.slot, "from_code": form.from_person.strip(),
        "to_code": form.to_person.strip(), "requested_by": viewer.code, "reason": form.reason.strip() or None,
    })  # fmt: skip


@router.post("/roster/leave")
def post_leave(
    request: Request, runtime: AppRuntime, viewer: CsrfChecked, form: Annotated[LeaveForm, Form()]
) -> HTMLResponse:
    """``legalaid roster leave add PERSON START END --by <user>``."""
    return _change(request, runtime, "leave", form.start, add_leave, lambda: {
        "person_code": form.person.strip(), "start": _day(form.start, "START"), "end": _day(form.end, "END"),
        "reason": form.reason.strip() or None, "requested_by": viewer.code,
    })  # fmt: skip


# The hidden field of a request's buttons: a day (the duty's) of the month the page shows after the decision.
ShownMonth = Annotated[str, Form()]


@router.post("/roster/requests/{request_id}/approve")
def approve(
    request: Request, runtime: AppRuntime, viewer: CsrfChecked, request_id: int, month: ShownMonth = ""
) -> HTMLResponse:
    """A lawyer's pending swap made, as ``roster swap`` makes it, approved by the user."""
    return _change(
        request, runtime, "request", month, approve_swap_request,
        lambda: {"request_id": request_id, "approved_by": viewer.code, "now": utcnow()},
    )  # fmt: skip


@router.post("/roster/requests/{request_id}/refuse")
def refuse(
    request: Request, runtime: AppRuntime, viewer: CsrfChecked, request_id: int, month: ShownMonth = ""
) -> HTMLResponse:
    """A lawyer's pending swap closed without a change."""
    first = _month_of(month, business_today(runtime.settings))
    try:
        with runtime.transaction() as session:
            refuse_swap_request(session, request_id=request_id, refused_by=viewer.code, now=utcnow())
    except UserError as refused:
        return _page(request, runtime, first, Outcome("request", error=str(refused)), status_code=422)
    return _page(request, runtime, first, Outcome("request"))


@router.get("/roster/document/{month}.{suffix}")
def document(runtime: AppRuntime, _viewer: CurrentViewer, month: str, suffix: str) -> Response:
    """The month's 值班安排表 (.docx or .xlsx), made now and signed with the business date."""
    settings = runtime.settings
    try:
        first = parse_month(month)
    except UserError:
        raise ConsoleError(404, "not_found") from None
    if suffix not in MEDIA_TYPES:
        raise ConsoleError(404, "not_found")
    with runtime.sessions() as session:
        sheet = month_sheet(session, settings, month=first, made_on=business_today(settings))
    with tempfile.TemporaryDirectory(prefix="legalaid-roster-") as folder:
        path = next(p for p in write_sheet(sheet, settings, Path(folder)) if p.suffix == f".{suffix}")
        content, name = path.read_bytes(), path.name
    ascii_name = f"duty-roster-{first:%Y-%m}.{suffix}"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=MEDIA_TYPES[suffix], headers={"Content-Disposition": disposition})
