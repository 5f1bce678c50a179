"""Document numbers (文号): one numbering per document kind and year of issue, recorded when issued.

``X法援指〔2012〕35号`` is the 35th assignment notice the center issued in 2012, whichever register (民援,
刑援, 行援) its case is in. The number is handed out the first time a document is issued and recorded
(``document_numbers``); rendering the same document again (same kind, case, edition and year of issue)
prints the recorded number, so a re-sent or re-printed notice matches the one filed.

Concurrency: every issuer first takes its register's counter row (``document_number_counters``) for update,
then looks for a recorded number, then counts up. Two workers issuing at once queue on that row
(PostgreSQL: the row lock; SQLite: the database's one writer), and the unique (kind, year, serial)
constraint stands behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from legalaid.config import DOCUMENT_NUMBER_FORMAT
from legalaid.db import insert_if_absent
from legalaid.models import Case, DocumentNumber, DocumentNumberCounter


@dataclass(frozen=True)
class NumberFormat:
    """How numbers are printed: the settings' prefix and format (``document_number_format``)."""

    prefix: str = "X"
    template: str = DOCUMENT_NUMBER_FORMAT

    def format(self, *, code: str, year: int, serial: int) -> str:
        return self.template.format(prefix=self.prefix, code=code, year=year, serial=serial)


def edition_of(kind: str, case: Case) -> str:
    """What tells two documents of ``kind`` for ``case`` apart: an assignment notice is to one lawyer (a
    re-assignment is a new notice, with a new number); a case has one decision."""
    if kind == "assignment_notice":
        return f"lawyer {case.lawyer_id}"
    return "decision"


def issue_number(
    session: Session, *, kind: str, code: str, case: Case, issued_on: date, style: NumberFormat
) -> str:
    """The number of ``kind`` for ``case`` issued on ``issued_on``: the recorded one, or the next one in the
    kind's register for that year, recorded now (in the caller's transaction)."""
    year = issued_on.year
    edition = edition_of(kind, case)
    session.execute(
        insert_if_absent(session, DocumentNumberCounter, key=["kind", "year"]).values(
            kind=kind, year=year, last_serial=0
        )
    )
    counter = session.scalars(
        select(DocumentNumberCounter)
        .where(DocumentNumberCounter.kind == kind, DocumentNumberCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if (recorded := _recorded(session, kind=kind, case=case, edition=edition, year=year)) is not None:
        return recorded
    counter.last_serial += 1
    number = style.format(code=code, year=year, serial=counter.last_serial)
    session.add(
        DocumentNumber(
            kind=kind,
            year=year,
            serial=counter.last_serial,
            case_id=case.id,
            edition=edition,
            number=number,
            issued_on=issued_on,
        )
    )
    session.flush()
    return number


def preview_number(
    session: Session, *, kind: str, code: str, case: Case, issued_on: date, style: NumberFormat
) -> str:
    """The number ``issue_number`` would give now, recording nothing (a dry run shows it)."""
    year = issued_on.year
    edition = edition_of(kind, case)
    if (recorded := _recorded(session, kind=kind, case=case, edition=edition, year=year)) is not None:
        return recorded
    last = session.scalar(
        select(func.max(DocumentNumberCounter.last_serial)).where(
            DocumentNumberCounter.kind == kind, DocumentNumberCounter.year == year
        )
    )
    return style.format(code=code, year=year, serial=(last or 0) + 1)


def _recorded(session: Session, *, kind: str, case: Case, edition: str, year: int) -> str | None:
    return session.scalar(
        select(DocumentNumber.number)
        .where(
            DocumentNumber.kind == kind,
            DocumentNumber.case_id == case.id,
            DocumentNumber.edition == edition,
            DocumentNumber.year == year,
        )
        .order_by(DocumentNumber.id.desc())
        .limit(1)
    )
