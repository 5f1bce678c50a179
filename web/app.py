"""The HTTP API: ``create_app(settings)`` puts it together.

One Runtime per application, built when it starts (the lifespan) and disposed when it stops; every request
reaches it through ``web.state``. The layers around the routes, outermost first: request timing
(``web.metrics``), the body limit (``web.limits``), ``Idempotency-Key`` (``web.idempotency``); errors are
problems (``web.problems``). Routes live in ``web/routes/`` and under ``/api/v1``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from legalaid.config import Settings, load_settings
from legalaid.runtime import Runtime, build_runtime
from web import act, console, metrics, problems
from web.idempotency import HEADER, Idempotency
from web.limits import BodyLimit
from web.metrics import LatencyHistogram, Timing
from web.routes import (
    cases,
    consultations,
    feeds,
    health,
    imports,
    jobs,
    outbox,
    reminders,
    reports,
    roster,
)

PREFIX = "/api/v1"
OPENAPI_URL = f"{PREFIX}/openapi.json"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API on ``settings`` (default: loaded as every command loads them)."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = runtime = build_runtime(settings)
        # The routes are plain functions, run in anyio's thread pool: as many at once as web_threads.
        to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
        try:
            yield
        finally:
            runtime.dispose()

    app = FastAPI(
        title="legalaid",
        version=_version(),
        summary="The HTTP API of a district legal aid center's back office (法律援助中心).",
        servers=[{"url": settings.resolved_web_base_url}],
        openapi_url=OPENAPI_URL,
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=lifespan,
    )
    app.state.latency = LatencyHistogram()

    def runtime() -> Runtime:
        current: Runtime = app.state.runtime
        return current

    # add_middleware wraps: the last added is the outermost.
    app.add_middleware(Idempotency, runtime=runtime)
    app.add_middleware(BodyLimit, max_bytes=int(settings.web_max_upload_mb * 2**20))
    app.add_middleware(Timing, histogram=app.state.latency)
    problems.install(app)
    for router in (health.router, jobs.router, metrics.router):
        app.include_router(router, prefix=PREFIX)
    for router in (imports.router, cases.router, consultations.router, reminders.router):
        app.include_router(router, prefix=PREFIX)
    for router in (outbox.router, roster.router, reports.router, feeds.router):
        app.include_router(router, prefix=PREFIX)
    # The pages links in emails open (/act/<token>): outside the API, no bearer token, no Idempotency-Key.
    app.include_router(act.router)
    # The web console's pages (/, /login, /cases, …): signed-in people, HTML (see web/console/).
    console.install(app, settings)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, completed with what the layers around the routes add, so that a client (and
    schemathesis) knows every answer: problems as ``application/problem+json``, 401/403 wherever a token
    is asked for, and ``Idempotency-Key`` (with its 400, 409 and 422) and 413 on every POST; 400 for a body
    that cannot be parsed."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        routes=app.routes,
        servers=app.servers,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = problems.Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem_schema.pop("$defs", {}))
    schemas["Problem"] = problem_schema
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            _complete(method, operation)
    app.openapi_schema = document
    return document


def _complete(method: str, operation: dict[str, Any]) -> None:
    answers = operation.setdefault("responses", {})
    statuses = [422, 500, 503]
    if operation.get("security"):
        statuses += [401, 403]
    if method in ("post", "put", "patch"):
        statuses.append(413)
    if method != "post" and "requestBody" in operation:
        statuses.append(400)  # a body that is not JSON in UTF-8 (FastAPI cannot parse it)
    if method == "post":
        statuses += [400, 409]
        parameters = operation.setdefault("parameters", [])
        parameters.append(
            {
                "name": HEADER,
                "in": "header",
                "required": True,
                "description": "Unique per request; a retry with the same key and body gets the first answer",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    for status, entry in problems.responses(*statuses).items():
        own = answers.get(str(status))
        if own is None:
            answers[str(status)] = entry
        else:  # the route's own answer (health's 503 is its report): a problem is possible beside it
            own.setdefault("content", {}).update(entry["content"])


def _version() -> str:
    try:
        return version("legalaid")
    except PackageNotFoundError:  # a source tree that is not installed
        from legalaid import __version__

        return __version__
