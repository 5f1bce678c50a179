"""``GET /metrics`` in the Prometheus text format, and the request timings it reports.

What the database knows is counted when scraped (outbox messages by status, job ticks by state, reminder
items in the ledger by level and status); request latencies are a histogram per route template
(``/api/v1/outbox/{id}``, never the id itself: one series per route, not per case), kept in this process.
With several server processes each has its own: scrape each, or read them as per-process figures.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from legalaid.models import JobRun, OutboxMessage, ReminderSent
from web.auth import authenticate, bearer
from web.state import AppRuntime

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds; the API's goal is a p99 under 0.1 s, so the buckets are finest there.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "unmatched"
API_PREFIX = "/api/v1"


class LatencyHistogram:
    """Request durations by method, route template and status class; in memory, per process."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.sums: dict[tuple[str, str], float] = defaultdict(float)
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.counts[(method, route)][bisect.bisect_left(BUCKETS, seconds)] += 1
        self.sums[(method, route)] += seconds
        self.requests[(method, route, f"{status // 100}xx")] += 1

    def lines(self) -> Iterable[str]:
        name = "legalaid_http_request_duration_seconds"
        yield f"# HELP {name} Time to answer a request, by route template."
        yield f"# TYPE {name} histogram"
        for (method, route), counts in sorted(self.counts.items()):
            labels = f'method="{method}",route="{_escape(route)}"'
            running = 0
            for bound, count in zip((*map(_number, BUCKETS), "+Inf"), counts, strict=True):
                running += count
                yield f'{name}_bucket{{{labels},le="{bound}"}} {running}'
            yield f"{name}_sum{{{labels}}} {self.sums[(method, route)]:.6f}"
            yield f"{name}_count{{{labels}}} {running}"
        total = "legalaid_http_requests_total"
        yield f"# HELP {total} Requests answered, by route template and status class."
        yield f"# TYPE {total} counter"
        for (method, route, status), count in sorted(self.requests.items()):
            yield f'{total}{{method="{method}",route="{_escape(route)}",status="{status}"}} {count}'


class Timing:
    """Times every HTTP request into ``histogram``, labelled with the route template it matched."""

    def __init__(self, app: ASGIApp, *, histogram: LatencyHistogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception escaping the application

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            template = route_template(scope)
            self.histogram.observe(scope["method"], template, status, time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The template of the route a request matched (``/api/v1/outbox/{id}``), or ``unmatched``.

    FastAPI leaves the matched route in the scope; depending on its version that route's path has the
    prefix it was included under or not: every router of the API is included under ``/api/v1``."""
    path = getattr(scope.get("route"), "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    if scope["path"].startswith(API_PREFIX + "/") and not path.startswith(API_PREFIX + "/"):
        return API_PREFIX + path
    return path


def database_lines(session: Session) -> Iterable[str]:
    """The gauges read from the database at scrape time."""
    yield from _gauge(
        "legalaid_outbox_messages",
        "Outbox messages by status.",
        "status",
        session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)),
    )
    yield from _gauge(
        "legalaid_job_ticks",
        "Scheduled job ticks by job and state.",
        ("job", "state"),
        session.execute(select(JobRun.job, JobRun.status, func.count()).group_by(JobRun.job, JobRun.status)),
    )
    yield from _gauge(
        "legalaid_reminder_items",
        "Reminder items recorded in the ledger (sent or superseded), by level.",
        ("level", "status"),
        session.execute(
            select(ReminderSent.level, ReminderSent.status, func.count()).group_by(
                ReminderSent.level, ReminderSent.status
            )
        ),
    )


def _gauge(name: str, help_text: str, label: str | tuple[str, ...], rows: Iterable[Any]) -> Iterable[str]:
    names = (label,) if isinstance(label, str) else label
    yield f"# HELP {name} {help_text}"
    yield f"# TYPE {name} gauge"
    for row in rows:
        fields: tuple[object, ...] = tuple(row)
        values, count = fields[:-1], fields[-1]
        labels = ",".join(f'{key}="{_escape(str(value))}"' for key, value in zip(names, values, strict=True))
        yield f"{name}{{{labels}}} {count}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return f"{value:g}"


# The endpoint. ------------------------------------------------------------------------------------------

LOCAL_CLIENTS = frozenset({"127.0.0.1", "::1"})
router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    summary="Prometheus metrics",
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Metrics"}},
)
def metrics(
    request: Request,
    runtime: AppRuntime,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> PlainTextResponse:
    """The Prometheus text format. A `read` token, or none from this machine (127.0.0.1, ::1): a scraper
    on the same host needs no secret; behind a reverse proxy, the client is the forwarded address."""
    token = credentials.credentials if credentials else None
    client = request.client.host if request.client else ""
    if token is not None or client not in LOCAL_CLIENTS:
        authenticate(request, runtime, token, scope="read")
    histogram: LatencyHistogram = request.app.state.latency
    with runtime.sessions() as session:
        lines = [*database_lines(session), *histogram.lines()]
    return PlainTextResponse("\n".join(lines) + "\n", media_type=CONTENT_TYPE)
