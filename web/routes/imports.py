"""``POST /api/v1/import/{kind}``: a CSV or XLSX file imported as ``legalaid import KIND FILE`` imports it.

The upload is written to a temporary folder under the name it was uploaded with (its extension kept) and
handed to the same sequence the command line runs (``legalaid.casework.import_file_with_notices``): the
same checks, all or nothing, the notices of the assignments and decisions it makes queued in its
transaction; the queued mail goes to the broker after the commit. Bad rows are a 422 whose ``problems``
name each row and column. ``ImportOut`` is also the answer of ``POST /consultations``.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.config import JsonDict

from legalaid.casework import ImportWithNotices, import_file_with_notices
from legalaid.importing import KINDS, Shape, kind_shapes
from web.auth import Writer
from web.problems import ApiProblem, responses
from web.state import AppRuntime
from workers.handoff import hand_over_queued

router = APIRouter(tags=["import"])

DryRun = Annotated[bool, Query(description="Check and count; write and send nothing.")]
# A name that says nothing of where the upload came from, for a part sent without a file name.
_UNNAMED = "upload"
_MAX_NAME = 80  # characters: a file system takes 255 bytes, and a Chinese character is 3 of them


class AssignmentChangeOut(BaseModel):
    case_no: str
    old_lawyer: str | None
    new_lawyer: str | None
    assigned_on: date | None


class DecisionChangeOut(BaseModel):
    case_no: str
    decision: str | None
    decided_on: date | None


class NoticesOut(BaseModel):
    """The notices of the changes: the outbox rows queued, and the notices that could not be sent."""

    outbox_ids: list[int]
    problems: list[str]
    note: str | None  # when the mail waits for the worker's sweep instead of going to the broker now


class ImportOut(BaseModel):
    """What the import did (in a dry run: would do); the counts of ``legalaid import --json``."""

    kind: str
    file: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    dry_run: bool
    skipped_reason: str | None  # why nothing was done (the same consultations imported before)
    import_id: int | None
    notes: list[str]
    assignment_changes: list[AssignmentChangeOut]
    decision_changes: list[DecisionChangeOut]
    notices: NoticesOut


def import_out(runtime: AppRuntime, done: ImportWithNotices) -> ImportOut:
    """The answer of an import that went through, its queued mail handed over (it has committed)."""
    # The result's fields are the answer's, as ``legalaid import --json`` prints them (``as_dict``).
    notices = NoticesOut(
        outbox_ids=done.outbox_ids, problems=done.problems, note=hand_over_queued(runtime, done.outbox_ids)
    )
    return ImportOut.model_validate({**done.result.as_dict(), "notices": notices})


@router.post(
    "/import/{kind}",
    response_model=ImportOut,
    summary="Import a CSV or XLSX file: every row checked, all or nothing",
    responses=responses(404),
)
def import_upload(
    runtime: AppRuntime,
    _caller: Writer,
    kind: Annotated[str, Path(description=f"One of {', '.join(KINDS)}", examples=["cases"])],
    file: Annotated[UploadFile, File(description="CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX")],
    dry_run: DryRun = False,
) -> ImportOut:
    """The file of ``kind`` imported as ``legalaid import`` imports it; 422 with every bad row in
    ``problems`` (``row`` as a spreadsheet numbers it, the header being row 1), nothing written."""
    if kind not in KINDS:
        raise ApiProblem(404, f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
    name = upload_name(file.filename)
    with tempfile.TemporaryDirectory(prefix="legalaid-upload-") as folder:
        path = FilePath(folder) / name
        path.write_bytes(file.file.read())  # bounded by web_max_upload_mb before it got here
        done = import_file_with_notices(runtime, kind, path, dry_run=dry_run, name=name)
    return import_out(runtime, done)


def upload_name(filename: str | None) -> str:
    """The uploaded file's name, fit to save: its last part only (a client's path is not the server's,
    nor may it leave the folder), no control characters, at most ``_MAX_NAME`` characters with its
    extension kept (the extension is part of what the problems quote)."""
    name = FilePath((filename or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if name in ("", ".", ".."):
        return _UNNAMED
    stem, dot, extension = name.rpartition(".")
    if len(name) > _MAX_NAME:
        name = (
            f"{stem[: _MAX_NAME - len(extension) - 1]}.{extension}"
            if dot and len(extension) < 10
            else name[:_MAX_NAME]
        )
    return name


_JSON_TYPES: dict[Shape, Any] = {
    "text": str,
    "date": str,  # parsed by the importer, which names the row and column of a bad one
    "list": list[str],
    "count": int,
    "yes_no": bool,
}


def rows_model(kind: str, name: str, *, leave_out: tuple[str, ...] = ()) -> type[BaseModel]:
    """A request model of one row of ``kind``: the import's columns by English name, no other field.

    Only the JSON types are checked here; the values are the importer's to check, with its messages
    (``import_rows``). A field left out is a column left out (left alone on an update); ``null`` is an
    empty cell (cleared)."""
    fields: dict[str, Any] = {}
    for column, (zh, shape, required) in kind_shapes(kind).items():
        if column in leave_out:
            continue
        extra: JsonDict = {"format": "date"} if shape == "date" else {}
        json_type = _JSON_TYPES[shape]
        if required:
            fields[column] = (json_type, Field(description=zh, json_schema_extra=extra))
        else:
            fields[column] = (json_type | None, Field(None, description=zh, json_schema_extra=extra))
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


def given_fields(row: object) -> dict[str, Any]:
    """A ``rows_model`` row as the importer takes it: the fields the client gave (``null`` included)."""
    assert isinstance(row, BaseModel)
    return row.model_dump(exclude_unset=True)
