"""The labor-arbitration desk (劳动仲裁委法律援助咨询点): duty rotation, checks, swaps and notices.

Pure functions of plain data: ``generate_rotation`` (the fair rotation), ``find_problems`` (the checks) and
``measure`` (the quality figures). The database and the outbox: ``store`` (windows, the change log),
``swap`` (swaps, leave, writing a rotation), ``notices`` (week ahead, day before, changes), ``alerts`` (the
daily check), ``month_report`` (the desk's monthly report), ``ics`` (iCalendar) and ``document`` (the
值班安排表).
"""

from legalaid.roster.alerts import alerts
from legalaid.roster.checks import KINDS, Problem, RosterView, find_problems, loads
from legalaid.roster.data import Away, Desk, Member, Shift, desk_days
from legalaid.roster.generate import Rotation, Unfilled, generate_rotation
from legalaid.roster.mailing import NoticeRun
from legalaid.roster.month_report import MonthFigures, month_figures, month_report
from legalaid.roster.notices import day_before, notify_changes, week_ahead
from legalaid.roster.quality import Quality, measure
from legalaid.roster.store import Window, load_window, rotate
from legalaid.roster.swap import ChangeResult, add_leave, swap, write_rotation

__all__ = [
    "KINDS",
    "Away",
    "ChangeResult",
    "Desk",
    "Member",
    "MonthFigures",
    "NoticeRun",
    "Problem",
    "Quality",
    "RosterView",
    "Rotation",
    "Shift",
    "Unfilled",
    "Window",
    "add_leave",
    "alerts",
    "day_before",
    "desk_days",
    "find_problems",
    "generate_rotation",
    "load_window",
    "loads",
    "month_figures",
    "month_report",
    "measure",
    "notify_changes",
    "rotate",
    "swap",
    "week_ahead",
    "write_rotation",
]
