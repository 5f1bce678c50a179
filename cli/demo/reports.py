"""The reports' step of ``legalaid demo``: the annual report of the demo's statistical year.

The demo center's year runs from 1 November (the seed's), whatever ``report_year_start_month`` says, so the
period is built from the demo data's own year. The report is written to ``<data_dir>/reports`` and recorded
in the ledger; with the embedded ``file`` transport it is also mailed to the leaders as an .eml file (the
headline figures in the body, the Word report and the workbook attached), and not mailed at all over SMTP
(the demo's addresses are made up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from legalaid.mail import flush, make_transport
from legalaid.reports.collect import ReportRequest
from legalaid.reports.deliver import produce_report, reports_dir
from legalaid.reports.periods import statistical_year

if TYPE_CHECKING:
    from cli.demo.run import DemoContext

DEMO_YEAR_START_MONTH = 11  # the seed center's statistical year: 1 November to 31 October


def demo_report(context: DemoContext) -> dict[str, Any]:
    """Write (and with the file transport, mail) the annual report of the demo's current year."""
    rt, data = context.rt, context.data
    _previous, current = data.years
    period = statistical_year(current.label, start_month=DEMO_YEAR_START_MONTH)
    assert (period.start, period.end) == (current.start, current.end)
    send = rt.settings.mail_transport == "file"
    result = produce_report(rt, ReportRequest("annual", period), as_of=data.as_of, send=send)
    if send:
        flush(rt, transport=make_transport(rt.settings))
    return {
        "period": period.key,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "status": result.status,
        "files": [str(path) for path in result.files],
        "folder": str(reports_dir(rt.settings)),
        "recipients": result.recipients,
        "headline": result.headline,
    }
