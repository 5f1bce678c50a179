"""``/import``: upload a CSV or XLSX file of one import kind, see every problem by row and column before
anything is written, then confirm.

The upload is checked with the command line's and the API's sequence as a dry run
(``import_file_with_notices(dry_run=True)``: nothing written, not even the ``imports`` record) and kept
server-side (``web.console.uploads``: a folder per upload with a random id, bound to the user). The
confirm form names that id only; the same file is then imported for real, its notices queued in the same
transaction and handed over after the commit (``workers.handoff``), and the folder removed. A file with
bad rows is never kept: its problems are shown and it is discarded.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from legalaid.casework import import_file_with_notices
from legalaid.errors import UserError
from legalaid.importing import KINDS, ImportFailed, ImportResult
from web.console import uploads
from web.console.pages import ConsoleError, CsrfChecked, CurrentViewer, NavItem, Viewer, render
from web.routes.imports import upload_name
from web.state import AppRuntime
from workers.handoff import hand_over_queued

router = APIRouter()
NAV = NavItem("/import", "nav_import", order=30)
log = logging.getLogger(__name__)


@router.get("/import")
def import_page(request: Request, _viewer: CurrentViewer) -> HTMLResponse:
    return _form(request)


def _form(request: Request, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    defaults: dict[str, Any] = {
        "kind": KINDS[0],
        "error": None,
        "error_key": None,
        "problems": None,
        "file": None,
    }
    return render(request, "import.html", status_code=status_code, kinds=KINDS, **{**defaults, **context})


@router.post("/import/check")
def check(
    request: Request,
    runtime: AppRuntime,
    viewer: CsrfChecked,
    file: Annotated[UploadFile | None, File()] = None,
    kind: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The dry run: every problem of the file, or what the import would do and the confirm form."""
    if kind not in KINDS:
        return _form(request, status_code=422, error_key="import_bad_kind")
    if file is None or not file.filename:
        return _form(request, status_code=422, kind=kind, error_key="import_no_file")
    name = upload_name(file.filename)
    # The body's size is bounded by web_max_upload_mb (web.limits) before it gets here.
    kept = uploads.keep(runtime.settings, user_id=viewer.user_id, kind=kind, name=name, data=file.file.read())
    try:
        done = import_file_with_notices(runtime, kind, kept.path, dry_run=True, name=name)
    except ImportFailed as exc:
        uploads.discard(runtime.settings, kept.id)
        return _form(request, status_code=422, kind=kind, file=name, problems=exc.problems)
    except UserError as exc:
        uploads.discard(runtime.settings, kept.id)
        return _form(request, status_code=422, kind=kind, file=name, error=str(exc))
    return render(request, "import_check.html", upload=kept.id, result=_counts(done.result))


@router.post("/import/confirm")
def confirm(
    request: Request,
    runtime: AppRuntime,
    viewer: CsrfChecked,
    upload: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The kept file imported for real (the kind chosen at the upload), then its folder removed."""
    kept = uploads.find(runtime.settings, upload, user_id=viewer.user_id)
    if kept is None:
        raise ConsoleError(404, "import_upload_gone")
    try:
        done = import_file_with_notices(runtime, kept.kind, kept.path, name=kept.name)
    except ImportFailed as exc:  # the database changed since the dry run (another import, a new person)
        return _form(request, status_code=422, kind=kept.kind, file=kept.name, problems=exc.problems)
    except UserError as exc:
        return _form(request, status_code=422, kind=kept.kind, file=kept.name, error=str(exc))
    finally:
        uploads.discard(runtime.settings, kept.id)
    _log_import(viewer, done.result)
    note = hand_over_queued(runtime, done.outbox_ids)
    return render(
        request,
        "import_done.html",
        result=_counts(done.result),
        queued=len(done.outbox_ids),
        notice_problems=done.problems,
        note=note,
    )


def _counts(result: ImportResult) -> dict[str, Any]:
    return {
        "kind": result.kind,
        "file": result.file,
        "rows": result.rows,
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "skipped_reason": result.skipped_reason,
        "notes": result.notes,
        "assignments": len(result.assignment_changes),
        "decisions": len(result.decision_changes),
    }


def _log_import(viewer: Viewer, result: ImportResult) -> None:
    # The imports table records the file, not the person: the log says who imported it.
    log.info("import %s (%s) by user %s: %s", result.import_id, result.kind, viewer.code, result.summary())
