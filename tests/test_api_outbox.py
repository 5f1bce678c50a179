"""``/api/v1/outbox`` on SQLite and PostgreSQL: a page of messages, one message as ``mail show`` shows it
(attachments' names and sizes, personal numbers masked, times in the center's zone), and a retry of a dead
message delivered afterwards; a sent message is 409, an unknown id 404, bad paging 422."""

from __future__ import annotations

import pytest
from api import TestClient, assert_problem, bearer, token
from mailroom import deliver_all
from sqlalchemy import update

from legalaid.mail import Attachment, enqueue
from legalaid.models import OutboxMessage
from legalaid.runtime import Runtime

ID_CARD = "330102198001011234"


@pytest.fixture
def ids(api_rt: Runtime) -> list[int]:
    """Three messages: the first dead, with an attachment and an ID-card number in its body."""
    with api_rt.transaction() as session:
        rows = [
            enqueue(
                session,
                key=f"test:{n}",
                to=[f"p{n}@center.example.cn"],
                subject=f"通知{n}",
                text=f"申请人身份证号{ID_CARD}",
                attachments=[Attachment("值班表.ics", b"x" * 42, "text/calendar")] if n == 1 else [],
            )
            for n in (1, 2, 3)
        ]
        session.flush()
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == rows[0].id)
            .values(status="dead", attempts=3, last_error="550 mailbox unavailable")
        )
        return [row.id for row in rows]


def test_the_outbox_a_page_at_a_time_and_by_status(
    client: TestClient, api_rt: Runtime, ids: list[int]
) -> None:
    headers = bearer(token(api_rt, "viewer", "read"))
    first = client.get("/api/v1/outbox", params={"limit": 2}, headers=headers).json()
    assert [m["id"] for m in first["messages"]] == [ids[2], ids[1]]
    assert first["next_before_id"] == ids[1]
    rest = client.get("/api/v1/outbox", params={"limit": 2, "before_id": ids[1]}, headers=headers).json()
    assert [m["id"] for m in rest["messages"]] == [ids[0]] and rest["next_before_id"] is None
    assert [m["id"] for m in client.get("/api/v1/outbox?offset=2", headers=headers).json()["messages"]] == [
        ids[0]
    ]
    dead = client.get("/api/v1/outbox", params={"status": "dead"}, headers=headers).json()["messages"]
    assert [(m["id"], m["last_error"]) for m in dead] == [(ids[0], "550 mailbox unavailable")]
    assert dead[0]["created_at"].endswith("+08:00")
    assert_problem(client.get("/api/v1/outbox?status=lost", headers=headers), 422)
    both = assert_problem(client.get("/api/v1/outbox?before_id=2&offset=1", headers=headers), 422)
    assert both["detail"] == "before_id, offset: give one of them"
    assert_problem(client.get("/api/v1/outbox?limit=0", headers=headers), 422)


def test_one_message_as_mail_show_shows_it(client: TestClient, api_rt: Runtime, ids: list[int]) -> None:
    headers = bearer(token(api_rt, "viewer", "read"))
    body = client.get(f"/api/v1/outbox/{ids[0]}", headers=headers).json()
    assert body["status"] == "dead" and body["attempts"] == 3 and body["to"] == ["p1@center.example.cn"]
    assert body["attachments"] == [{"filename": "值班表.ics", "content_type": "text/calendar", "size": 42}]
    assert ID_CARD not in str(body) and "3301**********1234" in body["text"]
    assert body["headers"]["Subject"] == "通知1" and body["created_at"].endswith("+08:00")
    missing = assert_problem(client.get("/api/v1/outbox/999999", headers=headers), 404)
    assert missing["detail"] == "no outbox message 999999"
    assert_problem(client.get("/api/v1/outbox/0", headers=headers), 422)
    assert_problem(client.get(f"/api/v1/outbox/{2**63}", headers=headers), 422)


def test_a_dead_message_retried_is_delivered_and_a_sent_one_is_409(
    client: TestClient, api_rt: Runtime, ids: list[int]
) -> None:
    writer = bearer(token(api_rt, "desk", "write"))
    reader = bearer(token(api_rt, "viewer", "read"))
    assert_problem(
        client.post(f"/api/v1/outbox/{ids[0]}/retry", headers={**reader, "Idempotency-Key": "r"}), 403
    )
    answer = client.post(f"/api/v1/outbox/{ids[0]}/retry", headers={**writer, "Idempotency-Key": "r1"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"queued": [ids[0]], "note": "queued; the worker's next mail sweep delivers it"}
    assert client.get(f"/api/v1/outbox/{ids[0]}", headers=reader).json()["status"] == "queued"
    deliver_all(api_rt)
    assert client.get(f"/api/v1/outbox/{ids[0]}", headers=reader).json()["status"] == "sent"
    refused = client.post(f"/api/v1/outbox/{ids[0]}/retry", headers={**writer, "Idempotency-Key": "r2"})
    detail = assert_problem(refused, 409)["detail"]
    assert detail.startswith(f"outbox {ids[0]} is sent (") and detail.endswith("nothing to retry")
    assert "\n" not in detail
    unknown = client.post("/api/v1/outbox/999999/retry", headers={**writer, "Idempotency-Key": "r3"})
    assert_problem(unknown, 404)
