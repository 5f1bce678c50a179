"""SQLAlchemy models, one module per aggregate; importing this package registers every table."""

from legalaid.models.actions import ActionToken, SwapRequest
from legalaid.models.api import ApiToken, IdempotencyRecord
from legalaid.models.base import Base, UTCDateTime, utcnow
from legalaid.models.cases import CASE_DATE_FIELDS, Case, CaseEvent, CaseGroup
from legalaid.models.consultations import Consultation
from legalaid.models.documents import DocumentNumber, DocumentNumberCounter, GeneratedDocument
from legalaid.models.feeds import CalendarFeed
from legalaid.models.outbox import OutboxAttachment, OutboxMessage
from legalaid.models.people import Firm, Person
from legalaid.models.reminders import ReminderDelivery, ReminderSent
from legalaid.models.reports import ReportRun
from legalaid.models.roster import DutyShift, Leave
from legalaid.models.roster_log import DutyChange, RosterAlert, RosterRequest
from legalaid.models.runs import ImportRecord, JobRun, LeaderLock
from legalaid.models.users import SignInFailure, User

__all__ = [
    "ActionToken",
    "ApiToken",
    "CalendarFeed",
    "CASE_DATE_FIELDS",
    "Base",
    "Case",
    "CaseEvent",
    "CaseGroup",
    "Consultation",
    "DocumentNumber",
    "DocumentNumberCounter",
    "DutyChange",
    "DutyShift",
    "Firm",
    "GeneratedDocument",
    "IdempotencyRecord",
    "ImportRecord",
    "JobRun",
    "LeaderLock",
    "OutboxAttachment",
    "OutboxMessage",
    "Leave",
    "Person",
    "ReminderDelivery",
    "ReminderSent",
    "ReportRun",
    "RosterAlert",
    "RosterRequest",
    "SignInFailure",
    "SwapRequest",
    "User",
    "UTCDateTime",
    "utcnow",
]
