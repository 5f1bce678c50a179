"""The scheduler process: the schedule table, the leader lock loop, and APScheduler jobs that only enqueue.

``schedule.toml`` beside this file is the table (one line per job; the setting ``schedule_file`` replaces it).
``run_scheduler(settings)`` is ``legalaid scheduler``. While it leads, it records every tick before sending it
and sweeps the ticks the broker lost or a killed worker left (``schedules.dispatch``, ``legalaid.jobs``).
"""

import importlib
from typing import TYPE_CHECKING, Any

from schedules.table import SHIPPED_SCHEDULE, ScheduleEntry, load_schedule, parse_entry, schedule_path

if TYPE_CHECKING:
    from schedules.dispatch import Sweeper, TickDispatcher
    from schedules.process import SchedulerProcess, check_tasks, run_scheduler
    from schedules.scheduler import ENQUEUE, EnqueueExecutor, Reconciled, enqueue, open_scheduler, reconcile

# The process (APScheduler's scheduler, the Celery app it sends with) is imported on first use: reading the
# table (``legalaid status`` checks it) loads neither.
_LAZY = {
    **dict.fromkeys(("Sweeper", "TickDispatcher"), "schedules.dispatch"),
    **dict.fromkeys(("SchedulerProcess", "check_tasks", "run_scheduler"), "schedules.process"),
    **dict.fromkeys(
        ("ENQUEUE", "EnqueueExecutor", "Reconciled", "enqueue", "open_scheduler", "reconcile"),
        "schedules.scheduler",
    ),
}

__all__ = [
    "ENQUEUE",
    "SHIPPED_SCHEDULE",
    "EnqueueExecutor",
    "Reconciled",
    "ScheduleEntry",
    "SchedulerProcess",
    "Sweeper",
    "TickDispatcher",
    "check_tasks",
    "enqueue",
    "load_schedule",
    "open_scheduler",
    "parse_entry",
    "reconcile",
    "run_scheduler",
    "schedule_path",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'schedules' has no attribute {name!r}")
