"""The scheduler process: the schedule table, the leader lock loop, and APScheduler jobs that only enqueue.

``schedule.toml`` beside this file is the table (one line per job; the setting ``schedule_file`` replaces it).
``run_scheduler(settings)`` is ``legalaid scheduler``. While it leads, it records every tick before sending it
and sweeps the ticks the broker lost or a killed worker left (``schedules.dispatch``, ``legalaid.jobs``).
"""

from schedules.dispatch import Sweeper, TickDispatcher
from schedules.process import SchedulerProcess, check_tasks, run_scheduler
from schedules.scheduler import ENQUEUE, EnqueueExecutor, Reconciled, enqueue, open_scheduler, reconcile
from schedules.table import SHIPPED_SCHEDULE, ScheduleEntry, load_schedule, parse_entry, schedule_path

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
