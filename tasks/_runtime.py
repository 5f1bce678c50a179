"""The runtime a task uses: built on first use in each worker process, after the fork, never inherited.

A prefork worker's children must not share the parent's database connections; ``os.register_at_fork``
makes a child forget the parent's runtime, and the first task in the child builds its own.
"""

from __future__ import annotations

import os
import threading

from legalaid.config import Settings, load_settings
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


def _forget_after_fork() -> None:
    # The child must not use (or close) the parent's pooled connections: drop them without closing.
    global _runtime, _lock
    _lock = threading.Lock()
    if _runtime is not None:
        _runtime.engine.dispose(close=False)
    _runtime = None


os.register_at_fork(after_in_child=_forget_after_fork)
