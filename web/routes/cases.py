"""``PUT /api/v1/cases/{case_no}`` (one case, as a one-row cases import) and ``POST
/api/v1/cases/{case_no}/assignment`` (what ``legalaid case assign`` does, by the token's name).

Both are the command line's own sequences: ``import_rows_with_notices`` on the one row (the same checks
as a file's row, all or nothing, the notices of an assignment or a decision it records), and
``assign_and_notify``; the queued mail goes to the broker once committed.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.casework import assign_and_notify, import_rows_with_notices
from legalaid.casework.notices import business_today
from legalaid.importing import FIRST_YEAR, LAST_YEAR
from legalaid.models import CASE_DATE_FIELDS, Case, Person
from legalaid.paths import StagedFiles
from legalaid.runtime import Runtime
from web.auth import Writer
from web.problems import ApiProblem, responses
from web.routes.imports import NoticesOut, given_fields, rows_model
from web.state import AppRuntime, local_time
from workers.handoff import hand_over_queued

router = APIRouter(tags=["cases"])

CaseNo = Annotated[
    str, Path(min_length=1, max_length=64, description="The case number", examples=["2012民援第001号"])
]
CaseFields = rows_model("cases", "CaseFields", leave_out=("case_no",))
# A date as every date option takes it: the years an import takes.
Day = Annotated[date, Field(ge=date(FIRST_YEAR, 1, 1), le=date(LAST_YEAR, 12, 31))]


class CaseOut(BaseModel):
    """A case as the cases import's columns name its fields (``lawyer``: the person code)."""

    case_no: str
    case_type: str
    matter: str | None
    applicant: str
    applicant_groups: list[str]
    intake: str | None
    applied_on: date
    limitation_on: date | None
    decided_on: date | None
    decision: str | None
    decision_reason: str | None
    assigned_on: date | None
    lawyer: str | None
    first_contact_on: date | None
    last_progress_on: date | None
    next_hearing_on: date | None
    ended_on: date | None
    closure_submitted_on: date | None
    return_visit_on: date | None
    created_at: datetime
    updated_at: datetime
    notices: NoticesOut


class AssignmentIn(BaseModel):
    person: str = Field(min_length=1, max_length=32, description="The lawyer's person code")
    on: Day | None = Field(None, description="The assignment date (default: today, in the center)")


class AssignmentOut(BaseModel):
    case_no: str
    old_lawyer: str | None
    new_lawyer: str
    assigned_on: date
    by: str  # as the case's events record it: ``by token NAME``
    notices: int
    outbox_ids: list[int]
    problems: list[str]  # notices that could not be sent (a lawyer without an email address)
    note: str | None  # when the mail waits for the worker's sweep instead of going to the broker now


@router.put(
    "/cases/{case_no}",
    response_model=CaseOut,
    summary="Create or update one case, as a one-row cases import",
    responses={201: {"description": "Created", "model": CaseOut}},
)
def put_case(
    runtime: AppRuntime,
    caller: Writer,
    case_no: CaseNo,
    fields: Annotated[CaseFields, Body()],  # type: ignore[valid-type]
    response: Response,
) -> CaseOut:
    """The case's fields by the cases import's English column names (``case_no`` from the path; dates
    ``YYYY-MM-DD``; ``applicant_groups`` a list). The same checks as a row of a file: a field left out is
    left alone, ``null`` clears it. 201 when the case is new, 200 when it was updated (or unchanged)."""
    row: dict[str, Any] = {"case_no": case_no, **given_fields(fields)}
    done = import_rows_with_notices(runtime, "cases", [row], source=f"case {case_no}")
    if done.result.inserted:
        response.status_code = 201
    note = hand_over_queued(runtime, done.outbox_ids)
    notices = NoticesOut(outbox_ids=done.outbox_ids, problems=done.problems, note=note)
    with runtime.sessions() as session:
        return case_out(session, runtime, case_no, notices)


@router.post(
    "/cases/{case_no}/assignment",
    response_model=AssignmentOut,
    status_code=201,
    summary="Assign a case to a lawyer, with its notices",
    responses=responses(404),
)
def assign(runtime: AppRuntime, caller: Writer, case_no: CaseNo, body: AssignmentIn) -> AssignmentOut:
    """What ``legalaid case assign CASE_NO PERSON --on DATE`` does: the lawyer gets the 指派通知书 by email,
    a previous lawyer is told; the case's events record ``by token NAME``. Refusals are the command's."""
    today = business_today(runtime.settings)
    by = f"by token {caller.name}"
    with StagedFiles() as staged, runtime.transaction() as session:
        if session.scalar(select(Case.id).where(Case.case_no == case_no)) is None:
            raise ApiProblem(404, f"case {case_no}: no such case")
        assignment = assign_and_notify(
            session, runtime.settings, case_no=case_no, lawyer_code=body.person, on=body.on or today,
            today=today, staged=staged, by=by,
        )  # fmt: skip
    report = assignment.notices
    # The change's fields (case, old and new lawyer, date) as the domain names them; an assignment has a
    # new lawyer and a date, which the model checks.
    return AssignmentOut(
        **asdict(assignment.change), by=by, notices=report.notices, outbox_ids=report.queued,
        problems=report.problems, note=hand_over_queued(runtime, report.queued),
    )  # fmt: skip


def case_out(session: Session, runtime: Runtime, case_no: str, notices: NoticesOut) -> CaseOut:
    case = session.scalar(select(Case).where(Case.case_no == case_no))
    assert case is not None  # just written
    lawyer = session.get(Person, case.lawyer_id) if case.lawyer_id is not None else None
    created, updated = local_time(case.created_at, runtime), local_time(case.updated_at, runtime)
    assert created is not None and updated is not None
    return CaseOut.model_validate(
        {
            "case_no": case.case_no,
            "case_type": case.case_type.value,
            "matter": case.matter,
            "applicant": case.applicant,
            "applicant_groups": sorted(group.group_name.value for group in case.groups),
            "intake": case.intake,
            "decision": case.decision.value if case.decision else None,
            "decision_reason": case.decision_reason,
            "lawyer": lawyer.code if lawyer else None,
            # every dated step under the model's own name (legalaid.models.CASE_DATE_FIELDS)
            **{step: getattr(case, step) for step in CASE_DATE_FIELDS},
            "created_at": created,
            "updated_at": updated,
            "notices": notices,
        }
    )
