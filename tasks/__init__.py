"""Celery tasks: thin doors into ``legalaid/``, one module per area.

A task takes plain values (ids, ISO times), gets this process's runtime from ``tasks._runtime`` and calls one
function in ``legalaid/`` that a test can call without a broker. Its name is ``legalaid.<area>.<verb>``
(``legalaid.heartbeat`` for the heartbeat), which also chooses its queue (see ``workers.routing``).

TASK_MODULES is the list the worker imports; a new task module is one more line here.
"""

TASK_MODULES: tuple[str, ...] = (
    "tasks.heartbeat",
    "tasks.mail",
    "tasks.reminders",
    "tasks.reports",
    "tasks.roster",
)

__all__ = ["TASK_MODULES"]
