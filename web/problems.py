"""Errors as ``application/problem+json`` (RFC 9457): ``type``, ``title``, ``status``, ``detail``, and for an
import's bad rows a ``problems`` list of ``{row, column, message}``.

The ``detail`` of a user's mistake is the one line the command line prints for it (``UserError``'s text),
so the two front doors say the same thing. Bad input is a 4xx; an unexpected exception is a 500 whose body
says only that the server failed (the traceback goes to the server's log, never to the client).
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from legalaid.errors import UserError
from legalaid.importing import ImportFailed

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
# Problem types are URNs: stable names a client can branch on, not pages that must exist somewhere.
BAD_INPUT = "urn:legalaid:problem:bad-input"
IMPORT_FAILED = "urn:legalaid:problem:import-failed"
INVALID_REQUEST = "urn:legalaid:problem:invalid-request"
UNAVAILABLE = "urn:legalaid:problem:database-unavailable"
INTERNAL = "urn:legalaid:problem:internal-error"


class ProblemItem(BaseModel):
    """One bad value: its row (1 is the header line of a file; null outside a file), its column (or the
    request parameter), and what is wrong."""

    row: int | None = None
    column: str | None = None
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    problems: list[ProblemItem] | None = None


class ApiProblem(Exception):
    """Raised by an endpoint to answer with a problem; ``headers`` go with it (``WWW-Authenticate``)."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        type: str = "about:blank",
        title: str | None = None,
        problems: list[ProblemItem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title or HTTPStatus(status).phrase)
        self.problem = Problem(
            type=type,
            title=title or HTTPStatus(status).phrase,
            status=status,
            detail=detail,
            problems=problems,
        )
        self.headers = headers or {}


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        _document(problem),
        status_code=problem.status,
        headers=headers,
        media_type=MEDIA_TYPE,
    )


def problem_body(status: int, detail: str | None = None, *, type: str = "about:blank") -> bytes:
    """A problem as bytes, for the middlewares that answer before FastAPI does (413, 409)."""
    problem = Problem(type=type, title=HTTPStatus(status).phrase, status=status, detail=detail)
    return json.dumps(_document(problem), ensure_ascii=False).encode("utf-8")


def _document(problem: Problem) -> dict[str, Any]:
    """The problem as JSON: members without a value left out, but a problem item's null row or column
    kept (every item has the same three keys)."""
    return {key: value for key, value in problem.model_dump(mode="json").items() if value is not None}


def import_problems(exc: ImportFailed) -> list[ProblemItem]:
    """An import's bad rows as objects, as the importer built them beside its lines."""
    return [ProblemItem(row=p.row, column=p.column, message=p.message) for p in exc.problems]


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as a problem."""

    async def on_problem(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return problem_response(exc.problem, exc.headers)

    async def on_import_failed(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ImportFailed)
        problem = Problem(
            type=IMPORT_FAILED,
            title="the file has bad rows; nothing was imported",
            status=422,
            detail=str(exc),
            problems=import_problems(exc),
        )
        return problem_response(problem)

    async def on_user_error(_request: Request, exc: Exception) -> JSONResponse:
        # The command line's one line, word for word; the request was well-formed, its content refused.
        return problem_response(Problem(type=BAD_INPUT, title="bad input", status=422, detail=str(exc)))

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        items = [_validation_item(error) for error in exc.errors()]
        detail = "; ".join(
            f"{item.column}: {item.message}" if item.column else item.message for item in items
        )
        problem = Problem(
            type=INVALID_REQUEST, title="invalid request", status=422, detail=detail, problems=items
        )
        return problem_response(problem)

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        phrase = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
        problem = Problem(title=phrase, status=exc.status_code, detail=detail)
        return problem_response(problem, dict(exc.headers or {}))

    async def on_database_down(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s: the database did not answer: %s", request.method, request.url.path, exc)
        detail = "the database did not answer; the server's log says why"
        problem = Problem(type=UNAVAILABLE, title="Service Unavailable", status=503, detail=detail)
        return problem_response(problem, {"Retry-After": "30"})

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged with its traceback here; the client learns only that it was the server's fault.
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        detail = "the server failed on this request; its log has the details"
        return problem_response(
            Problem(type=INTERNAL, title="Internal Server Error", status=500, detail=detail)
        )

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(ImportFailed, on_import_failed)
    app.add_exception_handler(UserError, on_user_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(OperationalError, on_database_down)
    app.add_exception_handler(Exception, on_unexpected)


def _validation_item(error: Any) -> ProblemItem:
    location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
    return ProblemItem(column=".".join(location) or None, message=str(error.get("msg", "invalid")))


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entries of the problems a route may answer with (``responses=`` of a route)."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
