"""Case steps that others must hear of: an assignment (指派) and a decision (给予 / 不予).

``assign_case`` records an assignment; ``notify_case_changes`` turns assignments and decisions into
outbox rows with their Word documents attached, in the caller's transaction, once per change.
"""

from legalaid.casework.assign import assign_case
from legalaid.casework.notices import NoticeReport, import_hook, notify_case_changes

__all__ = ["NoticeReport", "assign_case", "import_hook", "notify_case_changes"]
