"""The labor-arbitration desk (劳动仲裁委法律援助咨询点): duty rotation, checks, swaps and notices.

Pure functions of plain data: ``generate_rotation`` (the fair rotation), ``find_problems`` (the checks) and
``measure`` (the quality figures).
"""

from legalaid.roster.checks import KINDS, Problem, RosterView, find_problems, loads
from legalaid.roster.data import Away, Desk, Member, Shift, desk_days
from legalaid.roster.generate import Rotation, Unfilled, generate_rotation
from legalaid.roster.quality import Quality, measure

__all__ = [
    "KINDS",
    "Away",
    "Desk",
    "Member",
    "Problem",
    "Quality",
    "RosterView",
    "Rotation",
    "Shift",
    "Unfilled",
    "desk_days",
    "find_problems",
    "generate_rotation",
    "loads",
    "measure",
]
