"""The queues and the one routing table: a task's name says which queue it goes to."""

from __future__ import annotations

from fnmatch import fnmatchcase

DEFAULT_QUEUE = "default"
QUEUES: tuple[str, ...] = ("mail", "documents", "reports", DEFAULT_QUEUE)

# Task-name pattern → queue. Anything unmatched (legalaid.heartbeat, legalaid.reminders.*, …) goes to default.
ROUTES: dict[str, str] = {
    "legalaid.mail.*": "mail",
    "legalaid.documents.*": "documents",
    "legalaid.reports.*": "reports",
}


def queue_for(task_name: str) -> str:
    """The queue a task of this name is sent to (what Celery's task_routes computes from ROUTES)."""
    for pattern, queue in ROUTES.items():
        if fnmatchcase(task_name, pattern):
            return queue
    return DEFAULT_QUEUE


def celery_task_routes() -> dict[str, dict[str, str]]:
    return {pattern: {"queue": queue} for pattern, queue in ROUTES.items()}
