"""The outbox queries: idempotent enqueue, one winner per claim, fencing, the sweep, retry by hand."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from smtp_server import queue_mail
from sqlalchemy import func, select

from legalaid.config import Settings
from legalaid.mail import (
    DEFAULT_POLICY,
    Attachment,
    NewMessage,
    claim,
    enqueue,
    enqueue_many,
    hand_over_lost,
    mark_enqueued,
    message_id_for,
    record_failure,
    record_sent,
    requeue,
    sweep,
)
from legalaid.models import OutboxAttachment, OutboxMessage, utcnow
from legalaid.runtime import Runtime, build_runtime

DATABASES = ["rt", pytest.param("pg_rt", marks=pytest.mark.services)]


@pytest.fixture(params=DATABASES)
def any_rt(request: pytest.FixtureRequest) -> Runtime:
    """The SQLite runtime, and the PostgreSQL one when the service is there."""
    runtime: Runtime = request.getfixturevalue(request.param)
    return runtime


def _row(rt: Runtime, outbox_id: int) -> OutboxMessage:
    with rt.transaction() as session:
        return session.execute(select(OutboxMessage).where(OutboxMessage.id == outbox_id)).scalar_one()


def _all_at_once(workers: int, job: Callable[[int], Any]) -> list[Any]:
    """Run ``job(n)`` in ``workers`` threads released together by a barrier."""
    barrier = threading.Barrier(workers)

    def run(n: int) -> Any:
        barrier.wait()
        return job(n)

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, range(workers)))


# Enqueue ------------------------------------------------------------------------------------------------


def test_enqueue_stores_a_message_id_from_the_key_and_masks_personal_numbers(rt: Runtime) -> None:
    with rt.transaction() as session:
        row = enqueue(
            session,
            key="reminder:review:C001:7",
            to=["staff@example.org"],
            subject="受援人 330201199001011234 的申请待审查",
            text="受援人电话 13812345678，身份证 33020119900101123X。",
            html="<p>电话 13812345678</p>",
            attachments=[Attachment("申请表.docx", b"PK..")],
            mail_from="中心 <center@legalaid.example.org>",
        )
    # The configured domain itself (issue 12: it was legalaid.<domain>).
    assert row.message_id.endswith("@legalaid.example.org>")
    assert len(row.message_id) == len("<>@legalaid.example.org") + 32
    assert row.subject == "受援人 3302**********1234 的申请待审查"
    assert row.body_text == "受援人电话 138****5678，身份证 3302**********123X。"
    assert row.body_html == "<p>电话 138****5678</p>"
    assert (row.status, row.attempts, row.enqueued_at) == ("queued", 0, None)
    with rt.transaction() as session:
        [attachment] = session.execute(select(OutboxAttachment)).scalars()
        assert attachment.content_type.endswith("wordprocessingml.document")


def test_enqueue_an_existing_key_returns_the_existing_row_unchanged(rt: Runtime) -> None:
    first = queue_mail(rt, "report:annual:2012:leaders", subject="2012年度报告")
    again = queue_mail(
        rt, "report:annual:2012:leaders", subject="另一个标题", attachments=(Attachment("x.txt", b"x"),)
    )

    assert first == again
    assert _row(rt, first).subject == "2012年度报告"
    with rt.transaction() as session:
        assert session.execute(select(func.count()).select_from(OutboxAttachment)).scalar_one() == 0


def test_enqueue_rolls_back_with_the_callers_transaction(rt: Runtime) -> None:
    with pytest.raises(RuntimeError), rt.transaction() as session:
        enqueue(session, key="k:rollback", to=["a@example.org"], subject="s", text="t")
        raise RuntimeError("the change that caused the mail failed")
    with rt.transaction() as session:
        assert session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"to": []}, "at least one recipient"),
        ({"key": ""}, "1 to 300 characters"),
        ({"headers": {"Bcc": "spy@example.org"}}, "may not be set"),
        ({"headers": {"X-Case": "1\r\nBcc: spy@example.org"}}, "line breaks"),
    ],
)
def test_enqueue_refuses_what_cannot_be_a_message(rt: Runtime, kwargs: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"key": "k", "to": ["a@example.org"], "subject": "s", "text": "t"}
    values.update(kwargs)
    with pytest.raises(ValueError, match=message), rt.transaction() as session:
        enqueue(session, **values)


def test_the_same_key_enqueued_at_once_from_many_threads_makes_one_row(any_rt: Runtime) -> None:
    def job(n: int) -> int:
        return queue_mail(any_rt, "roster:daybefore:2012-10-08:am:P3", subject=f"from thread {n}")

    ids = _all_at_once(6, job)

    assert len(set(ids)) == 1
    with any_rt.transaction() as session:
        assert session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 1


def test_enqueue_many_returns_the_ids_in_order_new_or_existing(any_rt: Runtime) -> None:
    existing = queue_mail(any_rt, "digest:2012-10-15:P2", subject="早上的摘要")
    messages = [
        NewMessage(
            "digest:2012-10-15:P1",
            ["p1@example.org"],
            "今日待办",
            "申请人王小明，身份证330106199001011234",
            attachments=(Attachment("值班表.ics", b"BEGIN:VCALENDAR"),),
        ),
        NewMessage("digest:2012-10-15:P2", ["p2@example.org"], "另一个标题", "t"),
        NewMessage("digest:2012-10-15:P3", ["p3@example.org"], "s3", "t3", html="<p>t3</p>", kind="reminder"),
        NewMessage("digest:2012-10-15:P1", ["other@example.org"], "the same key again", "t"),
    ]

    with any_rt.transaction() as session:
        ids = enqueue_many(session, messages, mail_from="center@example.org")

    assert ids[1] == existing and ids[0] == ids[3]
    assert len(set(ids)) == 3
    first, second, third = _row(any_rt, ids[0]), _row(any_rt, ids[1]), _row(any_rt, ids[2])
    assert (first.to_addrs, first.body_text) == (["p1@example.org"], "申请人王小明，身份证3301**********1234")
    assert first.message_id == message_id_for("digest:2012-10-15:P1", "center@example.org")
    assert second.subject == "早上的摘要"  # an existing key is left as it was
    assert (third.kind, third.body_html) == ("reminder", "<p>t3</p>")
    with any_rt.transaction() as session:
        attachments = session.execute(
            select(OutboxAttachment.message_id, OutboxAttachment.filename, OutboxAttachment.content)
        ).all()
    assert attachments == [(ids[0], "值班表.ics", b"BEGIN:VCALENDAR")]


def test_enqueue_many_of_thousands_writes_each_once(any_rt: Runtime) -> None:
    messages = [NewMessage(f"bulk:{n}", [f"p{n}@example.org"], f"s{n}", "t") for n in range(2500)]
    with any_rt.transaction() as session:
        first = enqueue_many(session, messages[:1000])
    with any_rt.transaction() as session:
        ids = enqueue_many(session, messages)

    assert ids[:1000] == first and len(set(ids)) == 2500
    with any_rt.transaction() as session:
        rows = session.execute(select(OutboxMessage.id, OutboxMessage.idempotency_key)).all()
    assert sorted(rows) == sorted(zip(ids, (m.key for m in messages), strict=True))


def test_enqueue_many_refuses_the_whole_batch_for_one_bad_message(rt: Runtime) -> None:
    messages = [NewMessage("good", ["a@example.org"], "s", "t"), NewMessage("bad", [], "s", "t")]
    with (
        pytest.raises(ValueError, match="bad: a message needs at least one recipient"),
        rt.transaction() as s,
    ):
        enqueue_many(s, messages)
    with rt.transaction() as session:
        assert session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0


# Claim ----------------------------------------------------------------------------------------------------


def test_claim_takes_a_due_row_once_and_leaves_others_alone(rt: Runtime) -> None:
    outbox_id = queue_mail(rt, "k:claim")
    now = utcnow()
    with rt.transaction() as session:
        won = claim(session, outbox_id, now=now)
        assert won is not None and won.attempt == 1 and won.mail.key == "k:claim"
        assert claim(session, outbox_id, now=now) is None  # already sending
        assert claim(session, 9999, now=now) is None  # gone
    row = _row(rt, outbox_id)
    assert (row.status, row.attempts, row.lease_until) == ("sending", 1, now + DEFAULT_POLICY.lease)


def test_claim_refuses_a_row_that_is_not_due_yet(rt: Runtime) -> None:
    outbox_id = queue_mail(rt, "k:later")
    with rt.transaction() as session:
        assert claim(session, outbox_id, now=_row(rt, outbox_id).created_at - timedelta(seconds=1)) is None


def test_two_threads_claiming_the_same_rows_one_wins_each(any_rt: Runtime) -> None:
    ids = [queue_mail(any_rt, f"k:race:{n}") for n in range(15)]
    now = utcnow() + timedelta(seconds=1)

    def job(_n: int) -> list[int]:
        won = []
        for outbox_id in ids:
            with any_rt.transaction() as session:
                if claim(session, outbox_id, now=now) is not None:
                    won.append(outbox_id)
        return won

    winners = [i for won in _all_at_once(4, job) for i in won]

    assert sorted(winners) == ids  # every row claimed exactly once
    assert {_row(any_rt, i).attempts for i in ids} == {1}


def _claim_all(database_url: str, data_dir: str, ids: list[int], start: Any, out: Any) -> None:
    runtime = build_runtime(Settings(data_dir=data_dir, database_url=database_url))
    start.wait()
    now = utcnow() + timedelta(seconds=5)
    won = []
    for outbox_id in ids:
        with runtime.transaction() as session:
            if claim(session, outbox_id, now=now) is not None:
                won.append(outbox_id)
    runtime.dispose()
    out.put(won)


def test_two_processes_claiming_the_same_rows_one_wins_each(any_rt: Runtime) -> None:
    ids = [queue_mail(any_rt, f"k:prace:{n}") for n in range(30)]
    spawn = multiprocessing.get_context("spawn")
    start, out = spawn.Event(), spawn.Queue()
    url = any_rt.settings.resolved_database_url
    procs = [
        spawn.Process(target=_claim_all, args=(url, str(any_rt.settings.data_dir), ids, start, out))
        for _ in range(3)
    ]
    for proc in procs:
        proc.start()
    start.set()
    results = [out.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0

    assert sorted(i for won in results for i in won) == ids


# Outcomes and fencing ---------------------------------------------------------------------------------


def test_a_worker_that_outlived_its_lease_cannot_overwrite_the_next_claim(rt: Runtime) -> None:
    outbox_id = queue_mail(rt, "k:fence")
    t0 = utcnow()
    with rt.transaction() as session:
        first = claim(session, outbox_id, now=t0)
    assert first is not None
    later = t0 + DEFAULT_POLICY.lease + timedelta(seconds=1)
    with rt.transaction() as session:
        assert sweep(session, now=later) == [outbox_id]
        second = claim(session, outbox_id, now=later)
    assert second is not None and second.attempt == 2

    with rt.transaction() as session:
        stale = record_failure(
            session, outbox_id, attempt=first.attempt, error="timeout", permanent=False, now=later
        )
    assert stale is None
    assert _row(rt, outbox_id).status == "sending"
    # Success is a fact whoever reports it: the late worker's message did reach the server.
    with rt.transaction() as session:
        record_sent(session, outbox_id, now=later)
    assert _row(rt, outbox_id).status == "sent"


# Sweep -----------------------------------------------------------------------------------------------------


def test_the_sweeper_reclaims_an_expired_lease(rt: Runtime) -> None:
    outbox_id = queue_mail(rt, "k:killed-worker")
    t0 = utcnow()
    with rt.transaction() as session:
        assert claim(session, outbox_id, now=t0) is not None
        mark_enqueued(session, [outbox_id], now=t0)  # a no-op: only queued rows are marked
    # Within the lease: the worker may still be working on it.
    with rt.transaction() as session:
        assert sweep(session, now=t0 + DEFAULT_POLICY.lease - timedelta(seconds=1)) == []
    assert _row(rt, outbox_id).status == "sending"

    with rt.transaction() as session:
        assert sweep(session, now=t0 + DEFAULT_POLICY.lease + timedelta(seconds=1)) == [outbox_id]
    row = _row(rt, outbox_id)
    assert (row.status, row.lease_until, row.enqueued_at) == ("queued", None, None)
    assert "lease expired" in (row.last_error or "")


def test_the_sweeper_re_enqueues_a_lost_task_but_not_a_recent_hand_off(rt: Runtime) -> None:
    handed = queue_mail(rt, "k:handed")
    never = queue_mail(rt, "k:never-handed")
    t0 = utcnow()
    with rt.transaction() as session:
        mark_enqueued(session, [handed], now=t0)

    with rt.transaction() as session:
        assert sweep(session, now=t0 + timedelta(minutes=1)) == [never]
    lost = t0 + DEFAULT_POLICY.lost_after + timedelta(seconds=1)
    with rt.transaction() as session:
        assert sorted(sweep(session, now=lost)) == [handed, never]


def test_the_sweeper_leaves_rows_waiting_for_their_retry(rt: Runtime) -> None:
    outbox_id = queue_mail(rt, "k:backoff")
    t0 = utcnow()
    with rt.transaction() as session:
        claimed = claim(session, outbox_id, now=t0)
        assert claimed is not None
        status = record_failure(session, outbox_id, attempt=1, error="451 later", permanent=False, now=t0)
    assert status == "queued"
    retry_at = _row(rt, outbox_id).next_attempt_at
    with rt.transaction() as session:
        assert sweep(session, now=retry_at - timedelta(seconds=1)) == []
        assert sweep(session, now=retry_at) == [outbox_id]


def test_hand_over_lost_sends_the_ids_then_marks_them_enqueued(rt: Runtime) -> None:
    ids = [queue_mail(rt, f"k:sweep:{n}") for n in range(3)]
    sent: list[list[int]] = []
    now = utcnow()

    assert hand_over_lost(rt, sent.append, now=now) == ids
    assert sent == [ids]
    assert {_row(rt, i).enqueued_at for i in ids} == {now}
    assert hand_over_lost(rt, sent.append, now=now + timedelta(minutes=1)) == []


# Retry by hand -------------------------------------------------------------------------------------------


def test_requeue_revives_dead_messages_with_a_fresh_horizon(rt: Runtime) -> None:
    dead_id = queue_mail(rt, "k:dead")
    sent_id = queue_mail(rt, "k:sent")
    old = utcnow()
    with rt.transaction() as session:
        claim(session, dead_id, now=old)
        record_failure(session, dead_id, attempt=1, error="550 no such user", permanent=True, now=old)
        claim(session, sent_id, now=old)
        record_sent(session, sent_id, now=old)

    later = old + timedelta(days=3)  # far past the 24 h horizon
    with rt.transaction() as session:
        assert requeue(session, ids=[sent_id]) == []
        assert requeue(session, dead=True, now=later) == [dead_id]
    row = _row(rt, dead_id)
    assert (row.status, row.next_attempt_at, row.retried_at, row.enqueued_at) == (
        "queued",
        later,
        later,
        None,
    )

    # The horizon counts from the retry: one more temporary failure is a retry, not instant death.
    with rt.transaction() as session:
        claimed = claim(session, dead_id, now=later)
        assert claimed is not None
        assert (
            record_failure(session, dead_id, attempt=2, error="timeout", permanent=False, now=later)
            == "queued"
        )
