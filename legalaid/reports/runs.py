"""The report ledger (``report_runs``): one row per (kind, period, audience), claimed before a report is
built so that two runs of the same report (two schedulers, a retry, a person at the command line) take
turns, and the second finds it sent.

Nothing here commits: each function works in the caller's transaction, except that the caller records a
failure in a transaction of its own (the one that failed was rolled back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.db import insert_if_absent
from legalaid.models.base import utcnow
from legalaid.models.reports import REPORT_BUILT, REPORT_FAILED, REPORT_SENT, ReportRun
from legalaid.reports.collect import ReportRequest

ERROR_LIMIT = 2000


def _insert_if_absent(session: Session, request: ReportRequest, *, locale: str, now: datetime) -> None:
    values = {
        "kind": request.kind,
        "period": request.period.key,
        "audience": request.audience,
        "locale": locale,
        "status": REPORT_BUILT,
        "headline": [],
        "recipients": [],
        "sends": 0,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
    session.execute(insert_if_absent(session, ReportRun, key=["kind", "period", "audience"]).values(values))


def find_run(session: Session, request: ReportRequest) -> ReportRun | None:
    return session.scalars(
        select(ReportRun).where(
            ReportRun.kind == request.kind,
            ReportRun.period == request.period.key,
            ReportRun.audience == request.audience,
        )
    ).one_or_none()


def claim_run(
    session: Session, request: ReportRequest, *, locale: str, now: datetime | None = None
) -> ReportRun:
    """The report's row, created if absent and locked until the caller's transaction ends (PostgreSQL:
    ``FOR UPDATE``; SQLite: the write transaction is the database's only writer anyway)."""
    now = now or utcnow()
    _insert_if_absent(session, request, locale=locale, now=now)
    run = session.scalars(
        select(ReportRun)
        .where(
            ReportRun.kind == request.kind,
            ReportRun.period == request.period.key,
            ReportRun.audience == request.audience,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    run.attempts += 1
    return run


def flat_figures(figures: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested figures (``figures_dict``) as one level of dotted names: ``timeliness.decided.on_time``."""
    flat: dict[str, Any] = {}
    for name, value in figures.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(flat_figures(value, f"{key}."))
        elif isinstance(value, list | tuple):
            flat.update(flat_figures({str(i): v for i, v in enumerate(value)}, f"{key}."))
        else:
            flat[key] = value
    return flat


def figure_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str] | None:
    """Each figure that differs, as ``name: old → new`` (``—`` for a figure one side lacks), in name
    order; None when the figures before are not known."""
    if before is None:
        return None
    names = sorted(set(before) | set(after))
    return [
        f"{name}: {before.get(name, '—')} → {after.get(name, '—')}"
        for name in names
        if before.get(name, "—") != after.get(name, "—")
    ]


def record_built(
    run: ReportRun,
    *,
    docx_path: Path,
    xlsx_path: Path,
    checksum: str,
    headline: Sequence[str],
    locale: str,
    as_of: date,
    figures: Mapping[str, Any],
    now: datetime | None = None,
) -> None:
    """The files are written: their paths, the document's checksum, the as-of day and the figures (with
    the figures this build changed, when there was a build before). A sent report stays ``sent``."""
    now = now or utcnow()
    flat = flat_figures(figures)
    if run.checksum is not None:
        run.changes = figure_changes(run.figures, flat)
    run.as_of, run.figures = as_of, flat
    run.docx_path, run.xlsx_path, run.checksum = str(docx_path), str(xlsx_path), checksum
    run.headline, run.locale = list(headline), locale
    run.built_at, run.updated_at, run.error = now, now, None
    if run.status != REPORT_SENT:
        run.status = REPORT_BUILT


def record_sent(run: ReportRun, *, recipients: Sequence[str], now: datetime | None = None) -> None:
    now = now or utcnow()
    run.status, run.recipients, run.sends = REPORT_SENT, list(recipients), run.sends + 1
    run.sent_at = run.updated_at = now
    run.error = None


def send_key(request: ReportRequest, sends: int) -> str:
    """The outbox key of the next email of this report: ``report:annual:2012:leaders`` the first time,
    ``…:2``, ``…:3`` for each ``--resend``."""
    return request.key if sends == 0 else f"{request.key}:{sends + 1}"


def record_failure(
    session: Session, request: ReportRequest, *, error: str, locale: str, now: datetime | None = None
) -> None:
    """Mark the report failed with ``error`` (its own transaction: the one that failed was rolled back).

    A report that was sent before keeps its files and recipients; its status says the last attempt failed.
    """
    now = now or utcnow()
    _insert_if_absent(session, request, locale=locale, now=now)
    run = find_run(session, request)
    assert run is not None
    run.status, run.error = REPORT_FAILED, error[:ERROR_LIMIT]
    run.failed_at = run.updated_at = now
    run.attempts += 1


def failed_runs(session: Session) -> list[ReportRun]:
    """Reports whose last attempt failed, oldest first: what ``legalaid status`` reports."""
    return list(
        session.scalars(select(ReportRun).where(ReportRun.status == REPORT_FAILED).order_by(ReportRun.id))
    )


def list_runs(session: Session, *, limit: int = 50) -> list[ReportRun]:
    """The latest reports, newest first."""
    return list(session.scalars(select(ReportRun).order_by(ReportRun.updated_at.desc()).limit(limit)))


def run_dict(run: ReportRun) -> dict[str, object]:
    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "key": f"report:{run.kind}:{run.period}:{run.audience}",
        "kind": run.kind,
        "period": run.period,
        "audience": run.audience,
        "status": run.status,
        "docx": run.docx_path,
        "xlsx": run.xlsx_path,
        "checksum": run.checksum,
        "as_of": run.as_of.isoformat() if run.as_of else None,
        "changes": run.changes,
        "recipients": run.recipients,
        "sends": run.sends,
        "attempts": run.attempts,
        "error": run.error,
        "built_at": when(run.built_at),
        "sent_at": when(run.sent_at),
        "failed_at": when(run.failed_at),
    }


__all__ = [
    "REPORT_BUILT",
    "REPORT_FAILED",
    "REPORT_SENT",
    "claim_run",
    "failed_runs",
    "figure_changes",
    "flat_figures",
    "find_run",
    "list_runs",
    "record_built",
    "record_failure",
    "record_sent",
    "run_dict",
    "send_key",
]
