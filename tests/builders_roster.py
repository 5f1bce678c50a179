"""Builders for the roster tests: a desk pool of lawyers, a coordinator, shifts and leave in the database,
and the plain values the pure functions take."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.models import DutyShift, Firm, Leave, Person
from legalaid.models.enums import FirmKind, Role, Slot
from legalaid.roster import Shift
from legalaid.runtime import Runtime

NAMES = ("王律师", "李律师", "张律师", "刘律师", "陈律师", "杨律师", "黄律师", "赵律师", "吴律师", "周律师")


def make_desk(session: Session, *, lawyers: int = 6) -> list[str]:
    """Lawyers L01… in the desk pool (with email), coordinator S01 (staff); returns the lawyers' codes."""
    firm = Firm(code="F1", name="明理律师事务所", kind=FirmKind.law_firm)
    session.add(firm)
    session.flush()
    session.add(Person(code="S01", name="陈科员", email="s01@center.example.cn", role=Role.staff))
    codes = []
    for i in range(lawyers):
        code = f"L{i + 1:02d}"
        session.add(
            Person(
                code=code,
                name=NAMES[i % len(NAMES)],
                email=f"{code.lower()}@mingli.example.cn",
                role=Role.lawyer,
                firm_id=firm.id,
                desk_pool=True,
            )
        )
        codes.append(code)
    session.flush()
    return codes


def add_person(
    session: Session,
    code: str,
    *,
    email: str | None = "x@example.cn",
    desk_pool: bool = True,
    active: bool = True,
    role: Role = Role.lawyer,
) -> Person:
    person = Person(code=code, name=f"{code}律师", email=email, role=role, desk_pool=desk_pool, active=active)
    session.add(person)
    session.flush()
    return person


def put_shifts(session: Session, shifts: Iterable[tuple[date, str, str]], source: str = "import") -> None:
    """Shifts as an import writes them (no change log)."""
    ids = dict(session.execute(select(Person.code, Person.id)).all())
    for on, slot, code in shifts:
        session.add(DutyShift(on=on, slot=Slot(slot), person_id=ids[code], source=source))
    session.flush()


def put_leave(session: Session, code: str, start: date, end: date) -> None:
    person_id = session.scalar(select(Person.id).where(Person.code == code))
    assert person_id is not None
    session.add(Leave(person_id=person_id, start=start, end=end, reason="年休假"))
    session.flush()


def stored_shifts(rt: Runtime, start: date = date.min, end: date = date.max) -> list[Shift]:
    with rt.transaction() as session:
        rows = session.execute(
            select(DutyShift.on, DutyShift.slot, Person.code)
            .join(Person, Person.id == DutyShift.person_id)
            .where(DutyShift.on >= start, DutyShift.on <= end)
        ).all()
    return sorted((Shift(on, Slot(slot).value, code) for on, slot, code in rows), key=lambda s: s.sort_key)
