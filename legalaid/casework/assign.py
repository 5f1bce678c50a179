"""Assigning a case to a lawyer (指派), by hand: the same change an import makes, validated, with its
notices (``assign_and_notify``: what ``legalaid case assign`` calls)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.casework.notices import NoticeReport, notify_case_changes
from legalaid.config import Settings
from legalaid.errors import UserError
from legalaid.importing import NOT_BEFORE, STEPS, AssignmentChange, out_of_order
from legalaid.models import Case, CaseEvent, Person
from legalaid.models.enums import Decision, Role
from legalaid.paths import StagedFiles

ASSIGNABLE_ROLES = (Role.lawyer, Role.legal_worker)
# Who made an assignment, as its case event records it, when a person typed the command.
BY_HAND = "by hand"
# The steps an assignment date is compared with, as the refusal names them.
_STEP_WORDS = {
    "applied_on": "the application",
    "decided_on": "the decision",
    "first_contact_on": "the first contact",
    "last_progress_on": "the latest progress",
    "ended_on": "the end of the case",
    "closure_submitted_on": "the closure materials' submission",
    "return_visit_on": "the return visit",
}


def assign_case(
    *, session: Session, case_no: str, lawyer_code: str, on: date, by: str = BY_HAND
) -> AssignmentChange:
    """Give case ``case_no`` to ``lawyer_code`` from ``on``; the change is logged as case events, ``by``
    saying who made it (the command line: ``by hand``; the HTTP API: ``by token NAME``).

    Refused with one line (nothing changes) for an unknown case or person, a person who is not an
    active lawyer or legal worker, a denied case, a date out of the case's order of steps (before the
    application or the decision, after the first contact, the end, …), or the same lawyer.
    """
    case = session.scalar(select(Case).where(Case.case_no == case_no))
    if case is None:
        raise UserError(f"case {case_no}: no such case")
    lawyer = session.scalar(select(Person).where(Person.code == lawyer_code))
    if lawyer is None:
        raise UserError(f"person {lawyer_code}: no such person")
    if lawyer.role not in ASSIGNABLE_ROLES:
        raise UserError(
            f"person {lawyer_code} ({lawyer.name}) is {lawyer.role.value}, not a lawyer or legal worker"
        )
    if not lawyer.active:
        raise UserError(f"person {lawyer_code} ({lawyer.name}) is not active")
    if case.decision == Decision.denied:
        raise UserError(f"case {case_no}: legal aid was denied; a denied case is not assigned")
    _refuse_out_of_order(case, on)
    previous = session.get(Person, case.lawyer_id) if case.lawyer_id is not None else None
    if previous is not None and previous.id == lawyer.id:
        since = case.assigned_on.isoformat() if case.assigned_on else "?"
        raise UserError(f"case {case_no} is already assigned to {lawyer_code} ({lawyer.name}) since {since}")
    old_code = previous.code if previous else None
    case.lawyer_id, case.assigned_on = lawyer.id, on
    session.add(CaseEvent(case_id=case.id, kind="lawyer", on=on, detail=f"{old_code or ''}→{lawyer_code}"))
    session.add(CaseEvent(case_id=case.id, kind="assigned_on", on=on, detail=by))
    session.flush()
    return AssignmentChange(case_no=case_no, old_lawyer=old_code, new_lawyer=lawyer_code, assigned_on=on)


def _refuse_out_of_order(case: Case, on: date) -> None:
    """``on`` in its place among the case's steps (the order the import checks). On a reassignment the
    first contact and the latest progress are the previous lawyer's, so they are not compared."""
    dates = {name: getattr(case, name) for name in (*STEPS, *NOT_BEFORE)} | {"assigned_on": on}
    if case.lawyer_id is not None:
        dates["first_contact_on"] = dates["last_progress_on"] = None
    for wrong in out_of_order(dates):
        if wrong.late == "assigned_on":
            step, when = f"before {_STEP_WORDS[wrong.early]}", wrong.early_on
        elif wrong.early == "assigned_on":
            step, when = f"after {_STEP_WORDS[wrong.late]}", wrong.late_on
        else:
            continue  # two stored steps out of order: not this command's doing
        raise UserError(f"--on {on.isoformat()}: {step} ({when.isoformat()})")


@dataclass(frozen=True)
class Assignment:
    """An assignment made by hand and what its notices did."""

    change: AssignmentChange
    notices: NoticeReport


def assign_and_notify(
    session: Session,
    settings: Settings,
    *,
    case_no: str,
    lawyer_code: str,
    on: date,
    today: date,
    staged: StagedFiles | None = None,
    dry_run: bool = False,
    by: str = BY_HAND,
) -> Assignment:
    """Assign case ``case_no`` to ``lawyer_code`` from ``on`` and queue its notices, the 指派通知书 staged
    in ``staged`` to be written after the commit, whatever the date ``on`` (not held to the notice window).

    A dry run checks the assignment and builds the notices (the letter rendered from the case as assigned,
    so a broken template fails it too), then rolls the caller's transaction back: nothing is kept, queued
    or written.
    """
    change = assign_case(session=session, case_no=case_no, lawyer_code=lawyer_code, on=on, by=by)
    # A person's act, so sent whatever ``on`` is: the notice window is for imports of old cases.
    notices = notify_case_changes(
        session, settings, assignments=[change], today=today, staged=staged, dry_run=dry_run, by_hand=True
    )
    if dry_run:
        session.rollback()  # the assignment was made in the session only for the letter to be rendered
    return Assignment(change, notices)
