"""The Celery application: broker, queues, routing, reliability settings and the worker entry point.

``make_celery(settings)`` builds the application; ``workers.app`` (built on first access from the
environment and ``legalaid.toml``) is what ``celery -A workers`` and Flower use.

How to add a task (one line each):

1. Write ``tasks/<area>.py`` with a thin task, named by string::

       @shared_task(name="legalaid.mail.deliver", bind=True)
       def deliver(self, *, message_id: int) -> None:
           mail.deliver(task_runtime().sessions, message_id=message_id)

   and add ``"tasks.<area>",`` to ``TASK_MODULES`` in ``tasks/__init__.py``. The queue follows from the
   name (``legalaid.mail.*`` → ``mail``, ``legalaid.documents.*`` → ``documents``, ``legalaid.reports.*`` →
   ``reports``, anything else → ``default``; the table is ``workers.routing.ROUTES``).
2. To run it on a schedule, add one line to the ``[jobs]`` table of ``schedules/schedule.toml``::

       mail-sweep = { task = "legalaid.mail.sweep", cron = "*/5 * * * *", misfire_grace = 600, comment = "…" }

   A scheduled task is called with the keyword arguments ``job`` (the entry's id) and ``scheduled_for``
   (the tick, ISO 8601 with offset); it passes its domain function to ``tasks._scheduled.run_tick``, which
   claims the tick (``legalaid.jobs``), so that a second firing or a redelivery of the same tick does
   nothing, and hands the mail it queued to the mail queue once committed.

Tasks take plain JSON values only (ids, ISO dates), are acknowledged late and may run twice after a crash:
whatever they change must be keyed so that the second run is a no-op.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from workers.routing import DEFAULT_QUEUE, QUEUES, ROUTES, queue_for

if TYPE_CHECKING:
    from workers.application import make_celery
    from workers.worker import run_worker, worker_argv

# What needs Celery is imported on first use: the queue names alone (``legalaid status``) load no Celery.
_LAZY = {
    "make_celery": "workers.application",
    "run_worker": "workers.worker",
    "worker_argv": "workers.worker",
}

__all__ = [
    "DEFAULT_QUEUE",
    "QUEUES",
    "ROUTES",
    "forget_app",
    "make_celery",
    "queue_for",
    "run_worker",
    "worker_argv",
]

_app: Any = None


def forget_app() -> None:
    """Forget ``workers.app``: the next access builds it again from the settings of that moment (a test
    that built it from its own settings leaves none behind)."""
    global _app
    _app = None


def __getattr__(name: str) -> Any:
    # ``celery -A workers …`` and Flower look for ``workers.app``; build it only when asked.
    global _app
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name == "app":
        if _app is None:
            from legalaid.config import load_settings
            from workers.application import make_celery

            _app = make_celery(load_settings())
        return _app
    raise AttributeError(f"module 'workers' has no attribute {name!r}")
