"""Builders of import files and readers of what an import wrote, shared by the import tests."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import text

from legalaid.importing import import_file, kind_headers, write_csv, write_xlsx
from legalaid.runtime import Runtime

Row = dict[str, Any]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
FORMATS = ("utf-8", "utf-8-sig", "gb18030", "xlsx")

# A small center: two firms, their lawyers and a legal worker, a staff member and the head.
FIRMS: list[Row] = [
    {
        "code": "F01",
        "name": "明理律师事务所",
        "kind": "law_firm",
        "email": "office@mingli.example.cn",
        "director": "L001",
        "accepts_applications": True,
    },
    {
        "code": "S01",
        "name": "城关基层法律服务所",
        "kind": "legal_service_office",
        "email": None,
        "director": None,
        "accepts_applications": False,
    },
]
PEOPLE: list[Row] = [
    {"code": "L001", "name": "王律师", "email": "wang@mingli.example.cn", "phone": "0571-88001234",
     "firm": "F01", "role": "lawyer", "desk_pool": True, "active": True},
    {"code": "L002", "name": "李律师", "email": "li@mingli.example.cn", "phone": "13800138000",
     "firm": "F01", "role": "lawyer", "desk_pool": True, "active": True},
    {"code": "W001", "name": "赵法律工作者", "email": None, "phone": None,
     "firm": "S01", "role": "legal_worker", "desk_pool": False, "active": True},
    {"code": "S001", "name": "陈科员", "email": "chen@center.example.cn", "phone": None,
     "firm": None, "role": "staff", "desk_pool": False, "active": True},
    {"code": "D001", "name": "周主任", "email": "zhou@center.example.cn", "phone": None,
     "firm": None, "role": "leader", "desk_pool": False, "active": False},
]  # fmt: skip
_NO_STEPS = {
    "limitation_on": None, "decided_on": None, "decision": None, "assigned_on": None, "lawyer": None,
    "first_contact_on": None, "last_progress_on": None, "next_hearing_on": None, "ended_on": None,
    "closure_submitted_on": None, "return_visit_on": None,
}  # fmt: skip
CASES: list[Row] = [
    {**_NO_STEPS, "case_no": "2012援001", "case_type": "civil", "matter": "追索劳动报酬",
     "applicant": "张三", "applicant_groups": ["migrant_worker", "disabled"], "intake": "arbitration_desk",
     "applied_on": date(2012, 3, 1), "limitation_on": date(2013, 2, 28), "decided_on": date(2012, 3, 5),
     "decision": "granted", "assigned_on": date(2012, 3, 6), "lawyer": "L001",
     "first_contact_on": date(2012, 3, 8), "last_progress_on": date(2012, 4, 1),
     "next_hearing_on": date(2012, 5, 10), "ended_on": date(2012, 6, 1),
     "closure_submitted_on": date(2012, 6, 20), "return_visit_on": date(2012, 7, 1)},
    {**_NO_STEPS, "case_no": "2012援002", "case_type": "criminal", "matter": "盗窃",
     "applicant": "李四", "applicant_groups": ["minor"], "intake": "center", "applied_on": date(2012, 4, 2),
     "decided_on": date(2012, 4, 2), "decision": "granted", "assigned_on": date(2012, 4, 3),
     "lawyer": "W001"},
    {**_NO_STEPS, "case_no": "2012援003", "case_type": "administrative", "matter": None,
     "applicant": "王五", "applicant_groups": [], "intake": "F01", "applied_on": date(2012, 5, 7),
     "decided_on": date(2012, 5, 9), "decision": "denied"},
    {**_NO_STEPS, "case_no": "2012援004", "case_type": "civil", "matter": "交通事故",
     "applicant": "赵六", "applicant_groups": ["elderly", "women"], "intake": None,
     "applied_on": date(2012, 6, 11)},
]  # fmt: skip
CONSULTATIONS: list[Row] = [
    {"date": date(2012, 3, 1), "channel": "hotline_148", "outcome": "answered", "handled_by": "S001",
     "topic": "工资拖欠", "count": 12},
    {"date": date(2012, 3, 1), "channel": "arbitration_desk", "outcome": "converted", "handled_by": "L001",
     "topic": "工伤", "count": 1},
    {"date": date(2012, 3, 2), "channel": "visit", "outcome": "referred", "handled_by": None,
     "topic": None, "count": 3},
]  # fmt: skip
ROSTER: list[Row] = [
    {"date": date(2012, 10, 8), "slot": "am", "person": "L001"},
    {"date": date(2012, 10, 8), "slot": "pm", "person": "L002"},
    {"date": date(2012, 10, 9), "slot": "day", "person": "L001"},
]
LEAVE: list[Row] = [
    {"person": "L001", "start": date(2012, 10, 15), "end": date(2012, 10, 19), "reason": "年休假"},
    {"person": "L002", "start": date(2012, 11, 1), "end": date(2012, 11, 1), "reason": None},
]
SAMPLES: dict[str, list[Row]] = {
    "firms": FIRMS,
    "people": PEOPLE,
    "cases": CASES,
    "consultations": CONSULTATIONS,
    "roster": ROSTER,
    "leave": LEAVE,
}
# What each kind needs in the database before it can be imported.
PREREQUISITES = {"firms": (), "people": ("firms",), "cases": ("firms", "people")}


def write_file(
    folder: Path,
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    fmt: str = "utf-8",
    headers: Sequence[str] | None = None,
    name: str | None = None,
) -> Path:
    """An import file of ``rows`` in ``fmt``: a CSV encoding, or ``xlsx``."""
    headers = list(headers or kind_headers(kind))
    path = folder / (name or f"{kind}.{'xlsx' if fmt == 'xlsx' else 'csv'}")
    if fmt == "xlsx":
        write_xlsx(path, headers, rows)
    else:
        write_csv(path, headers, rows, encoding=fmt)
    return path


def write_titled_xlsx(
    path: Path, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], *, blank_rows: int = 1
) -> Path:
    """A workbook as a case system or a hand-kept sheet exports it: a title merged across the header's
    width on row 1, ``blank_rows`` empty rows, then the header and ``rows``."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    for _ in range(blank_rows):
        sheet.append([None])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def load(rt: Runtime, folder: Path, *kinds: str) -> None:
    """Import the sample rows of ``kinds``, in order (firms before people before the rest)."""
    for kind in kinds:
        import_file(rt, kind, write_file(folder, kind, SAMPLES[kind], name=f"seed-{kind}.csv"))


def load_prerequisites(rt: Runtime, folder: Path, kind: str) -> None:
    load(rt, folder, *PREREQUISITES.get(kind, ("firms", "people")))


_DUMPS = {
    "firms": "SELECT code, name, kind, email, director_code AS director, accepts_applications FROM firms",
    "people": """SELECT p.code, p.name, p.email, p.phone, f.code AS firm, p.role, p.desk_pool, p.active
                 FROM people p LEFT JOIN firms f ON f.id = p.firm_id""",
    "cases": """SELECT c.*, p.code AS lawyer FROM cases c LEFT JOIN people p ON p.id = c.lawyer_id""",
    "consultations": """SELECT c."on" AS date, c.channel, c.outcome, p.code AS handled_by, c.topic, c.count
                        FROM consultations c LEFT JOIN people p ON p.id = c.handled_by_id""",
    "roster": """SELECT d."on" AS date, d.slot, p.code AS person FROM duty_shifts d
                 JOIN people p ON p.id = d.person_id""",
    "leave": """SELECT p.code AS person, l.start, l."end", l.reason FROM leave l
                JOIN people p ON p.id = l.person_id""",
}


def dump(rt: Runtime, kind: str) -> list[Row]:
    """What the database holds for ``kind``, in the sample rows' shape, sorted."""
    headers = kind_headers(kind)
    with rt.engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(text(_DUMPS[kind])).mappings()]
        if kind == "cases":
            groups: dict[int, list[str]] = {}
            for case_id, group in conn.execute(text("SELECT case_id, group_name FROM case_groups")):
                groups.setdefault(case_id, []).append(group)
            for row in rows:
                row["applicant_groups"] = sorted(groups.get(row["id"], []))
    return sorted((normal(row, headers) for row in rows), key=repr)


def expected(kind: str, rows: Sequence[Mapping[str, Any]] | None = None) -> list[Row]:
    headers = kind_headers(kind)
    return sorted((normal(row, headers) for row in (rows or SAMPLES[kind])), key=repr)


def normal(row: Mapping[str, Any], headers: Sequence[str]) -> Row:
    """A row with comparable values: dates as dates, booleans as bools, lists sorted."""
    result: Row = {}
    for name in headers:
        value = row.get(name)
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):  # SQLite hands raw SQL dates back as text
            value = date.fromisoformat(value)
        elif isinstance(value, list | tuple):
            value = sorted(value)
        elif isinstance(value, int) and name in ("accepts_applications", "desk_pool", "active"):
            value = bool(value)
        result[name] = value
    return result
