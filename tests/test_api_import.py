"""``POST /api/v1/import/{kind}`` on SQLite and PostgreSQL: a CSV or XLSX upload imported as ``legalaid
import`` imports it, bad rows as ``{row, column, message}`` with nothing written, a dry run writing
nothing, an unknown kind 404."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from api import TestClient
from sqlalchemy import func, select

from legalaid import tokens
from legalaid.importing import write_xlsx
from legalaid.models import Case, ImportRecord, utcnow
from legalaid.runtime import Runtime
from web.problems import MEDIA_TYPE

CASES_CSV = (
    "case_no,case_type,applicant,applied_on\n"
    "2012民援第001号,civil,王小明,2012-10-08\n"
    "2012民援第002号,criminal,李华,2012-10-09\n"
)


@pytest.fixture
def headers(api_rt: Runtime) -> dict[str, str]:
    with api_rt.transaction() as session:
        secret = tokens.create_token(session, name="case-system", scope="write", now=utcnow())[1]
    return {"Authorization": f"Bearer {secret}"}


def upload(
    client: TestClient, headers: dict[str, str], key: str, name: str, data: bytes, **query: Any
) -> Any:
    return client.post(
        "/api/v1/import/cases",
        params=query,
        files={"file": (name, data, "text/csv")},
        headers={**headers, "Idempotency-Key": key},
    )


def count_cases(rt: Runtime) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def test_a_csv_upload_is_imported_with_the_counts(client: TestClient, api_rt: Runtime, headers: Any) -> None:
    response = upload(client, headers, "i1", "cases.csv", CASES_CSV.encode())
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["kind"], body["file"], body["rows"], body["inserted"]) == ("cases", "cases.csv", 2, 2)
    assert body["updated"] == body["unchanged"] == 0 and body["dry_run"] is False
    assert body["notices"] == {"outbox_ids": [], "problems": [], "note": None}
    assert count_cases(api_rt) == 2
    again = upload(client, headers, "i2", "cases.csv", CASES_CSV.encode())
    assert again.json()["unchanged"] == 2 and again.json()["inserted"] == 0


def test_an_xlsx_upload_is_read_as_xlsx(
    client: TestClient, api_rt: Runtime, headers: Any, tmp_path: Path
) -> None:
    path = tmp_path / "案件.xlsx"
    row = {
        "case_no": "2012民援第009号",
        "case_type": "civil",
        "applicant": "王小明",
        "applied_on": "2012-10-08",
    }
    write_xlsx(path, list(row), [row])
    response = upload(client, headers, "x1", path.name, path.read_bytes())
    assert response.status_code == 200, response.text
    assert response.json()["file"] == "案件.xlsx" and count_cases(api_rt) == 1


def test_bad_rows_are_422_with_row_and_column_and_nothing_is_written(
    client: TestClient, api_rt: Runtime, headers: Any
) -> None:
    bad = CASES_CSV + "2012民援第003号,civil,张三,2012-13-01\n2012民援第004号,spaceship,赵四,2012-10-10\n"
    response = upload(client, headers, "b1", "cases.csv", bad.encode())
    assert response.status_code == 422 and response.headers["content-type"] == MEDIA_TYPE
    body = response.json()
    assert [(p["row"], p["column"]) for p in body["problems"]] == [(4, "applied_on"), (5, "case_type")]
    assert body["problems"][0]["message"].startswith("not a date: '2012-13-01'")
    # The line the command line prints, word for word, names the uploaded file.
    assert (
        body["detail"].startswith("cases.csv:4:applied_on: not a date") and "1 more error" in body["detail"]
    )
    assert count_cases(api_rt) == 0
    with api_rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ImportRecord)) == 0


def test_a_file_that_is_no_table_has_a_problem_without_a_column(client: TestClient, headers: Any) -> None:
    response = upload(client, headers, "p1", "scan.pdf", b"%PDF-1.4 ...")
    assert response.status_code == 422
    assert response.json()["problems"] == [
        {"row": 1, "column": None, "message": "not a CSV or XLSX file: a PDF document"}
    ]


def test_a_dry_run_counts_and_writes_nothing(client: TestClient, api_rt: Runtime, headers: Any) -> None:
    response = upload(client, headers, "d1", "cases.csv", CASES_CSV.encode(), dry_run="true")
    assert response.status_code == 200
    assert response.json()["inserted"] == 2 and response.json()["dry_run"] is True
    assert count_cases(api_rt) == 0


def test_an_unknown_kind_is_404_with_the_command_lines_words(client: TestClient, headers: Any) -> None:
    response = client.post(
        "/api/v1/import/spaceships",
        files={"file": ("x.csv", b"a\n1\n", "text/csv")},
        headers={**headers, "Idempotency-Key": "k1"},
    )
    assert response.status_code == 404
    assert response.json()["detail"].startswith("unknown kind 'spaceships' (one of firms, people, cases")


def test_a_path_in_the_uploaded_name_is_left_out(client: TestClient, headers: Any) -> None:
    response = upload(client, headers, "n1", "../../etc/cases.csv", CASES_CSV.encode())
    assert response.status_code == 200 and response.json()["file"] == "cases.csv"
    for name in ("..", "a" * 300 + ".csv"):
        response = upload(client, headers, f"n-{len(name)}", name, CASES_CSV.encode())
        assert response.status_code == 200, (name, response.text)
        assert len(response.json()["file"]) <= 80


def test_a_reader_token_may_not_import(client: TestClient, api_rt: Runtime) -> None:
    with api_rt.transaction() as session:
        secret = tokens.create_token(session, name="viewer", scope="read", now=utcnow())[1]
    response = upload(client, {"Authorization": f"Bearer {secret}"}, "r1", "cases.csv", CASES_CSV.encode())
    assert response.status_code == 403 and count_cases(api_rt) == 0
