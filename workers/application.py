"""``make_celery(settings)``: the Celery application with its broker, queues and reliability settings."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun
from kombu.entity import Exchange, Queue

from legalaid.config import Settings
from legalaid.logs import bind_log_context, clear_log_context
from tasks import TASK_MODULES, _runtime
from workers.routing import DEFAULT_QUEUE, QUEUES, celery_task_routes

# Redis re-delivers an unacknowledged message after this long. It must exceed the longest task (late acks
# keep a message unacknowledged while its task runs) and every countdown; long waits live in the database.
REDIS_VISIBILITY_TIMEOUT = 2 * 3600


def broker_transport_options(settings: Settings) -> dict[str, Any]:
    """Redis: the visibility timeout. Filesystem (embedded): the folders, created here."""
    if settings.uses_redis:
        return {"visibility_timeout": max(REDIS_VISIBILITY_TIMEOUT, 2 * settings.task_time_limit)}
    folders = filesystem_folders(settings.broker_folder)
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    # Producers write where consumers read: one shared message folder for both directions.
    return {
        "data_folder_in": str(folders["messages"]),
        "data_folder_out": str(folders["messages"]),
        "control_folder": str(folders["control"]),
    }


def broker_url(settings: Settings) -> str:
    url = settings.resolved_broker_url
    # kombu warns "No hostname was supplied" on every connection to a bare filesystem://.
    return "filesystem://localhost/" if url == "filesystem://" else url


def filesystem_folders(root: Path) -> dict[str, Path]:
    return {"messages": root / "messages", "control": root / "control"}


def _name_the_task_in_the_log(*, task_id: str, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
    """Every line logged while a task runs carries its id, and a scheduled tick's its job id (the
    scheduler passes ``job`` to every task it sends), Celery's own "succeeded" line included."""
    clear_log_context()
    job = kwargs.get("job") if isinstance(kwargs, dict) else None
    bind_log_context(task_id=task_id, job=job if isinstance(job, str) else None)


def _forget_the_task(**_: Any) -> None:
    clear_log_context()


# Celery warns on every connection loss that cancelling will become its default (see the setting below).
warnings.filterwarnings("ignore", message=r"\s*In Celery 5\.1 we introduced an optional breaking change")

# Signals are process-wide; prefork children inherit the connection. A dispatch_uid keeps it to one.
task_prerun.connect(_name_the_task_in_the_log, weak=False, dispatch_uid="legalaid.logs.task")
task_postrun.connect(_forget_the_task, weak=False, dispatch_uid="legalaid.logs.task")


def _queue(name: str) -> Queue:
    return Queue(name, Exchange(name), routing_key=name)  # type: ignore[no-untyped-call]


def make_celery(settings: Settings) -> Celery:
    """The application for these settings; workers, the scheduler and Flower all build it the same way."""
    _runtime.configure(settings)
    app = Celery("legalaid", include=list(TASK_MODULES), set_as_current=False)
    app.conf.update(
        broker_url=broker_url(settings),
        broker_transport_options=broker_transport_options(settings),
        broker_connection_retry_on_startup=True,
        # JSON only: a message can never carry code to run.
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # The database is the truth; results would only duplicate it.
        task_ignore_result=True,
        result_backend=None,
        # A task is acknowledged when it finishes, and re-delivered if its worker dies mid-way; idempotency
        # keys make the second run harmless.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # A task running when the broker connection drops finishes its work (each step is recorded in the
        # database); its message, unacknowledged, comes again and finds nothing left to do. Cancelling it
        # instead would kill a delivery between the SMTP server's acceptance and the row's `sent`: the
        # message would be sent twice (the fault suite's Redis restart showed it).
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        task_default_queue=DEFAULT_QUEUE,
        task_queues=[_queue(name) for name in QUEUES],
        task_routes=celery_task_routes(),
        task_create_missing_queues=False,
        timezone=settings.timezone,
        enable_utc=True,
        # Logging is legalaid.logs' job (see workers.worker).
        worker_hijack_root_logger=False,
        # On the filesystem broker a broadcast queue of a killed worker would collect messages forever; the
        # embedded single worker needs no remote control (Flower and `celery inspect` are for Redis).
        worker_enable_remote_control=settings.uses_redis,
    )
    return app
