"""Builders for the documents tests: a case at a given step, with its lawyer and firm, through the ORM."""

from __future__ import annotations

import itertools
from datetime import date

from sqlalchemy.orm import Session

from legalaid.models import Case, Firm, Person
from legalaid.models.enums import CaseType, Decision, FirmKind, Role

_serial = itertools.count(1)


def make_lawyer(
    session: Session,
    *,
    name: str = "李明",
    firm_name: str = "浙江某某律师事务所",
    firm_email: str | None = "office@firm.example",
) -> Person:
    n = next(_serial)
    firm = Firm(code=f"F{n:04d}", name=firm_name, kind=FirmKind.law_firm, email=firm_email)
    lawyer = Person(code=f"P{n:04d}", name=name, role=Role.lawyer, firm=firm)
    session.add_all([firm, lawyer])
    session.flush()
    return lawyer


def make_case(
    session: Session,
    *,
    case_no: str | None = None,
    applicant: str = "王小明",
    matter: str | None = "追索劳动报酬",
    case_type: CaseType = CaseType.civil,
    decision: Decision | None = Decision.granted,
    applied_on: date = date(2012, 10, 8),
    decided_on: date | None = date(2012, 10, 10),
    assigned_on: date | None = date(2012, 10, 12),
    lawyer: Person | None = None,
) -> Case:
    case = Case(
        case_no=case_no or f"2012民援第{next(_serial):03d}号",
        case_type=case_type,
        matter=matter,
        applicant=applicant,
        applied_on=applied_on,
        decided_on=decided_on,
        decision=decision,
        assigned_on=assigned_on,
        lawyer_id=lawyer.id if lawyer else None,
    )
    session.add(case)
    session.flush()
    return case
