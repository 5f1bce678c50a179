"""The bulk writer: existing rows read in one query, compared in memory, new rows inserted with
executemany, changed rows updated by primary key in batches. No per-row ORM work: a file of 100,000
rows must take seconds, and a second import of the same file must write nothing at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from legalaid.importing._checks import Refs
from legalaid.importing._columns import Column, ParsedRow
from legalaid.importing._progress import Ticker
from legalaid.models import Base

BATCH_SIZE = 5_000
Key = tuple[Any, ...]
Record = dict[str, Any]


def table_of(model: type[Base]) -> Table:
    return Base.metadata.tables[model.__tablename__]


def records_of(rows: list[ParsedRow], columns: Sequence[Column], refs: Refs) -> list[Record]:
    """Each row's values under their database column names, codes replaced by the ids they name."""
    plain = [(c.name, c.db_name) for c in columns if c.ref is None]
    coded = [(c.name, c.db_name, refs.ids(c.ref)) for c in columns if c.ref is not None]
    records = []
    for row in rows:
        values = row.values
        record = {db: values[name] for name, db in plain}
        for name, db, ids in coded:
            code = values[name]
            record[db] = None if code is None else ids[code]
        records.append(record)
    return records


def load_existing(
    session: Session, table: Table, key: Sequence[str], columns: Sequence[str]
) -> dict[Key, Record]:
    """Every row of the table (its id, key and the given columns), by key, in one query."""
    names = list(dict.fromkeys(["id", *key, *columns]))
    result = session.execute(select(*(table.c[name] for name in names)))
    return {tuple(row[k] for k in key): dict(row) for row in result.mappings()}


@dataclass
class Plan:
    inserts: list[Record] = field(default_factory=list)
    updates: list[Record] = field(default_factory=list)  # each with the row's "id"
    unchanged: int = 0


def plan_upsert(
    existing: dict[Key, Record], records: list[Record], key: Sequence[str], columns: Sequence[str]
) -> Plan:
    """Which records are new, which differ from their row (compared value by value), which are the same."""
    plan = Plan()
    for record in records:
        old = existing.get(tuple(record[k] for k in key))
        if old is None:
            plan.inserts.append(record)
        elif any(old[c] != record[c] for c in columns):
            plan.updates.append({"id": old["id"], **record})
        else:
            plan.unchanged += 1
    return plan


def batches(items: list[Record]) -> Iterator[list[Record]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]


def insert_rows(
    session: Session, table: Table, records: list[Record], tick: Ticker, *, returning: str | None = None
) -> dict[Any, int]:
    """Insert in batches; with ``returning``, the new ids by that column's value."""
    ids: dict[Any, int] = {}
    if returning is None:
        for chunk in batches(records):
            session.execute(insert(table), chunk)
            tick.advance(len(chunk))
        return ids
    # Each id comes back beside its key, so the (unsorted, batched) order of RETURNING does not matter.
    statement = insert(table).returning(table.c[returning], table.c.id)
    for chunk in batches(records):
        for value, new_id in session.execute(statement, chunk):
            ids[value] = new_id
        tick.advance(len(chunk))
    return ids


def update_rows(
    session: Session, table: Table, records: list[Record], columns: Sequence[str], tick: Ticker
) -> None:
    """Update by primary key in batches, every given column (the same statement for every row)."""
    if not records or not columns:
        return
    # Bound names differ from the column names: SQLAlchemy reserves those for its own SET parameters.
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({name: bindparam(f"_{name}") for name in columns})
    )
    for chunk in batches(records):
        session.execute(statement, [{"_id": r["id"], **{f"_{c}": r[c] for c in columns}} for r in chunk])
        tick.advance(len(chunk))
