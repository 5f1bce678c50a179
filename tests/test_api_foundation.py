"""The HTTP API's foundation, on SQLite and on real PostgreSQL: tokens and scopes, problems, the body
limit, Idempotency-Key, metrics, health, jobs and the OpenAPI description.

Routes that only these tests need (a write route, one that fails) are added to the application here.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from api import TestClient, assert_problem, bearer, token
from fastapi import APIRouter
from pydantic import BaseModel

from legalaid import tokens
from legalaid.errors import UserError
from legalaid.importing import ImportFailed
from legalaid.models import utcnow
from legalaid.runtime import Runtime
from legalaid.status import Check, StatusReport
from web import create_app
from web.auth import Writer
from web.problems import MEDIA_TYPE


class Echo(BaseModel):
    text: str


def _test_routes(calls: list[str]) -> APIRouter:
    router = APIRouter()

    @router.post("/_test/echo", status_code=201)
    def echo(body: Echo, caller: Writer) -> dict[str, Any]:
        calls.append(body.text)
        return {"echo": body.text, "by": caller.name, "call": len(calls)}

    @router.post("/_test/refuse")
    def refuse(caller: Writer) -> None:
        raise UserError("no case 'X-1' (see `legalaid case show`)")

    @router.post("/_test/import")
    def bad_import(caller: Writer) -> None:
        raise ImportFailed(
            [
                "cases.csv:3:applied_on: '2012-13-01' is not a date (YYYY-MM-DD)",
                "cases.csv:5:-: a row of 3 cells",
            ]
        )

    @router.get("/_test/busy")
    def busy() -> None:  # counts the requests being worked on at once
        with _busy.lock:
            _busy.now += 1
            _busy.most = max(_busy.most, _busy.now)
        time.sleep(0.2)
        with _busy.lock:
            _busy.now -= 1

    @router.get("/_test/crash")
    def crash() -> None:
        raise RuntimeError("secret internals: postgresql://u:hunter2@db")

    return router


class _Busy:
    lock = threading.Lock()
    now = most = 0


_busy = _Busy()


@pytest.fixture
def calls() -> list[str]:
    return []


def make_client(rt: Runtime, calls: list[str], **settings: Any) -> TestClient:
    app = create_app(rt.settings.model_copy(update=settings))
    app.include_router(_test_routes(calls), prefix="/api/v1")
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(api_rt: Runtime, calls: list[str]) -> Iterator[TestClient]:
    with make_client(api_rt, calls) as test_client:
        yield test_client


# Tokens and scopes. ---------------------------------------------------------------------------------------


def test_a_request_without_a_token_is_401_with_a_bearer_challenge(client: TestClient) -> None:
    body = assert_problem(client.get("/api/v1/jobs"), 401)
    assert "Bearer" in body["detail"]
    assert client.get("/api/v1/jobs").headers["www-authenticate"].startswith("Bearer")


def test_a_wrong_token_is_401(client: TestClient, api_rt: Runtime) -> None:
    token(api_rt, "case-system", "read")
    response = client.get("/api/v1/jobs", headers=bearer("la_not-a-token"))
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401(client: TestClient, api_rt: Runtime) -> None:
    secret = token(api_rt, "old-system", "admin")
    assert client.get("/api/v1/jobs", headers=bearer(secret)).status_code == 200
    with api_rt.transaction() as session:
        tokens.revoke_token(session, name="old-system", now=utcnow())
    response = client.get("/api/v1/jobs", headers=bearer(secret))
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_token_without_the_scope_is_403_and_with_it_200(client: TestClient, api_rt: Runtime) -> None:
    reader, writer = token(api_rt, "viewer", "read"), token(api_rt, "case-system", "write")
    key = {"Idempotency-Key": "k1"}
    refused = client.post("/api/v1/_test/echo", json={"text": "a"}, headers={**bearer(reader), **key})
    body = assert_problem(refused, 403)
    assert body["detail"] == "token 'viewer' has scope read; this needs write"
    assert "insufficient_scope" in refused.headers["www-authenticate"]
    allowed = client.post("/api/v1/_test/echo", json={"text": "a"}, headers={**bearer(writer), **key})
    assert allowed.status_code == 201 and allowed.json()["by"] == "case-system"
    assert client.get("/api/v1/jobs", headers=bearer(writer)).status_code == 200  # write includes read


def test_tokens_are_stored_as_hashes_and_note_their_use(client: TestClient, api_rt: Runtime) -> None:
    secret = token(api_rt, "case-system", "read")
    assert secret.startswith("la_") and len(secret) > 40
    client.get("/api/v1/jobs", headers=bearer(secret))
    with api_rt.sessions() as session:
        (row,) = tokens.list_tokens(session)
    assert row.token_hash == tokens.token_hash(secret) and secret not in row.token_hash
    assert row.last_used_at is not None


# Problems. ------------------------------------------------------------------------------------------------


def test_a_user_error_is_422_with_the_command_lines_words(client: TestClient, api_rt: Runtime) -> None:
    headers = {**bearer(token(api_rt, "w", "write")), "Idempotency-Key": "r1"}
    body = assert_problem(client.post("/api/v1/_test/refuse", headers=headers), 422)
    assert body["detail"] == "no case 'X-1' (see `legalaid case show`)"


def test_import_problems_are_rows_and_columns(client: TestClient, api_rt: Runtime) -> None:
    headers = {**bearer(token(api_rt, "w", "write")), "Idempotency-Key": "i1"}
    body = assert_problem(client.post("/api/v1/_test/import", headers=headers), 422)
    assert body["problems"] == [
        {"row": 3, "column": "applied_on", "message": "'2012-13-01' is not a date (YYYY-MM-DD)"},
        {"row": 5, "column": None, "message": "a row of 3 cells"},
    ]


def test_a_bad_parameter_is_422_never_500(client: TestClient, api_rt: Runtime) -> None:
    headers = {**bearer(token(api_rt, "w", "write")), "Idempotency-Key": "v1"}
    body = assert_problem(client.post("/api/v1/_test/echo", json={"txt": 1}, headers=headers), 422)
    assert body["problems"][0]["column"] == "text"


def test_an_unexpected_exception_is_a_500_problem_without_internals(client: TestClient) -> None:
    body = assert_problem(client.get("/api/v1/_test/crash"), 500)
    assert "hunter2" not in str(body) and "RuntimeError" not in str(body)


def test_an_unknown_path_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/no-such-thing"), 404)


# The body limit. ------------------------------------------------------------------------------------------


def test_a_process_works_on_web_threads_requests_at_once(api_rt: Runtime, calls: list[str]) -> None:
    _busy.most = 0
    with make_client(api_rt, calls, web_threads=2) as client, ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _n: client.get("/api/v1/_test/busy").status_code, range(6)))
    assert answers == [200] * 6
    assert _busy.most == 2  # the other four waited for a thread


def test_a_body_over_the_limit_is_413(api_rt: Runtime, calls: list[str]) -> None:
    headers = {**bearer(token(api_rt, "w", "write")), "Idempotency-Key": "big"}
    with make_client(api_rt, calls, web_max_upload_mb=0.001) as small:  # 1048 bytes
        big = {"text": "x" * 2000}
        body = assert_problem(small.post("/api/v1/_test/echo", json=big, headers=headers), 413)
        assert "web_max_upload_mb" in body["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams
            yield b'{"text": "'
            yield b"x" * 2000
            yield b'"}'

        chunked = small.post(
            "/api/v1/_test/echo", content=chunks(), headers={**headers, "Content-Type": "application/json"}
        )
        assert_problem(chunked, 413)
        ok = small.post("/api/v1/_test/echo", json={"text": "small"}, headers=headers)
        assert ok.status_code == 201
    assert calls == ["small"]


# Idempotency-Key. -----------------------------------------------------------------------------------------


def test_the_same_key_and_body_answer_the_first_answer_once(
    client: TestClient, api_rt: Runtime, calls: list[str]
) -> None:
    headers = {**bearer(token(api_rt, "case-system", "write")), "Idempotency-Key": "assign-2012-001"}
    first = client.post("/api/v1/_test/echo", json={"text": "once"}, headers=headers)
    again = client.post("/api/v1/_test/echo", json={"text": "once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() == {"echo": "once", "by": "case-system", "call": 1}
    assert again.headers["idempotent-replayed"] == "true"
    assert calls == ["once"]


def test_the_same_key_with_another_body_is_422(client: TestClient, api_rt: Runtime, calls: list[str]) -> None:
    headers = {**bearer(token(api_rt, "case-system", "write")), "Idempotency-Key": "k"}
    client.post("/api/v1/_test/echo", json={"text": "first"}, headers=headers)
    body = assert_problem(client.post("/api/v1/_test/echo", json={"text": "other"}, headers=headers), 422)
    assert "Idempotency-Key 'k'" in body["detail"]
    assert calls == ["first"]


def test_keys_belong_to_a_token(client: TestClient, api_rt: Runtime, calls: list[str]) -> None:
    one, two = token(api_rt, "one", "write"), token(api_rt, "two", "write")
    for secret in (one, two):
        response = client.post(
            "/api/v1/_test/echo", json={"text": "t"}, headers={**bearer(secret), "Idempotency-Key": "1"}
        )
        assert response.status_code == 201
    assert calls == ["t", "t"]


def test_a_post_without_a_key_is_400_and_does_nothing(
    client: TestClient, api_rt: Runtime, calls: list[str]
) -> None:
    body = assert_problem(
        client.post("/api/v1/_test/echo", json={"text": "t"}, headers=bearer(token(api_rt, "w", "write"))),
        400,
    )
    assert "Idempotency-Key" in body["detail"]
    assert calls == []


def test_a_key_still_running_is_409(client: TestClient, api_rt: Runtime, calls: list[str]) -> None:
    from web.idempotency import _claim, _digest

    secret = token(api_rt, "w", "write")
    with api_rt.sessions() as session:
        token_id = tokens.verify_token(session, secret, now=utcnow()).id  # type: ignore[union-attr]
    scope = {
        "method": "POST",
        "path": "/api/v1/_test/echo",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
    }
    body = b'{"text":"t"}'
    assert isinstance(
        _claim(api_rt, token_id, "busy-key", _digest(scope, body)), int
    )  # a first request, running
    response = client.post(
        "/api/v1/_test/echo",
        content=body,
        headers={**bearer(secret), "Idempotency-Key": "busy-key", "Content-Type": "application/json"},
    )
    assert_problem(response, 409)
    assert response.headers["retry-after"] == "1"
    assert calls == []


def test_a_failed_request_leaves_its_key_free(client: TestClient, api_rt: Runtime) -> None:
    headers = {**bearer(token(api_rt, "w", "write")), "Idempotency-Key": "same"}
    assert client.post("/api/v1/_test/refuse", headers=headers).status_code == 422
    # A 4xx is an answer, kept: the retry gets it again, nothing is done twice.
    assert client.post("/api/v1/_test/refuse", headers=headers).headers["idempotent-replayed"] == "true"


# Metrics. -------------------------------------------------------------------------------------------------

_SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.e+Inf-]+$'
)


def test_metrics_parse_and_count_requests_by_route_template(api_rt: Runtime, calls: list[str]) -> None:
    secret = token(api_rt, "prometheus", "read")
    with make_client(api_rt, calls) as client:
        client.get("/api/v1/jobs", headers=bearer(secret))
        client.get("/api/v1/health")
        text = client.get("/api/v1/metrics", headers=bearer(secret)).text
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines and all(_SAMPLE.match(line) for line in lines), [x for x in lines if not _SAMPLE.match(x)]
    assert 'legalaid_http_request_duration_seconds_count{method="GET",route="/api/v1/jobs"} 1' in lines
    assert 'legalaid_http_requests_total{method="GET",route="/api/v1/health",status="5xx"} 1' in lines
    assert "# TYPE legalaid_outbox_messages gauge" in text and "# TYPE legalaid_job_ticks gauge" in text
    assert "# TYPE legalaid_reminder_items gauge" in text


def test_metrics_need_a_token_from_another_machine_but_not_from_localhost(
    api_rt: Runtime, calls: list[str]
) -> None:
    with make_client(api_rt, calls) as remote:  # TestClient's client address is "testclient"
        assert_problem(remote.get("/api/v1/metrics"), 401)
    app = create_app(api_rt.settings)
    for address in ("127.0.0.1", "::1"):
        with TestClient(app, client=(address, 40000)) as local:
            response = local.get("/api/v1/metrics")
            assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
            # A wrong token is refused even from here.
            assert local.get("/api/v1/metrics", headers=bearer("la_wrong")).status_code == 401


# Health, jobs and the description. ------------------------------------------------------------------------


def test_health_is_503_when_something_needs_a_person_and_needs_no_token(client: TestClient) -> None:
    response = client.get("/api/v1/health")  # no worker, no scheduler here
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    names = {check["name"] for check in body["checks"]}
    assert {"database", "broker", "smtp", "scheduler"} <= names
    assert next(c for c in body["checks"] if c["name"] == "database")["ok"] is True


def test_health_is_200_when_every_check_is_ok(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    report = StatusReport(
        [Check("database", True, "sqlite:///x: schema 0011"), Check("scheduler", True, "leads")]
    )
    monkeypatch.setattr("web.routes.health.collect_status", lambda *a, **k: report)
    response = client.get("/api/v1/health")
    assert response.status_code == 200 and response.json()["ok"] is True


def test_health_masks_passwords(pg_rt: Runtime, calls: list[str]) -> None:
    url = pg_rt.settings.resolved_database_url.replace("postgres@", "postgres:Pa55word@")
    with make_client(pg_rt, calls, database_url=url) as client:
        text = client.get("/api/v1/health").text
    assert "Pa55word" not in text and "********" in text


def test_jobs_lists_the_schedule_with_next_runs_in_the_centers_zone(
    client: TestClient, api_rt: Runtime
) -> None:
    body = client.get("/api/v1/jobs", headers=bearer(token(api_rt, "r", "read"))).json()
    assert {"jobs", "unfinished", "problems"} == set(body)
    heartbeat = next(job for job in body["jobs"] if job["job"] == "heartbeat")
    assert heartbeat["next_run"].endswith("+08:00") and heartbeat["last_run"] is None


def test_openapi_is_public_json_with_every_path_under_api_v1(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    paths = [path for path in document["paths"] if not path.startswith("/api/v1/_test/")]
    assert {"/api/v1/health", "/api/v1/jobs", "/api/v1/metrics"} <= set(paths)
    assert all(path.startswith("/api/v1/") for path in document["paths"])
    assert "Problem" in document["components"]["schemas"]
    echo = document["paths"]["/api/v1/_test/echo"]["post"]
    assert {"400", "401", "403", "409", "413", "422"} <= set(echo["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in echo["parameters"])
    assert document["paths"]["/api/v1/jobs"]["get"]["responses"]["401"]["content"] == {
        MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
