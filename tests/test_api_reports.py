"""``/api/v1/reports`` on SQLite and PostgreSQL: a report built in the request, its Word document downloaded
(the Chinese name in Content-Disposition's filename*) and opened with python-docx, sent with send=true, the
ledger; bad kinds, periods and firms are 4xx with the command line's words; only a run's own files."""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import quote

import docx
import pytest
from api import TestClient, assert_problem, bearer, token
from builders import make_cases, make_reports_center
from mailroom import outbox

from legalaid.runtime import Runtime

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def api_rt(api_rt: Runtime) -> Runtime:
    """The shared runtime (SQLite, then PostgreSQL) with this file's data."""
    runtime = api_rt
    with runtime.transaction() as session:
        ids = make_reports_center(session)
        make_cases(session, 3, applied_on=date(2012, 9, 3), lawyer=ids["L1"], decided_on=date(2012, 9, 4),
                   assigned_on=date(2012, 9, 5))  # fmt: skip
    return runtime


def test_a_report_is_built_downloaded_and_opened(client: TestClient, api_rt: Runtime) -> None:
    headers = {**bearer(token(api_rt, "office", "write")), "Idempotency-Key": "b1"}
    answer = client.post("/api/v1/reports/annual/2012", params={"as_of": "2013-01-20"}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    run = body["run"]
    assert body["status"] == "built" and body["as_of"] == "2013-01-20" and body["headline"]
    assert run["key"] == "report:annual:2012:leaders" and run["status"] == "built"
    assert [name[-5:] for name in run["files"]] == [".docx", ".xlsx"] and "/" not in run["files"][0]
    assert run["built_at"].endswith("+08:00")
    name = run["files"][0]
    reader = bearer(token(api_rt, "viewer", "read"))
    got = client.get(f"/api/v1/reports/runs/{run['id']}/files/{quote(name)}", headers=reader)
    assert got.status_code == 200 and got.headers["content-type"] == DOCX
    assert f"filename*=UTF-8''{quote(name, safe='')}" in got.headers["content-disposition"]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(got.content)).paragraphs)
    assert "法律援助" in text
    ledger = client.get("/api/v1/reports/runs", headers=reader).json()["runs"]
    assert [(r["id"], r["status"]) for r in ledger] == [(run["id"], "built")]


def test_send_true_mails_it_once(client: TestClient, api_rt: Runtime) -> None:
    headers = {**bearer(token(api_rt, "office", "write")), "Idempotency-Key": "s1"}
    params = {"as_of": "2013-01-20", "send": "true"}
    body = client.post("/api/v1/reports/annual/2012", params=params, headers=headers).json()
    assert body["status"] == "sent" and body["recipients"] == ["h1@center.example.cn", "h2@center.example.cn"]
    assert [row.id for row in outbox(api_rt)] == [body["outbox_id"]]
    second = client.post(
        "/api/v1/reports/annual/2012", params=params, headers={**headers, "Idempotency-Key": "s2"}
    )
    assert second.json()["note"].startswith("sent already") and len(outbox(api_rt)) == 1


def test_bad_input_is_4xx_with_the_command_lines_words(client: TestClient, api_rt: Runtime) -> None:
    writer = bearer(token(api_rt, "office", "write"))

    def post(path: str, key: str, **params: str) -> dict[str, object]:
        response = client.post(path, params=params, headers={**writer, "Idempotency-Key": key})
        return assert_problem(response, 422 if response.status_code != 404 else 404)

    assert post("/api/v1/reports/quarterly/2012", "k1")["detail"] == (
        "period: '2012' is not a quarter (YYYYQn with n from 1 to 4, e.g. 2012Q1)"
    )
    assert (
        post("/api/v1/reports/annual/20x2", "k2")["detail"]
        == "period: '20x2' is not a statistical year (YYYY, e.g. 2012)"
    )
    assert post("/api/v1/reports/firm/2012", "k3")["detail"] == "firm: a firm's report needs ?firm=CODE"
    assert "F9" in str(post("/api/v1/reports/firm/2012Q1", "k4", firm="F9")["detail"])
    assert post("/api/v1/reports/annual/2012", "k5", firm="F1")["status"] == 422
    assert post("/api/v1/reports/weekly/2012", "k6")["status"] == 422
    assert post("/api/v1/reports/annual/2012", "k7", as_of="2013-02-30")["status"] == 422


def test_only_a_runs_own_files(client: TestClient, api_rt: Runtime) -> None:
    writer = {**bearer(token(api_rt, "office", "write")), "Idempotency-Key": "f1"}
    run = client.post(
        "/api/v1/reports/firm/2012", params={"firm": "F1", "as_of": "2013-01-20"}, headers=writer
    ).json()["run"]
    reader = bearer(token(api_rt, "viewer", "read"))
    for name in ("..%2F..%2Flegalaid.toml", "x.docx", "%2Fetc%2Fpasswd"):
        response = client.get(f"/api/v1/reports/runs/{run['id']}/files/{name}", headers=reader)
        assert response.status_code == 404, name
    assert_problem(
        client.get(f"/api/v1/reports/runs/999/files/{quote(run['files'][0])}", headers=reader), 404
    )
    xlsx = client.get(f"/api/v1/reports/runs/{run['id']}/files/{quote(run['files'][1])}", headers=reader)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
