"""Builders for the reminders tests: a small center (two staff, the head, a firm with its director and a
lawyer), cases at any step, a scan in its own transaction, and counts of every table."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, inspect, select, table
from sqlalchemy.orm import Session

from legalaid.models import Case, Firm, Person
from legalaid.models.enums import CaseType, Decision, FirmKind, Role
from legalaid.reminders import RunReport, run_reminders
from legalaid.runtime import Runtime

_serial = itertools.count(1)


@dataclass(frozen=True)
class Center:
    staff: tuple[str, ...]
    head: str
    director: str
    lawyer_id: int
    lawyer: str
    firm_id: int


def make_center(session: Session) -> Center:
    """S1 and S2 (staff), H1 (the head), firm F1 with director D1, lawyer L1 of F1; everyone has email."""
    firm = Firm(code="F1", name="明理律师事务所", kind=FirmKind.law_firm, director_code="D1")
    session.add(firm)
    session.flush()
    people = [
        Person(code="S1", name="陈科员", email="s1@center.example.cn", role=Role.staff),
        Person(code="S2", name="林科员", email="s2@center.example.cn", role=Role.staff),
        Person(code="H1", name="周主任", email="h1@center.example.cn", role=Role.leader),
        Person(code="D1", name="赵主任", email="d1@mingli.example.cn", role=Role.lawyer, firm_id=firm.id),
        Person(code="L1", name="王律师", email="l1@mingli.example.cn", role=Role.lawyer, firm_id=firm.id),
    ]
    session.add_all(people)
    session.flush()
    return Center(("S1", "S2"), "H1", "D1", people[-1].id, "L1", firm.id)


def make_person(
    session: Session,
    code: str,
    *,
    name: str = "某律师",
    email: str | None = None,
    role: Role = Role.lawyer,
    firm_id: int | None = None,
    active: bool = True,
) -> Person:
    person = Person(code=code, name=name, email=email, role=role, firm_id=firm_id, active=active)
    session.add(person)
    session.flush()
    return person


def make_case(
    session: Session,
    *,
    case_no: str | None = None,
    applicant: str = "王小明",
    case_type: CaseType = CaseType.civil,
    applied_on: date = date(2012, 9, 3),
    lawyer_id: int | None = None,
    decision: Decision | None = None,
    **steps: date | None,
) -> Case:
    """A case with the dated steps given; a decision date without a decision means granted."""
    if steps.get("decided_on") is not None and decision is None:
        decision = Decision.granted
    case = Case(
        case_no=case_no or f"2012援{next(_serial):04d}号",
        case_type=case_type,
        applicant=applicant,
        applied_on=applied_on,
        decision=decision,
        lawyer_id=lawyer_id,
        **steps,
    )
    session.add(case)
    session.flush()
    return case


def scan(rt: Runtime, day: date, **kwargs: Any) -> RunReport:
    """One scan for ``day`` in its own committed transaction."""
    with rt.transaction() as session:
        return run_reminders(session, rt.settings, as_of=day, **kwargs)


def table_counts(rt: Runtime) -> dict[str, int]:
    """Rows in every table of the database (the migrated schema, whatever the models declare)."""
    with rt.engine.connect() as connection:
        names = inspect(connection).get_table_names()
        return {
            name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in names
        }
