"""Builders of test data through the ORM: firms, people and cases with sensible defaults, the two small
centers the reminders and reports tests share, the roster's desk, shifts and leave, and consultations; and
Word templates as someone might edit them.

Every builder takes the session first and keyword arguments for what the test cares about; it flushes, so
ids are there to use. Codes and case numbers a test does not give come from one counter, so a builder can be
called any number of times in one database.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import EllipsisType
from typing import Any

import docx
from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.models import Case, CaseGroup, Consultation, DutyShift, Firm, Leave, Person
from legalaid.models.enums import (
    CaseType,
    ConsultationChannel,
    ConsultationOutcome,
    Decision,
    FirmKind,
    RecipientGroup,
    Role,
    Slot,
)
from legalaid.reminders import RunReport, run_reminders
from legalaid.runtime import Runtime

_serial = itertools.count(1)

# People, firms, cases -----------------------------------------------------------------------------------


def make_firm(
    session: Session,
    code: str | None = None,
    *,
    name: str = "明理律师事务所",
    kind: FirmKind = FirmKind.law_firm,
    email: str | None = None,
    director_code: str | None = None,
) -> Firm:
    firm = Firm(
        code=code or f"F{next(_serial):04d}", name=name, kind=kind, email=email, director_code=director_code
    )
    session.add(firm)
    session.flush()
    return firm


def make_person(
    session: Session,
    code: str | None = None,
    *,
    name: str | None = None,
    email: str | None = None,
    role: Role = Role.lawyer,
    firm: Firm | int | None = None,
    desk_pool: bool = False,
    active: bool = True,
) -> Person:
    """A person; ``firm`` is the firm or its id. Without a name, the code and 律师 (``L2律师``)."""
    code = code or f"P{next(_serial):04d}"
    person = Person(
        code=code,
        name=f"{code}律师" if name is None else name,
        email=email,
        role=role,
        desk_pool=desk_pool,
        active=active,
    )
    if isinstance(firm, Firm):
        person.firm = firm
    else:
        person.firm_id = firm
    session.add(person)
    session.flush()
    return person


def make_lawyer(
    session: Session,
    *,
    name: str = "李明",
    firm_name: str = "浙江某某律师事务所",
    firm_email: str | None = "office@firm.example",
) -> Person:
    """A lawyer (without email) of a firm of their own, as the documents name them."""
    return make_person(session, name=name, firm=make_firm(session, name=firm_name, email=firm_email))


def make_case(
    session: Session,
    *,
    case_no: str | None = None,
    case_type: CaseType = CaseType.civil,
    applicant: str = "王小明",
    matter: str | None = "追索劳动报酬",
    applied_on: date = date(2012, 9, 3),
    decision: Decision | None | EllipsisType = ...,
    lawyer: Person | int | None = None,
    groups: Sequence[RecipientGroup] = (),
    **steps: date | None,
) -> Case:
    """A case with the dated steps given (``decided_on=…, assigned_on=…``); without a ``decision``, a
    decision date means granted (``decision=None`` is none at all). ``lawyer`` is the person or their id."""
    if decision is ...:
        decision = Decision.granted if steps.get("decided_on") is not None else None
    case = Case(
        case_no=case_no or f"2012民援第{next(_serial):04d}号",
        case_type=case_type,
        matter=matter,
        applicant=applicant,
        applied_on=applied_on,
        decision=decision,
        lawyer_id=lawyer.id if isinstance(lawyer, Person) else lawyer,
        **steps,
    )
    case.groups = [CaseGroup(group_name=group) for group in groups]
    session.add(case)
    session.flush()
    return case


def make_decided_case(session: Session, **fields: Any) -> Case:
    """A case as the documents tests start from: applied on 8 October 2012, granted on the 10th, assigned
    on the 12th (to ``lawyer`` when given). Any field can be overridden, ``decided_on=None`` too."""
    defaults: dict[str, Any] = {
        "applied_on": date(2012, 10, 8),
        "decided_on": date(2012, 10, 10),
        "decision": Decision.granted,
        "assigned_on": date(2012, 10, 12),
    }
    return make_case(session, **{**defaults, **fields})


def make_cases(session: Session, count: int, **fields: Any) -> list[Case]:
    """``count`` cases alike (``make_case``'s fields), each with its own number."""
    return [make_case(session, **fields) for _ in range(count)]


def make_consultations(
    session: Session,
    on: date,
    count: int,
    *,
    channel: ConsultationChannel = ConsultationChannel.hotline_148,
    outcome: ConsultationOutcome = ConsultationOutcome.answered,
) -> None:
    """One tally row of ``count`` consultations."""
    session.add(Consultation(on=on, channel=channel, outcome=outcome, count=count))
    session.flush()


# The small centers ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Center:
    staff: tuple[str, ...]
    head: str
    director: str
    lawyer_id: int
    lawyer: str
    firm_id: int


def make_reminders_center(session: Session) -> Center:
    """S1 and S2 (staff), H1 (the head), firm F1 with director D1, lawyer L1 of F1; everyone has email."""
    firm = make_firm(session, "F1", director_code="D1")
    for code, name, email, role in [
        ("S1", "陈科员", "s1@center.example.cn", Role.staff),
        ("S2", "林科员", "s2@center.example.cn", Role.staff),
        ("H1", "周主任", "h1@center.example.cn", Role.leader),
    ]:
        make_person(session, code, name=name, email=email, role=role)
    make_person(session, "D1", name="赵主任", email="d1@mingli.example.cn", firm=firm)
    lawyer = make_person(session, "L1", name="王律师", email="l1@mingli.example.cn", firm=firm)
    return Center(("S1", "S2"), "H1", "D1", lawyer.id, "L1", firm.id)


def make_reports_center(session: Session) -> dict[str, int]:
    """Firms F1 (director D1, lawyer L1) and F2 (director D2 without email, lawyer L2); leaders H1 and H2,
    staff S1. Returns person code → id, and the firms' ids as ``F1``/``F2``."""
    f1 = make_firm(session, "F1", director_code="D1", email="f1@firm.example.cn")
    f2 = make_firm(
        session, "F2", name="城关法律服务所", kind=FirmKind.legal_service_office, director_code="D2"
    )
    ids = {"F1": f1.id, "F2": f2.id}
    for code, name, email, role, firm in [
        ("H1", "周主任", "h1@center.example.cn", Role.leader, None),
        ("H2", "吴局长", "h2@center.example.cn", Role.leader, None),
        ("S1", "陈科员", "s1@center.example.cn", Role.staff, None),
        ("D1", "赵主任", "d1@firm.example.cn", Role.lawyer, f1),
        ("L1", "王律师", "l1@firm.example.cn", Role.lawyer, f1),
        ("D2", "钱所长", None, Role.legal_worker, f2),
        ("L2", "孙法律工作者", "l2@office.example.cn", Role.legal_worker, f2),
    ]:
        ids[code] = make_person(session, code, name=name, email=email, role=role, firm=firm).id
    return ids


# The roster -----------------------------------------------------------------------------------------------

NAMES = ("王律师", "李律师", "张律师", "刘律师", "陈律师", "杨律师", "黄律师", "赵律师", "吴律师", "周律师")


def make_desk(session: Session, *, lawyers: int = 6) -> list[str]:
    """Lawyers L01… of F1 in the desk pool (with email), coordinator S01 (staff); returns the lawyers'
    codes."""
    firm = make_firm(session, "F1")
    make_person(session, "S01", name="陈科员", email="s01@center.example.cn", role=Role.staff)
    codes = [f"L{i + 1:02d}" for i in range(lawyers)]
    for i, code in enumerate(codes):
        make_person(
            session,
            code,
            name=NAMES[i % len(NAMES)],
            email=f"{code.lower()}@mingli.example.cn",
            firm=firm,
            desk_pool=True,
        )
    return codes


def make_shifts(session: Session, shifts: Iterable[tuple[date, str, str]], source: str = "import") -> None:
    """Shifts (day, slot, person's code) as an import writes them (no change log)."""
    ids = dict(session.execute(select(Person.code, Person.id)).all())
    for on, slot, code in shifts:
        session.add(DutyShift(on=on, slot=Slot(slot), person_id=ids[code], source=source))
    session.flush()


def make_leave(session: Session, code: str, start: date, end: date) -> None:
    person_id = session.scalar(select(Person.id).where(Person.code == code))
    assert person_id is not None
    session.add(Leave(person_id=person_id, start=start, end=end, reason="年休假"))
    session.flush()


# Reminders ------------------------------------------------------------------------------------------------


def scan(rt: Runtime, day: date, **kwargs: Any) -> RunReport:
    """One reminders scan for ``day`` in its own committed transaction: how most digests are made."""
    with rt.transaction() as session:
        return run_reminders(session, rt.settings, as_of=day, **kwargs)


# Templates ------------------------------------------------------------------------------------------------


def make_word_template(
    root: Path, paragraphs: Sequence[str | Sequence[str]], *, kind: str = "grant_decision"
) -> Path:
    """The Word template of ``kind`` under templates folder ``root``, one paragraph per item. A paragraph
    given as several runs is split as Word splits an edited paragraph (plain and bold in turn)."""
    document = docx.Document()
    for runs in paragraphs:
        paragraph = document.add_paragraph()
        for index, text in enumerate([runs] if isinstance(runs, str) else runs):
            paragraph.add_run(text).bold = index % 2 == 1
    path = root / "docx" / "zh_CN" / f"{kind}.docx"
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path
