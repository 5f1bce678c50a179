"""``/cases``: find a case by number or person; a case's page with its steps, deadlines, documents, the
reminders it produced and to whom, and the form that assigns or reassigns it.

Every query is indexed and bounded: a case number exactly (unique index) or as a prefix (an index
range), a person by code (unique index) or name among the directory, then that person's cases
(``ix_cases_lawyer_id``), at most ``LIMIT``. The assignment is ``assign_and_notify`` with the user's
code as who made it, then the mail hand-off after the commit (``web.handoff``), as the API's assignment
does.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import literal, or_, select, union_all
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.casework import assign_and_notify
from legalaid.casework.notices import business_today
from legalaid.errors import UserError
from legalaid.models import (
    CASE_DATE_FIELDS,
    Case,
    CaseEvent,
    GeneratedDocument,
    Person,
    ReminderDelivery,
    ReminderSent,
)
from legalaid.paths import StagedFiles
from legalaid.reminders.rules import load_rules
from legalaid.reminders.scan import BRANCHES
from legalaid.runtime import Runtime
from web.console.pages import ConsoleError, CsrfChecked, CurrentViewer, NavItem, render
from web.state import AppRuntime
from workers.handoff import hand_over_queued

router = APIRouter()
NAV = NavItem("/cases", "nav_cases", order=20)
LIMIT = 50
# The model's dated steps in their order, with the limitation date (a deadline, not a step) shown last.
STEPS = (*(step for step in CASE_DATE_FIELDS if step != "limitation_on"), "limitation_on")


@router.get("/cases")
def cases_page(
    request: Request, runtime: AppRuntime, _viewer: CurrentViewer, q: Annotated[str, Query()] = ""
) -> Response:
    query = q.strip()[:100]
    found: list[dict[str, Any]] = []
    if query:
        with runtime.sessions() as session:
            exact = session.scalar(select(Case.case_no).where(Case.case_no == query))
            if exact is not None:
                return RedirectResponse(_case_url(request, exact), status_code=303)
            found = _search(session, query)
    return render(request, "cases.html", q=query, found=found[:LIMIT], limited=len(found) > LIMIT)


def _search(session: Session, query: str) -> list[dict[str, Any]]:
    """Cases whose number starts with ``query``, then the cases of the people it names (code or name),
    newest application first; ``LIMIT + 1`` at most, so that the page can say there are more."""
    by_number = (
        select(Case.id)
        # A prefix as an index range: LIKE would not use the index under a non-C collation.
        .where(Case.case_no >= query, Case.case_no < query + "\U0010ffff")
        .order_by(Case.case_no)
        .limit(LIMIT + 1)
    )
    people = select(Person.id).where(or_(Person.code == query, Person.name == query)).limit(LIMIT)
    by_person = (
        select(Case.id).where(Case.lawyer_id.in_(people)).order_by(Case.applied_on.desc()).limit(LIMIT + 1)
    )
    ids = list(
        dict.fromkeys(
            [*session.scalars(by_number), *session.scalars(by_person)],
        )
    )[: LIMIT + 1]
    rows = list(
        session.execute(
            select(Case, Person.code, Person.name)
            .outerjoin(Person, Person.id == Case.lawyer_id)
            .where(Case.id.in_(ids))
        )
    )
    order = {case_id: index for index, case_id in enumerate(ids)}
    rows.sort(key=lambda row: order[row[0].id])
    return [_summary(case, code, name) for case, code, name in rows]


def _summary(case: Case, code: str | None, name: str | None) -> dict[str, Any]:
    return {
        "case_no": case.case_no,
        "applicant": case.applicant,
        "type": case.case_type.value,
        "applied_on": case.applied_on,
        "lawyer_code": code,
        "lawyer_name": name,
    }


def _case_url(request: Request, case_no: str) -> str:
    return str(request.url_for("case_page").include_query_params(no=case_no).replace(scheme="", netloc=""))


@router.get("/case", name="case_page")
def case_page(
    request: Request, runtime: AppRuntime, _viewer: CurrentViewer, no: Annotated[str, Query()] = ""
) -> HTMLResponse:
    return _case_response(request, runtime, no)


def _case_response(
    request: Request,
    runtime: Runtime,
    case_no: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    done: bool = False,
    note: str | None = None,
) -> HTMLResponse:
    settings = runtime.settings
    today = business_today(settings)
    with runtime.sessions() as session:
        case = session.scalar(select(Case).where(Case.case_no == case_no))
        if case is None:
            raise ConsoleError(404, "not_found")
        lawyer = session.get(Person, case.lawyer_id) if case.lawyer_id is not None else None
        context = {
            "case": _summary(case, lawyer.code if lawyer else None, lawyer.name if lawyer else None),
            "steps": [(step, getattr(case, step)) for step in STEPS],
            "deadlines": _deadlines(session, runtime, case.id),
            "documents": _documents(session, case.id),
            "reminders": _reminders(session, runtime, case.id),
            "history": _history(session, case.id),
        }
    return render(
        request,
        "case.html",
        status_code=status_code,
        error=error,
        done=done,
        note=note,
        today=today,
        **context,
    )


def _deadlines(session: Session, runtime: Runtime, case_id: int) -> list[dict[str, Any]]:
    """The reminder rules that hold the case open now, each with its anchor and deadline: one UNION ALL
    of the scan's own branches (``legalaid.reminders.scan.BRANCHES``) on this case's primary key."""
    rules = load_rules(runtime.settings)
    calendar = WorkCalendar.from_settings(runtime.settings)
    selects = [
        select(literal(rule_id).label("rule"), branch.anchor.label("anchor")).where(
            Case.id == case_id, branch.anchor.is_not(None), *branch.conditions
        )
        for rule_id, branches in BRANCHES.items()
        if rule_id in rules and rules[rule_id].enabled
        for branch in branches
    ]
    if not selects:
        return []
    locale = runtime.settings.locale
    rows = []
    for rule_id, anchor in session.execute(union_all(*selects)):
        assert anchor is not None  # the branch holds it
        rule = rules[rule_id]
        rows.append(
            {"title": rule.title(locale), "anchor": anchor, "deadline": rule.deadline(anchor, calendar)}
        )
    return sorted(rows, key=lambda row: row["deadline"])


def _documents(session: Session, case_id: int) -> list[dict[str, Any]]:
    statement = (
        select(GeneratedDocument)
        .where(GeneratedDocument.case_id == case_id)
        .order_by(GeneratedDocument.created_at.desc())
        .limit(LIMIT)
    )
    return [
        {"id": doc.id, "name": Path(doc.path).name, "kind": doc.kind, "size": doc.size}
        for doc in session.scalars(statement)
    ]


def _reminders(session: Session, runtime: Runtime, case_id: int) -> list[dict[str, Any]]:
    rules = load_rules(runtime.settings)
    locale = runtime.settings.locale
    statement = (
        select(ReminderSent, ReminderDelivery)
        .outerjoin(ReminderDelivery, ReminderDelivery.sent_id == ReminderSent.id)
        .where(ReminderSent.case_id == case_id)
        .order_by(ReminderSent.as_of.desc(), ReminderSent.rule)
        .limit(LIMIT)
    )
    return [
        {
            "as_of": sent.as_of,
            "title": rules[sent.rule].title(locale) if sent.rule in rules else sent.rule,
            "level": sent.level,
            "status": sent.status,
            "deadline": sent.deadline,
            "recipient": delivery.recipient if delivery else "",
            "delivery": delivery.status if delivery else "",
            "reason": delivery.reason if delivery else None,
        }
        for sent, delivery in session.execute(statement)
    ]


def _history(session: Session, case_id: int) -> list[dict[str, Any]]:
    statement = (
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id)
        .order_by(CaseEvent.on.desc(), CaseEvent.id.desc())
        .limit(LIMIT)
    )
    return [{"kind": e.kind, "on": e.on, "detail": e.detail} for e in session.scalars(statement)]


@router.post("/case/assign")
def assign(
    request: Request,
    runtime: AppRuntime,
    viewer: CsrfChecked,
    case_no: Annotated[str, Form()] = "",
    person: Annotated[str, Form()] = "",
    on: Annotated[str, Form()] = "",
) -> Response:
    """Assign (or reassign) the case and queue its notices; the case event records the user."""
    today = business_today(runtime.settings)
    try:
        assigned_on = date.fromisoformat(on) if on.strip() else today
    except ValueError:
        return _case_response(
            request, runtime, case_no, status_code=422, error=f"{on!r}: not a date (YYYY-MM-DD)"
        )
    try:
        # The 指派通知书 is staged in the transaction and written once it has committed.
        with StagedFiles() as staged, runtime.transaction() as session:
            assignment = assign_and_notify(
                session, runtime.settings, case_no=case_no, lawyer_code=person.strip(), on=assigned_on,
                today=today, staged=staged, by=viewer.by,
            )  # fmt: skip
    except UserError as exc:
        return _case_response(request, runtime, case_no, status_code=422, error=str(exc))
    note = hand_over_queued(runtime, assignment.notices.queued)
    return _case_response(request, runtime, case_no, done=True, note=note)


@router.get("/documents/{document_id}")
def download(runtime: AppRuntime, _viewer: CurrentViewer, document_id: int) -> Response:
    """A case's document as it was written (the documents folder's file)."""
    with runtime.sessions() as session:
        doc = session.get(GeneratedDocument, document_id)
        path = Path(doc.path) if doc is not None else None
    if path is None or not path.is_file():
        raise ConsoleError(404, "not_found")
    return FileResponse(path, filename=path.name)
