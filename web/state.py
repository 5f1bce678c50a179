"""What a request reaches of its application: the one Runtime built at start-up, and the center's times.

Dates go out as ``YYYY-MM-DD`` (pydantic's ``date``); times as ISO 8601 with their offset in the center's
time zone (``2012-10-12T09:30:00+08:00``), as a person there reads them, never as naive UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from legalaid.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


AppRuntime = Annotated[Runtime, Depends(get_runtime)]


def local_time(value: datetime | None, runtime: Runtime) -> datetime | None:
    """``value`` in the center's time zone (its offset kept when serialised), or None."""
    return value.astimezone(runtime.settings.tz) if value is not None else None
