"""Assigning a case to a lawyer (指派), by hand: the same change an import makes, validated."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.errors import UserError
from legalaid.importing import AssignmentChange
from legalaid.models import Case, CaseEvent, Person
from legalaid.models.enums import Decision, Role

ASSIGNABLE_ROLES = (Role.lawyer, Role.legal_worker)


def assign_case(*, session: Session, case_no: str, lawyer_code: str, on: date) -> AssignmentChange:
    """Give case ``case_no`` to ``lawyer_code`` from ``on``; the change is logged as a case event.

    Refused with one line (nothing changes) for an unknown case or person, a person who is not an
    active lawyer or legal worker, a denied case, a date before the application, or the same lawyer.
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
    if on < case.applied_on:
        raise UserError(f"--on {on.isoformat()}: before the application ({case.applied_on.isoformat()})")
    previous = session.get(Person, case.lawyer_id) if case.lawyer_id is not None else None
    if previous is not None and previous.id == lawyer.id:
        since = case.assigned_on.isoformat() if case.assigned_on else "?"
        raise UserError(f"case {case_no} is already assigned to {lawyer_code} ({lawyer.name}) since {since}")
    old_code = previous.code if previous else None
    case.lawyer_id, case.assigned_on = lawyer.id, on
    session.add(CaseEvent(case_id=case.id, kind="lawyer", on=on, detail=f"{old_code or ''}→{lawyer_code}"))
    session.add(CaseEvent(case_id=case.id, kind="assigned_on", on=on, detail="by hand"))
    session.flush()
    return AssignmentChange(case_no=case_no, old_lawyer=old_code, new_lawyer=lawyer_code, assigned_on=on)
