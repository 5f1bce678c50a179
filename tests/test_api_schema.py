"""schemathesis against the application's own OpenAPI description: every operation, with generated
parameters and bodies (the ``Idempotency-Key`` header too, which the description requires on every POST),
called in-process on a small center in SQLite. Checks: no 5xx, and every answer documented (its status
code, content type and body).

Bounded to stay under two minutes on a 2-core machine: a few examples per operation, a deadline per
example, no shrinking (a failure is reported as found; its case is printed). The whole file is one
test per token (all operations as subtests of it), so ``--dist=loadfile`` keeps it in one xdist process.
A read token's calls to write operations are 403, which the description documents too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api import TestClient
from builders import make_decided_case, make_reports_center
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from legalaid import migrate, tokens
from legalaid.config import Settings
from legalaid.models import utcnow
from legalaid.runtime import build_runtime
from web import create_app
from web.app import OPENAPI_URL

CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)
# A deeper search by hand: LEGALAID_TEST_SCHEMA_EXAMPLES=500 python -m pytest -n 0 tests/test_api_schema.py
EXAMPLES = int(os.environ.get("LEGALAID_TEST_SCHEMA_EXAMPLES", "30"))
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=5),
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the failing case is reported as found
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same cases on every run: a finding is reproducible, CI is not a lottery
    database=None,
)


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A migrated SQLite database with a small center (firms, people, a decided case), a write and a read
    token, and the application started on it (its lifespan run, so requests find its runtime)."""
    folder: Path = tmp_path_factory.mktemp("schema")
    app_settings = Settings(data_dir=folder / "var")
    runtime = build_runtime(app_settings)
    migrate.upgrade(runtime.engine)
    with runtime.transaction() as session:
        make_reports_center(session)
        make_decided_case(session, case_no="2012民援第001号", assigned_on=None, lawyer=None)
        write = tokens.create_token(session, name="case-system", scope="write", now=utcnow())[1]
        read = tokens.create_token(session, name="dashboard", scope="read", now=utcnow())[1]
    runtime.dispose()
    app = create_app(app_settings)
    with TestClient(app):
        yield {"app": app, "write": write, "read": read, "today": date.today()}


@pytest.fixture(scope="module")
def api_schema(center: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_asgi(OPENAPI_URL, center["app"])


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4 renames the running test after each operation through ``node._nodeid``, which
    pytest 9 no longer has (only its ``nodeid`` property); give it the attribute it reads (only names)."""
    request.node._nodeid = request.node.nodeid


def _call(case: Any, token: str) -> None:
    # Health's 503 is its answer, not a failure: here no worker or scheduler runs, so it says so (as
    # documented: the report, application/json); every other 5xx is a defect.
    excluded = [not_a_server_error] if case.path == "/api/v1/health" else []
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, excluded_checks=excluded
    )


@schema.parametrize()
@BOUNDED
def test_every_operation_with_a_write_token(case: Any, center: dict[str, Any]) -> None:
    _call(case, center["write"])


@schema.parametrize()
@settings(BOUNDED, max_examples=max(1, EXAMPLES // 3))
def test_every_operation_with_a_read_token(case: Any, center: dict[str, Any]) -> None:
    _call(case, center["read"])


# What schemathesis found, as plain cases (each failed before its fix). -------------------------------------


def test_a_roster_window_in_year_1_is_422_not_500(center: dict[str, Any]) -> None:
    with TestClient(center["app"], raise_server_exceptions=False) as client:
        headers = {"Authorization": f"Bearer {center['read']}"}
        for path in ("/api/v1/roster", "/api/v1/roster/check", "/api/v1/roster/quality"):
            response = client.get(path, params={"from": "0001-01-01", "to": "0001-01-01"}, headers=headers)
            assert response.status_code == 422, (path, response.text)


def test_the_description_documents_health_503_and_an_unparsable_body() -> None:
    document = create_app(Settings()).openapi()
    health_503 = document["paths"]["/api/v1/health"]["get"]["responses"]["503"]["content"]
    assert set(health_503) == {"application/json", "application/problem+json"}
    put_case = document["paths"]["/api/v1/cases/{case_no}"]["put"]
    assert "400" in put_case["responses"]
    assert not any(p["name"] == "Idempotency-Key" for p in put_case.get("parameters", []))
    assign = document["paths"]["/api/v1/cases/{case_no}/assignment"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in assign["parameters"])
