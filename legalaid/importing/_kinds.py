"""The six kinds: their columns (see _specs), their own checks, and how each reaches the database."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from sqlalchemy.orm import Session

from legalaid.importing import _cases, _specs
from legalaid.importing import _values as v
from legalaid.importing._batch import Apply, Batch, Kind
from legalaid.importing._checks import Refs
from legalaid.importing._columns import Layout, ParsedRow
from legalaid.importing._errors import ErrorLog
from legalaid.importing._upsert import (
    insert_rows,
    load_existing,
    plan_upsert,
    records_of,
    table_of,
    update_rows,
)
from legalaid.models import Base, Consultation, DutyShift, Firm, Leave, Person


def upsert(model: type[Base]) -> Apply:
    """The plain upsert on the kind's key: insert what is new, update what differs, leave the rest."""
    table = table_of(model)

    def apply(session: Session, batch: Batch) -> None:
        by_name = {c.name: c for c in batch.layout.columns}
        key = [by_name[name].db_name for name in batch.spec.key]
        compared = [c.db_name for c in batch.layout.columns if c.name not in batch.spec.key]
        records = records_of(batch.rows, batch.layout.columns, batch.refs)
        plan = plan_upsert(load_existing(session, table, key, compared), records, key, compared)
        result = batch.result
        result.inserted, result.updated, result.unchanged = (
            len(plan.inserts),
            len(plan.updates),
            plan.unchanged,
        )
        if batch.write:
            batch.tick.stage("writing", len(plan.inserts) + len(plan.updates))
            insert_rows(session, table, plan.inserts, batch.tick)
            update_rows(session, table, plan.updates, compared, batch.tick)

    return apply


def append_consultations(session: Session, batch: Batch) -> None:
    """Consultations have no key: every row is new, tagged with the import it came from."""
    records = records_of(batch.rows, batch.layout.columns, batch.refs)
    batch.result.inserted = len(records)
    if batch.write:
        batch.tick.stage("writing", len(records))
        for record in records:
            record["import_id"] = batch.import_id
        insert_rows(session, table_of(Consultation), records, batch.tick)


def check_leave(session: Session, rows: list[ParsedRow], layout: Layout, refs: Refs, log: ErrorLog) -> None:
    for row in rows:
        start, end = row.values.get("start"), row.values.get("end")
        if start is not None and end is not None and end < start:
            message = f"ends before it starts ({layout.header['start']} {start.isoformat()})"
            log.add(row.number, layout.header["end"], message, position=layout.position["end"])


REGISTRY: dict[str, Kind] = {
    "firms": Kind(_specs.FIRMS, upsert(Firm)),
    "people": Kind(_specs.PEOPLE, upsert(Person)),
    "cases": Kind(_specs.CASES, _cases.apply, _cases.check),
    "consultations": Kind(_specs.CONSULTATIONS, append_consultations),
    "roster": Kind(_specs.ROSTER, upsert(DutyShift)),
    "leave": Kind(_specs.LEAVE, upsert(Leave), check_leave),
}
KINDS: tuple[str, ...] = tuple(REGISTRY)


def kind_headers(kind: str, *, chinese: bool = False) -> list[str]:
    """The column names of a kind, in the order of the README's import format, in English or in Chinese."""
    return REGISTRY[kind].spec.headers(chinese=chinese)


def kind_vocabularies(kind: str) -> dict[str, type[StrEnum]]:
    """The columns of a kind that take codes of a vocabulary (``case_type``: CaseType, …), by name."""
    return {c.name: c.vocabulary for c in REGISTRY[kind].spec.columns if c.vocabulary is not None}


# What a column takes as a JSON value (import_rows): text, a date as text, a list of codes, a whole number,
# a yes or no; the importer parses each as it parses a cell.
Shape = Literal["text", "date", "list", "count", "yes_no"]


def kind_shapes(kind: str) -> dict[str, tuple[str, Shape, bool]]:
    """Each column of a kind by English name: its Chinese name, the JSON value it takes, and whether it
    is required (in every row, with a value)."""
    shapes: dict[str, tuple[str, Shape, bool]] = {}
    for column in REGISTRY[kind].spec.columns:
        shape: Shape = "text"
        if column.parse is v.day:
            shape = "date"
        elif column.parse is v.count:
            shape = "count"
        elif column.parse is v.yes_no:
            shape = "yes_no"
        elif column.vocabulary is not None and column.default == ():
            shape = "list"
        shapes[column.name] = (column.zh, shape, column.required)
    return shapes
