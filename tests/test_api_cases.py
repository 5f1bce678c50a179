"""``PUT /cases/{case_no}``, ``POST /cases/{case_no}/assignment``, ``POST /consultations`` and ``GET
/reminders/due|overdue`` on SQLite and PostgreSQL: the command line's own sequences, by the token's name."""

from __future__ import annotations

from typing import Any

import pytest
from api import TestClient
from builders import make_decided_case, make_lawyer
from mailroom import outbox
from sqlalchemy import func, select

from legalaid import tokens
from legalaid.models import Case, CaseEvent, Consultation, utcnow
from legalaid.runtime import Runtime
from web.problems import MEDIA_TYPE

CASE_NO = "2012民援第001号"
NEW_CASE = {
    "case_type": "civil",
    "applicant": "王小明",
    "applied_on": "2012-10-08",
    "applicant_groups": ["农民工"],
}


def bearer(rt: Runtime, name: str = "case-system", scope: str = "write") -> dict[str, str]:
    with rt.transaction() as session:
        return {
            "Authorization": f"Bearer {tokens.create_token(session, name=name, scope=scope, now=utcnow())[1]}"
        }


def count(rt: Runtime, model: Any) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# PUT /cases/{case_no} -------------------------------------------------------------------------------------


def test_put_creates_201_then_updates_200(client: TestClient, api_rt: Runtime) -> None:
    headers = bearer(api_rt)
    created = client.put(f"/api/v1/cases/{CASE_NO}", json=NEW_CASE, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["case_no"], body["applied_on"], body["applicant_groups"]) == (
        CASE_NO,
        "2012-10-08",
        ["migrant_worker"],
    )
    assert body["created_at"].endswith("+08:00") and body["decision"] is None
    updated = client.put(
        f"/api/v1/cases/{CASE_NO}",
        json={**NEW_CASE, "decided_on": "2012-10-10", "decision": "granted"},
        headers=headers,
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["decision"], updated.json()["decided_on"]) == ("granted", "2012-10-10")
    assert updated.json()["matter"] is None and count(api_rt, Case) == 1


def test_put_a_bad_value_is_422_naming_the_column_and_writes_nothing(
    client: TestClient, api_rt: Runtime
) -> None:
    response = client.put(
        f"/api/v1/cases/{CASE_NO}", json={**NEW_CASE, "applied_on": "2012-13-01"}, headers=bearer(api_rt)
    )
    assert response.status_code == 422 and response.headers["content-type"] == MEDIA_TYPE
    (problem,) = response.json()["problems"]
    assert (problem["row"], problem["column"]) == (1, "applied_on")
    assert problem["message"].startswith("not a date: '2012-13-01'")
    assert count(api_rt, Case) == 0


@pytest.mark.parametrize(
    "body", [{**NEW_CASE, "spaceship": "x"}, {**NEW_CASE, "applied_on": 20121008}, {"applicant": "x"}]
)
def test_put_a_wrong_field_is_422(client: TestClient, api_rt: Runtime, body: dict[str, Any]) -> None:
    response = client.put(f"/api/v1/cases/{CASE_NO}", json=body, headers=bearer(api_rt))
    assert response.status_code == 422 and count(api_rt, Case) == 0


# POST /cases/{case_no}/assignment -------------------------------------------------------------------------


def _lawyer_and_case(rt: Runtime) -> str:
    with rt.transaction() as session:
        lawyer = make_lawyer(session, name="李明")
        lawyer.email = "li@firm.example"
        make_decided_case(session, case_no=CASE_NO, assigned_on=None, lawyer=None)
        return lawyer.code


def test_an_assignment_queues_its_notice_and_records_the_tokens_name(
    client: TestClient, api_rt: Runtime
) -> None:
    code = _lawyer_and_case(api_rt)
    headers = {**bearer(api_rt), "Idempotency-Key": "assign-001"}
    body = {"person": code, "on": "2012-10-12"}
    first = client.post(f"/api/v1/cases/{CASE_NO}/assignment", json=body, headers=headers)
    assert first.status_code == 201, first.text
    answer = first.json()
    assert (answer["new_lawyer"], answer["assigned_on"], answer["by"]) == (
        code,
        "2012-10-12",
        "by token case-system",
    )
    assert len(answer["outbox_ids"]) == 1 == answer["notices"]
    again = client.post(f"/api/v1/cases/{CASE_NO}/assignment", json=body, headers=headers)
    assert again.json() == answer and again.headers["idempotent-replayed"] == "true"
    assert [m.id for m in outbox(api_rt)] == answer["outbox_ids"]  # one notice
    with api_rt.sessions() as session:
        events = session.scalars(select(CaseEvent).where(CaseEvent.kind == "assigned_on")).all()
    assert [event.detail for event in events] == ["by token case-system"]  # one assignment


def test_an_assignment_of_an_unknown_case_is_404_and_of_an_unknown_person_422(
    client: TestClient, api_rt: Runtime
) -> None:
    _lawyer_and_case(api_rt)
    headers = bearer(api_rt)
    missing = client.post(
        "/api/v1/cases/2099民援第999号/assignment",
        json={"person": "X"},
        headers={**headers, "Idempotency-Key": "a"},
    )
    assert missing.status_code == 404 and missing.json()["detail"] == "case 2099民援第999号: no such case"
    nobody = client.post(
        f"/api/v1/cases/{CASE_NO}/assignment",
        json={"person": "NOBODY", "on": "2012-10-12"},
        headers={**headers, "Idempotency-Key": "b"},
    )
    assert nobody.status_code == 422 and nobody.json()["detail"] == "person NOBODY: no such person"
    bad_date = client.post(
        f"/api/v1/cases/{CASE_NO}/assignment",
        json={"person": "X", "on": "0001-01-01"},
        headers={**headers, "Idempotency-Key": "c"},
    )
    assert bad_date.status_code == 422 and bad_date.json()["problems"][0]["column"] == "on"
    assert outbox(api_rt) == []


# POST /consultations ---------------------------------------------------------------------------------------

ROWS: list[dict[str, Any]] = [
    {"date": "2012-10-08", "channel": "visit", "outcome": "answered", "count": 3},
    {"date": "2012-10-09", "channel": "hotline_12348", "outcome": "referred", "topic": "欠薪"},
]


def test_consultations_are_appended_once(client: TestClient, api_rt: Runtime) -> None:
    headers = bearer(api_rt)
    response = client.post("/api/v1/consultations", json=ROWS, headers={**headers, "Idempotency-Key": "c1"})
    assert response.status_code == 200, response.text
    assert (response.json()["rows"], response.json()["inserted"]) == (2, 2)
    again = client.post("/api/v1/consultations", json=ROWS, headers={**headers, "Idempotency-Key": "c2"})
    assert again.json()["skipped_reason"].startswith("already imported on")
    assert count(api_rt, Consultation) == 2


def test_a_bad_consultation_names_its_row_and_nothing_is_written(client: TestClient, api_rt: Runtime) -> None:
    rows = [ROWS[0], {**ROWS[1], "date": "yesterday"}]
    response = client.post(
        "/api/v1/consultations", json=rows, headers={**bearer(api_rt), "Idempotency-Key": "c1"}
    )
    assert response.status_code == 422
    assert [(p["row"], p["column"]) for p in response.json()["problems"]] == [(2, "date")]
    assert count(api_rt, Consultation) == 0


def test_a_consultations_dry_run_writes_nothing(client: TestClient, api_rt: Runtime) -> None:
    response = client.post(
        "/api/v1/consultations",
        params={"dry_run": "true"},
        json=ROWS,
        headers={**bearer(api_rt), "Idempotency-Key": "d"},
    )
    assert response.status_code == 200 and response.json()["inserted"] == 2
    assert count(api_rt, Consultation) == 0


# GET /reminders/due and /reminders/overdue ---------------------------------------------------------------


def test_reminders_due_and_overdue_send_nothing(client: TestClient, api_rt: Runtime) -> None:
    with api_rt.transaction() as session:
        lawyer = make_lawyer(session)
        make_decided_case(session, case_no=CASE_NO, lawyer=lawyer)  # assigned 2012-10-12, never contacted
    headers = bearer(api_rt, "viewer", "read")
    due = client.get("/api/v1/reminders/due", params={"as_of": "2012-11-12"}, headers=headers)
    assert due.status_code == 200, due.text
    assert due.json()["as_of"] == "2012-11-12" and due.json()["working_day"] is True
    assert all(line["outbox_id"] is None for line in due.json()["lines"])
    overdue = client.get("/api/v1/reminders/overdue", params={"as_of": "2013-06-01"}, headers=headers)
    assert overdue.status_code == 200, overdue.text
    groups = overdue.json()["groups"]
    assert groups and any(item["case_no"] == CASE_NO for group in groups for item in group["items"])
    assert outbox(api_rt) == []
    assert (
        client.get("/api/v1/reminders/due", params={"as_of": "2012-13-01"}, headers=headers).status_code
        == 422
    )
