"""Builders for the reports tests: a small center (two firms, their lawyers and directors, two leaders),
cases in bulk with their recipient groups, consultation tallies, and report text read back from Word."""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import docx
from sqlalchemy.orm import Session

from legalaid.models import Case, CaseGroup, Consultation, Firm, Person
from legalaid.models.enums import (
    CaseType,
    ConsultationChannel,
    ConsultationOutcome,
    Decision,
    FirmKind,
    RecipientGroup,
    Role,
)

_serial = itertools.count(1)


def make_center(session: Session) -> dict[str, int]:
    """Firms F1 (director D1, lawyer L1) and F2 (director D2 without email, lawyer L2); leaders H1 and H2.

    Returns person code → id, and the firms' ids as ``F1``/``F2``."""
    f1 = Firm(
        code="F1",
        name="明理律师事务所",
        kind=FirmKind.law_firm,
        director_code="D1",
        email="f1@firm.example.cn",
    )
    f2 = Firm(code="F2", name="城关法律服务所", kind=FirmKind.legal_service_office, director_code="D2")
    session.add_all([f1, f2])
    session.flush()
    people = [
        Person(code="H1", name="周主任", email="h1@center.example.cn", role=Role.leader),
        Person(code="H2", name="吴局长", email="h2@center.example.cn", role=Role.leader),
        Person(code="S1", name="陈科员", email="s1@center.example.cn", role=Role.staff),
        Person(code="D1", name="赵主任", email="d1@firm.example.cn", role=Role.lawyer, firm_id=f1.id),
        Person(code="L1", name="王律师", email="l1@firm.example.cn", role=Role.lawyer, firm_id=f1.id),
        Person(code="D2", name="钱所长", email=None, role=Role.legal_worker, firm_id=f2.id),
        Person(
            code="L2",
            name="孙法律工作者",
            email="l2@office.example.cn",
            role=Role.legal_worker,
            firm_id=f2.id,
        ),
    ]
    session.add_all(people)
    session.flush()
    ids = {p.code: p.id for p in people}
    ids.update(F1=f1.id, F2=f2.id)
    return ids


def add_cases(
    session: Session,
    count: int,
    *,
    applied_on: date,
    case_type: CaseType = CaseType.civil,
    groups: Sequence[RecipientGroup] = (),
    matter: str | None = "追索劳动报酬",
    applicant: str = "张秘密",
    lawyer_id: int | None = None,
    **steps: date | None,
) -> list[Case]:
    """``count`` cases alike; a decision date means granted. The applicant's name is one the tests look
    for in emails (it must never be there)."""
    cases = []
    for _ in range(count):
        case = Case(
            case_no=f"T{next(_serial):05d}",
            case_type=case_type,
            matter=matter,
            applicant=applicant,
            applied_on=applied_on,
            decision=Decision.granted if steps.get("decided_on") else None,
            lawyer_id=lawyer_id,
            **steps,
        )
        case.groups = [CaseGroup(group_name=group) for group in groups]
        cases.append(case)
    session.add_all(cases)
    session.flush()
    return cases


def add_consultations(
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


def docx_text(source: bytes | Path) -> str:
    """Every paragraph and table cell of a Word document, one per line, as python-docx reads it."""
    data = source.read_bytes() if isinstance(source, Path) else source
    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)
