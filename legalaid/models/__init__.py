"""SQLAlchemy models, one module per aggregate; importing this package registers every table."""

from legalaid.models.base import Base, UTCDateTime, utcnow
from legalaid.models.cases import CASE_DATE_FIELDS, Case, CaseEvent, CaseGroup
from legalaid.models.consultations import Consultation
from legalaid.models.people import Firm, Person
from legalaid.models.roster import DutyShift, Leave
from legalaid.models.runs import ImportRecord, JobRun, LeaderLock

__all__ = [
    "CASE_DATE_FIELDS",
    "Base",
    "Case",
    "CaseEvent",
    "CaseGroup",
    "Consultation",
    "DutyShift",
    "Firm",
    "ImportRecord",
    "JobRun",
    "LeaderLock",
    "Leave",
    "Person",
    "UTCDateTime",
    "utcnow",
]
