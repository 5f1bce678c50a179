"""Checks across rows and against the database: codes that must exist, keys that must be unique."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.importing._columns import KindSpec, Layout, ParsedRow
from legalaid.importing._errors import ErrorLog
from legalaid.importing._values import show
from legalaid.models import Firm, Person


@dataclass
class Refs:
    """The codes a file may refer to, loaded once: firm and person codes with their ids."""

    firms: dict[str, int]
    people: dict[str, int]
    person_codes: dict[int, str]

    @classmethod
    def load(cls, session: Session) -> Refs:
        firms = dict(session.execute(select(Firm.code, Firm.id)).all())
        people = dict(session.execute(select(Person.code, Person.id)).all())
        return cls(firms=firms, people=people, person_codes={pid: code for code, pid in people.items()})

    def ids(self, ref: str) -> dict[str, int]:
        return self.firms if ref == "firm" else self.people

    def person_code(self, person_id: int | None) -> str | None:
        return None if person_id is None else self.person_codes.get(person_id)


def check_refs(rows: list[ParsedRow], layout: Layout, refs: Refs, log: ErrorLog) -> None:
    """Every code in a reference column names a firm or person of the database."""
    for column in layout.columns:
        if column.ref is None:
            continue
        known, header, position = (
            refs.ids(column.ref),
            layout.header[column.name],
            layout.position[column.name],
        )
        for row in rows:
            code = row.values.get(column.name)
            if code is not None and code not in known:
                log.add(row.number, header, f"unknown {column.ref} code {show(code)}", position=position)


def check_unique(rows: list[ParsedRow], spec: KindSpec, layout: Layout, log: ErrorLog) -> None:
    """No two rows of the file share a key (the later one would silently win)."""
    if not spec.key or not all(layout.has(name) for name in spec.key):
        return
    first_seen: dict[tuple[Any, ...], int] = {}
    header, position = layout.header[spec.key[0]], layout.position[spec.key[0]]
    for row in rows:
        key = tuple(row.values.get(name) for name in spec.key)
        if None in key:
            continue  # the missing part is already reported
        first = first_seen.setdefault(key, row.number)
        if first != row.number:
            shown = show(", ".join(str(part) for part in key))
            log.add(row.number, header, f"duplicate key {shown} (first on row {first})", position=position)
