"""Quarterly and annual reports for the leadership and for each firm: Word documents with the seed
report's figures and sentences, an .xlsx appendix with every table, delivered by email on schedule.

``periods`` (statistical years and quarters, pure), ``statistics`` and ``timeliness`` (SQL aggregates),
``collect`` (every figure of one report), ``sentences`` and ``content`` (what the report says, pure),
``charts``, ``document`` and ``appendix`` (the files), ``runs`` (the ledger), ``deliver`` (make, record,
send; the scheduled job).
"""

from legalaid.reports.collect import KINDS, LEADERS, ReportFigures, ReportKind, ReportRequest, UnknownFirm
from legalaid.reports.deliver import (
    PublishReport,
    ReportFailed,
    ReportResult,
    produce_report,
    publish_due,
    render_report,
    reports_dir,
)
from legalaid.reports.periods import (
    Period,
    due_periods,
    parse_quarter,
    parse_year,
    period_containing,
    publication_day,
    statistical_quarter,
    statistical_year,
)

__all__ = [
    "KINDS",
    "LEADERS",
    "Period",
    "PublishReport",
    "ReportFailed",
    "ReportFigures",
    "ReportKind",
    "ReportRequest",
    "ReportResult",
    "UnknownFirm",
    "due_periods",
    "parse_quarter",
    "parse_year",
    "period_containing",
    "produce_report",
    "publication_day",
    "publish_due",
    "render_report",
    "reports_dir",
    "statistical_quarter",
    "statistical_year",
]
