"""Cases: an upsert on case_no that also keeps the recipient groups, logs every dated step that is set
or changed as a CaseEvent, and reports the assignments and decisions that changed (notices follow them).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from legalaid.importing._batch import Batch
from legalaid.importing._checks import Refs
from legalaid.importing._columns import Layout, ParsedRow
from legalaid.importing._errors import ErrorLog
from legalaid.importing._result import AssignmentChange, DecisionChange
from legalaid.importing._specs import CASES as CASE_SPEC
from legalaid.importing._steps import OutOfOrder, out_of_order
from legalaid.importing._upsert import Record, insert_rows, load_existing, records_of, table_of, update_rows
from legalaid.importing._values import show
from legalaid.models import CASE_DATE_FIELDS, Case, CaseEvent, CaseGroup
from legalaid.models.enums import Decision, IntakeChannel
from legalaid.steps import NOT_BEFORE, STEPS

CASES = table_of(Case)
GROUPS = table_of(CaseGroup)
EVENTS = table_of(CaseEvent)
_CHANNELS = frozenset(channel.value for channel in IntakeChannel)
# Read for every existing case, in the file or not: the assignment and decision a change is reported with.
_ALWAYS_LOADED = ("lawyer_id", "assigned_on", "decision", "decided_on")
Event = tuple[str, str, date | None, str | None]  # case_no, kind, on, detail
# Steps that go in pairs: (this column, the column that must be set with it).
_PAIRS = (
    ("decision", "decided_on"),
    ("decided_on", "decision"),
    ("lawyer", "assigned_on"),
    ("assigned_on", "lawyer"),
)


def check(session: Session, rows: list[ParsedRow], layout: Layout, refs: Refs, log: ErrorLog) -> None:
    """An intake names a channel or a known firm; a decision has its date, a lawyer their assignment day;
    the dated steps are in order (see _steps), the file's with the case's stored ones."""
    pairs = [(a, b) for a, b in _PAIRS if layout.has(a) and layout.has(b)]
    for row in rows:
        values = row.values
        intake = values.get("intake")
        if intake is not None and intake not in _CHANNELS and intake not in refs.firms:
            expected = "center/中心, arbitration_desk/仲裁咨询点, workstation/工作站, or a firm code"
            _error(log, row, layout, "intake", f"unknown intake {show(intake)} ({expected})")
        for this, other in pairs:
            if values.get(this) is None and this in values and values.get(other) is not None:
                _error(log, row, layout, this, f"missing value ({layout.header[other]} is set)")
        if values.get("decision") == Decision.denied and values.get("lawyer") is not None:
            _error(log, row, layout, "lawyer", "a case whose legal aid was denied has no lawyer")
    _check_order(session, rows, layout, log)


def _check_order(session: Session, rows: list[ParsedRow], layout: Layout, log: ErrorLog) -> None:
    """Each row's steps in order. A step the file leaves out is the case's stored one (a file of case_no and
    ended_on is checked against the stored first contact); a pair of stored steps is not the file's doing."""
    ordered = (*STEPS, *NOT_BEFORE)
    in_file = [name for name in ordered if layout.has(name)]
    if not in_file:
        return
    left_out = [name for name in ordered if not layout.has(name)]
    stored = load_existing(session, CASES, ["case_no"], left_out) if left_out else {}
    for row in rows:
        values = row.values
        old = stored.get((values.get("case_no"),), {})
        dates = {name: old.get(name) for name in left_out} | {name: values.get(name) for name in in_file}
        for wrong in out_of_order(dates):
            _order_error(log, row, layout, wrong)


def _order_error(log: ErrorLog, row: ParsedRow, layout: Layout, wrong: OutOfOrder) -> None:
    early, late = wrong.early_on.isoformat(), wrong.late_on.isoformat()
    if layout.has(wrong.early):  # the earlier step is the one named, as a user reads the row left to right
        _error(log, row, layout, wrong.early, f"{early} is after {_step_name(layout, wrong.late)} {late}")
    elif layout.has(wrong.late):
        _error(log, row, layout, wrong.late, f"{late} is before {_step_name(layout, wrong.early)} {early}")


def _step_name(layout: Layout, name: str) -> str:
    """A step as the file names it; one it leaves out is the case's stored one, in the file's language."""
    if layout.has(name):
        return layout.header[name]
    column = CASE_SPEC.column_named(name)
    chinese = any(layout.header[c.name] == c.zh for c in layout.columns)
    return f"the stored {column.zh if chinese and column is not None else name}"


def _error(log: ErrorLog, row: ParsedRow, layout: Layout, name: str, message: str) -> None:
    log.add(row.number, layout.header[name], message, position=layout.position[name])


def apply(session: Session, batch: Batch) -> None:
    layout, result = batch.layout, batch.result
    columns = [c for c in layout.columns if c.name != "applicant_groups"]
    records = records_of(batch.rows, columns, batch.refs)
    compared = [c.db_name for c in columns if c.name != "case_no"]
    existing = load_existing(session, CASES, ["case_no"], [*compared, *_ALWAYS_LOADED])
    groups_in_file = layout.has("applicant_groups")
    old_groups = _load_groups(session) if groups_in_file else {}

    inserts: list[Record] = []
    updates: list[Record] = []
    new_groups: dict[str, tuple[Any, ...]] = {}  # case_no → groups, for every case whose groups change
    events: list[Event] = []
    for row, record in zip(batch.rows, records, strict=True):
        case_no = record["case_no"]
        old = existing.get((case_no,))
        groups = row.values["applicant_groups"] if groups_in_file else ()
        if old is None:
            inserts.append(record)
            if groups:
                new_groups[case_no] = groups
        else:
            changed = any(old[c] != record[c] for c in compared)
            groups_changed = groups_in_file and set(groups) != old_groups.get(old["id"], set())
            if not (changed or groups_changed):
                result.unchanged += 1
                continue
            result.updated += 1
            if changed:
                updates.append({"id": old["id"], **record})
            if groups_changed:
                new_groups[case_no] = groups
        events.extend(_steps(case_no, old or {}, record, batch))
    result.inserted = len(inserts)
    if batch.write:
        group_rows = sum(len(groups) for groups in new_groups.values())
        batch.tick.stage("writing", len(inserts) + len(updates) + group_rows + len(events))
        _write(session, batch, inserts, updates, compared, existing, new_groups, events)


def _steps(case_no: str, old: Record, new: Record, batch: Batch) -> list[Event]:
    """The events of one case's change; the assignment and decision it changed go in the result."""
    result, refs = batch.result, batch.refs
    events: list[Event] = []
    for name in CASE_DATE_FIELDS:
        if name in new and new[name] != old.get(name):
            before = old.get(name)
            events.append((case_no, name, new[name], f"was {before.isoformat()}" if before else None))
    after = {**{name: old.get(name) for name in _ALWAYS_LOADED}, **new}
    if after["lawyer_id"] != old.get("lawyer_id"):
        before_code, after_code = refs.person_code(old.get("lawyer_id")), refs.person_code(after["lawyer_id"])
        events.append((case_no, "lawyer", after["assigned_on"], f"{before_code or ''}→{after_code or ''}"))
        result.assignment_changes.append(
            AssignmentChange(case_no, before_code, after_code, after["assigned_on"])
        )
    if (after["decision"], after["decided_on"]) != (old.get("decision"), old.get("decided_on")):
        decision = None if after["decision"] is None else str(after["decision"])
        result.decision_changes.append(DecisionChange(case_no, decision, after["decided_on"]))
    return events


def _load_groups(session: Session) -> dict[int, set[Any]]:
    groups: dict[int, set[Any]] = defaultdict(set)
    for case_id, group in session.execute(select(GROUPS.c.case_id, GROUPS.c.group_name)):
        groups[case_id].add(group)
    return groups


def _write(
    session: Session,
    batch: Batch,
    inserts: list[Record],
    updates: list[Record],
    compared: list[str],
    existing: dict[Any, Record],
    new_groups: dict[str, tuple[Any, ...]],
    events: list[Event],
) -> None:
    tick = batch.tick
    ids = {key[0]: row["id"] for key, row in existing.items()}
    ids.update(insert_rows(session, CASES, inserts, tick, returning="case_no"))
    update_rows(session, CASES, updates, compared, tick)
    replaced = [{"_case_id": ids[case_no]} for case_no in new_groups if (case_no,) in existing]
    if replaced:
        session.execute(delete(GROUPS).where(GROUPS.c.case_id == bindparam("_case_id")), replaced)
    group_rows = [{"case_id": ids[no], "group_name": g} for no, groups in new_groups.items() for g in groups]
    insert_rows(session, GROUPS, group_rows, tick)
    event_rows = [
        {"case_id": ids[no], "kind": kind, "on": on, "detail": detail} for no, kind, on, detail in events
    ]
    insert_rows(session, EVENTS, event_rows, tick)
