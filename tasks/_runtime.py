"""The runtime a task uses: built on first use in each worker process, after the fork, never inherited;
and ``scheduled_run``, the claim every scheduled task wraps its work in.

A prefork worker's children must not share the parent's database connections; ``os.register_at_fork``
makes a child forget the parent's runtime, and the first task in the child builds its own. A caller that
runs tasks in its own process (a test, calling a task function directly) lends its runtime with
``use_runtime``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from legalaid import jobs
from legalaid.config import Settings, load_settings
from legalaid.models import JobRun
from legalaid.runtime import Runtime, build_runtime

_lock = threading.Lock()
_settings: Settings | None = None
_runtime: Runtime | None = None


def configure(settings: Settings) -> None:
    """Use these settings for the runtime of this process (the worker's, set when its app is built)."""
    global _settings, _runtime
    with _lock:
        if _settings is not settings and _runtime is not None:
            _runtime.dispose()
            _runtime = None
        _settings = settings


def task_runtime() -> Runtime:
    """This process's runtime; built once (thread-safe for the ``threads`` pool)."""
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = build_runtime(_settings or load_settings())
        return _runtime


@contextmanager
def use_runtime(rt: Runtime) -> Iterator[Runtime]:
    """Tasks called in this process use ``rt`` (and its settings) until the block ends; then whatever they
    used before. ``rt`` stays the caller's: it is not disposed here."""
    global _settings, _runtime
    with _lock:
        before = _settings, _runtime
        _settings, _runtime = rt.settings, rt
    try:
        yield rt
    finally:
        with _lock:
            _settings, _runtime = before


def claimant(task: Any, rt: Runtime) -> dict[str, Any]:
    """Who claims a tick for the bound Celery ``task``: its name (what the sweep sends again), this worker's
    name and the task id, under the settings' tick policy; the keywords of ``legalaid.jobs.run_once``."""
    return {
        "task": task.name,
        "worker": task.request.hostname,
        "task_id": task.request.id,
        "policy": jobs.TickPolicy.from_settings(rt.settings),
    }


@contextmanager
def scheduled_run(task: Any, *, job: str, scheduled_for: datetime) -> Iterator[JobRun | None]:
    """Claim tick ``scheduled_for`` of ``job`` for the bound Celery ``task`` (``legalaid.jobs.run_once``):
    yields the run, or None when there is nothing to do (skip the work)."""
    rt = task_runtime()
    with jobs.run_once(rt.sessions, job=job, scheduled_for=scheduled_for, **claimant(task, rt)) as run:
        yield run


def _forget_after_fork() -> None:
    # The child must not use (or close) the parent's pooled connections: drop them without closing.
    global _runtime, _lock
    _lock = threading.Lock()
    if _runtime is not None:
        _runtime.engine.dispose(close=False)
    _runtime = None


os.register_at_fork(after_in_child=_forget_after_fork)
