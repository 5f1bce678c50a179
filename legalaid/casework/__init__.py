"""Case steps that others must hear of: an assignment (指派) and a decision (给予 / 不予).

``assign_case`` records an assignment (``assign_and_notify`` with its notices); ``notify_case_changes``
turns assignments and decisions into outbox rows with their Word documents attached, in the caller's
transaction, once per change; ``import_file_with_notices`` (and ``…_rows…``) is an import with them.
"""

from legalaid.casework.assign import Assignment, assign_and_notify, assign_case
from legalaid.casework.imports import ImportWithNotices, import_file_with_notices, import_rows_with_notices
from legalaid.casework.notices import NoticeReport, import_hook, notify_case_changes

__all__ = [
    "Assignment",
    "ImportWithNotices",
    "NoticeReport",
    "assign_and_notify",
    "assign_case",
    "import_file_with_notices",
    "import_hook",
    "import_rows_with_notices",
    "notify_case_changes",
]
