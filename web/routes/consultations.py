"""``POST /api/v1/consultations``: consultations as ``legalaid import consultations`` takes them, as a JSON
array of rows with the import's column names: appended, all or nothing, the same rows sent again
skipped (as the same file imported again is)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from legalaid.casework import import_rows_with_notices
from web.auth import Writer
from web.routes.imports import DryRun, ImportOut, given_fields, import_out, rows_model
from web.state import AppRuntime

router = APIRouter(tags=["consultations"])

ConsultationFields = rows_model("consultations", "ConsultationFields")


@router.post(
    "/consultations",
    response_model=ImportOut,
    summary="Append consultations, as a consultations import",
)
def post_consultations(
    runtime: AppRuntime,
    _caller: Writer,
    rows: Annotated[list[ConsultationFields], Body(min_length=1)],  # type: ignore[valid-type]
    dry_run: DryRun = False,
) -> ImportOut:
    """The rows appended as an import appends a file's; 422 with every bad row in ``problems`` (``row``:
    the item's place in the array, 1 the first), nothing written."""
    plain = [given_fields(row) for row in rows]
    done = import_rows_with_notices(runtime, "consultations", plain, dry_run=dry_run)
    return import_out(runtime, done)
