"""``/api/v1/reports``: the report ledger, a report built (and, asked, sent) as ``legalaid report`` builds
it, and a run's own files downloaded.

A build runs in the request (a report takes about a second): ``produce_report`` claims the ledger row,
writes the files, and with ``send`` queues the email, handed to the broker after the commit. A file is
served only when its name is one of that run's own two files: the name is compared with the ledger's, never
joined to a folder, so no path reaches outside the reports folder.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel

from legalaid.casework.notices import business_today
from legalaid.config import Settings
from legalaid.errors import UserError
from legalaid.models import ReportRun
from legalaid.reports import ReportRequest, parse_quarter, parse_year, produce_report
from legalaid.reports.appendix import XLSX_MEDIA_TYPE
from legalaid.reports.deliver import ReportResult, default_as_of
from legalaid.reports.document import DOCX_MEDIA_TYPE
from legalaid.reports.periods import Period
from legalaid.reports.runs import find_run, list_runs, run_dict
from legalaid.runtime import Runtime
from web.auth import Reader, Writer
from web.problems import ApiProblem, responses
from web.state import AppRuntime, local_time
from workers.handoff import hand_over_queued

router = APIRouter(tags=["reports"])

MAX_ID = 2**63 - 1
KINDS = ("annual", "quarterly", "firm")
MEDIA_TYPES = {".docx": DOCX_MEDIA_TYPE, ".xlsx": XLSX_MEDIA_TYPE}


class Run(BaseModel):
    """A report of the ledger: one per kind, period and audience (``leaders`` or a firm's code)."""

    id: int
    key: str
    kind: str
    period: str
    audience: str
    status: str  # built, sent, failed
    files: list[str]  # names for GET /reports/runs/{id}/files/{name}
    checksum: str | None
    as_of: date | None
    changes: list[str] | None
    recipients: list[str]
    sends: int
    attempts: int
    error: str | None
    built_at: datetime | None
    sent_at: datetime | None
    failed_at: datetime | None


class Runs(BaseModel):
    runs: list[Run]


class Built(BaseModel):
    """What one build did (``legalaid report … --json``), with the ledger's run."""

    status: str  # built, sent
    headline: list[str]
    changed: bool | None
    changes: list[str] | None
    as_of: date | None
    as_of_basis: str | None
    recipients: list[str]
    outbox_id: int | None
    note: str | None
    problems: list[str]
    figures: dict[str, Any]
    run: Run
    delivery: str | None  # how the email gets delivered when no broker took it at once


def _run(run: ReportRun, runtime: Runtime) -> Run:
    row = run_dict(run)
    files = [FilePath(path).name for path in (run.docx_path, run.xlsx_path) if path]
    for name in ("built_at", "sent_at", "failed_at"):
        value = getattr(run, name)
        row[name] = local_time(value, runtime)
    return Run.model_validate({**row, "id": run.id, "files": files})


@router.get("/reports/runs", response_model=Runs, summary="The report ledger")
def report_runs(runtime: AppRuntime, _caller: Reader) -> Runs:
    """`legalaid report runs --json`: the latest 200 reports, newest first, each with its files, whether
    it was sent, and why the last attempt failed."""
    with runtime.sessions() as session:
        return Runs(runs=[_run(run, runtime) for run in list_runs(session, limit=200)])


@router.post(
    "/reports/{kind}/{period}",
    response_model=Built,
    summary="Build a report (and send it with send=true)",
)
def build_report(
    kind: Literal["annual", "quarterly", "firm"],
    period: Annotated[str, Path(max_length=16, description="A statistical year (2012) or quarter (2012Q1)")],
    runtime: AppRuntime,
    _caller: Writer,
    firm: Annotated[str | None, Query(max_length=64, description="The firm's code (kind firm)")] = None,
    as_of: Annotated[date | None, Query(description="Count the data as of this day")] = None,
    send: bool = False,
    resend: bool = False,
) -> Built:
    """`legalaid report annual|quarterly|firm`: the Word document and workbook written and recorded in
    the ledger; ``send`` mails it unless it was sent before, ``resend`` mails it again all the same."""
    request = report_request(runtime.settings, kind, period, firm)
    result, delivery = make_report(runtime, request, as_of=as_of, send=send, resend=resend)
    with runtime.sessions() as session:
        run = find_run(session, request)
        assert run is not None  # produce_report recorded it
        built = _run(run, runtime)
    answer = result.as_dict()
    for name in ("key", "files", "checksum"):  # the run says them (file names, not server paths)
        answer.pop(name)
    return Built.model_validate({**answer, "run": built, "delivery": delivery})


def report_request(settings: Settings, kind: str, period: str, firm: str | None) -> ReportRequest:
    """Which report ``kind``, ``period`` (2012, 2012Q1) and ``firm`` name, as ``legalaid report`` reads
    them: a UserError line naming the field otherwise. The console's Reports page reads its form with it."""
    if kind not in KINDS:
        raise UserError(f"kind: {kind!r} is not a report ({', '.join(KINDS)})")
    return ReportRequest(
        kind,  # type: ignore[arg-type]  # one of KINDS, checked above
        _period(kind, period, settings.report_year_start_month),
        _firm(kind, firm),
    )


def make_report(
    runtime: Runtime, request: ReportRequest, *, as_of: date | None, send: bool, resend: bool
) -> tuple[ReportResult, str | None]:
    """Build (and send) the report on the business date, its email handed to the broker after the
    commit: the result and how the email gets delivered. The API's build and the console's share it."""
    settings = runtime.settings
    day = default_as_of(settings, request.period, today=business_today(settings), given=as_of)
    result = produce_report(runtime, request, as_of=day, send=send, resend=resend)
    delivery = hand_over_queued(runtime, [result.outbox_id] if result.outbox_id is not None else [])
    return result, delivery


def run_file(runtime: Runtime, run_id: int, name: str) -> tuple[FilePath, dict[str, str]]:
    """One of a run's own two files by its name, with its download headers; LookupError (the line to
    show) for anything else. The API's file route and the console's download share it."""
    with runtime.sessions() as session:
        run = session.get(ReportRun, run_id)
        if run is None:
            raise LookupError(f"no report run {run_id}")
        paths = {FilePath(p).name: FilePath(p) for p in (run.docx_path, run.xlsx_path) if p}
        fallback = f"report-{run.kind}-{run.period}-{run.audience}"
    path = paths.get(name)
    if path is None:
        raise LookupError(f"report run {run_id} has no file {name!r}")
    if not path.is_file():
        raise LookupError(f"{name}: the file of report run {run_id} is gone; build the report again")
    ascii_name = "".join(c if c.isalnum() and c.isascii() else "-" for c in fallback) + path.suffix
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    return path, {
        "Content-Disposition": disposition,
        "Content-Type": MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
    }


def _period(kind: str, text: str, start_month: int) -> Period:
    if kind == "annual" or (kind == "firm" and "q" not in text.lower()):
        return parse_year(text, start_month=start_month, option="period")
    return parse_quarter(text, start_month=start_month, option="period")


def _firm(kind: str, firm: str | None) -> str | None:
    code = (firm or "").strip()
    if kind == "firm" and not code:
        raise UserError("firm: a firm's report needs ?firm=CODE")
    if kind != "firm" and firm is not None:
        raise UserError(f"firm: only a firm's report takes it, not the {kind} report")
    return code or None


@router.get(
    "/reports/runs/{run_id}/files/{name}",
    summary="One of a run's files (.docx or .xlsx)",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The file",
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES.values()
            },
        },
        **responses(404),
    },
)
def report_file(
    run_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    name: Annotated[str, Path(max_length=255)],
    runtime: AppRuntime,
    _caller: Reader,
) -> FileResponse:
    """The Word document or workbook of the run's last build, by its own name (see ``files`` of the run);
    any other name is 404."""
    try:
        path, headers = run_file(runtime, run_id, name)
    except LookupError as missing:
        raise ApiProblem(404, str(missing)) from None
    media_type = headers.pop("Content-Type")
    return FileResponse(path, media_type=media_type, headers=headers)
