"""``/reports``: the report ledger (``legalaid report runs``), a report built (annual, quarterly or a
firm's, for a period, optionally as of a day), its files downloaded, and a report sent or sent again.

The build, the send and the download are the API's own functions (``web.routes.reports``:
``report_request``, ``make_report``, ``run_file``), which are ``legalaid report``'s ``produce_report``
with the email handed to the broker after the commit; a refusal (a bad period, an unknown firm) is the
command line's one line, shown at the form.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse

from legalaid.errors import UserError
from legalaid.models import ReportRun
from legalaid.reports.runs import list_runs
from legalaid.runtime import Runtime
from web.console.pages import ConsoleError, CsrfChecked, CurrentViewer, NavItem, render
from web.routes.reports import KINDS, make_report, report_request, run_file
from web.state import AppRuntime

router = APIRouter()
NAV = NavItem("/reports", "nav_reports", order=60)
SHOWN = 200  # as `legalaid report runs` and the API's ledger


@router.get("/reports")
def reports_page(request: Request, runtime: AppRuntime, _viewer: CurrentViewer) -> HTMLResponse:
    return _page(request, runtime)


def _page(
    request: Request,
    runtime: Runtime,
    *,
    status_code: int = 200,
    error: str | None = None,
    built: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    tz = runtime.settings.tz
    with runtime.sessions() as session:
        runs = [_row(run, tz) for run in list_runs(session, limit=SHOWN)]
    return render(
        request,
        "reports.html",
        status_code=status_code,
        runs=runs,
        kinds=KINDS,
        error=error,
        built=built,
        form=form or {"kind": "quarterly", "period": "", "firm": "", "as_of": ""},
    )


def _row(run: ReportRun, tz: Any) -> dict[str, Any]:
    def local(value: Any) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else "—"

    changes = run.changes
    note = run.error or ""
    if not note and isinstance(changes, list):
        note = "; ".join(map(str, changes))
    return {
        "id": run.id,
        "kind": run.kind,
        "period": run.period,
        "audience": run.audience,
        "firm": run.audience if run.kind == "firm" else "",
        "status": run.status,
        "as_of": run.as_of,
        "sends": run.sends,
        "built_at": local(run.built_at),
        "sent_at": local(run.sent_at),
        "note": note,
        "files": [Path(p).name for p in (run.docx_path, run.xlsx_path) if p],
    }


@router.post("/reports/build")
def build(
    request: Request,
    runtime: AppRuntime,
    _viewer: CsrfChecked,
    kind: Annotated[str, Form()] = "",
    period: Annotated[str, Form(max_length=16)] = "",
    firm: Annotated[str, Form(max_length=64)] = "",
    as_of: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "build",
) -> HTMLResponse:
    """Build the report; ``action`` ``send`` mails it unless it was sent before, ``resend`` again all the
    same (``legalaid report … --send`` / ``--resend``)."""
    form = {"kind": kind, "period": period, "firm": firm, "as_of": as_of}
    try:
        day = _as_of(as_of)
        wanted = report_request(runtime.settings, kind, period.strip(), firm.strip() or None)
        result, delivery = make_report(
            runtime, wanted, as_of=day, send=action == "send", resend=action == "resend"
        )
    except UserError as refused:
        return _page(request, runtime, status_code=422, error=str(refused), form=form)
    built = {
        "status": result.status,
        "headline": result.headline,
        "recipients": result.recipients,
        "note": result.note,
        "delivery": delivery,
        "problems": result.problems,
    }
    return _page(request, runtime, built=built, form=form)


def _as_of(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"as_of: {value!r} is not a date (YYYY-MM-DD)") from None


@router.get("/reports/runs/{run_id}/files/{name}")
def download(runtime: AppRuntime, _viewer: CurrentViewer, run_id: int, name: str) -> FileResponse:
    """One of the run's own two files, by its name (any other name is 404)."""
    try:
        path, headers = run_file(runtime, run_id, name)
    except LookupError:
        raise ConsoleError(404, "not_found") from None
    media_type = headers.pop("Content-Type")
    return FileResponse(path, media_type=media_type, headers=headers)
