"""Delivery through a real SMTP server (aiosmtpd on a free local port), with retries on a clock we move."""

from __future__ import annotations

import random
import shutil
import ssl
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from smtp_server import MAIL_FROM, SmtpTestServer, make_certificate, queue_mail, smtp_settings
from sqlalchemy import select

from legalaid import migrate
from legalaid.config import Settings
from legalaid.mail import (
    Attachment,
    Outcome,
    RetryPolicy,
    SmtpTransport,
    deliver_many,
    deliver_one,
    flush,
    make_transport,
    mark_enqueued,
)
from legalaid.models import OutboxMessage, utcnow
from legalaid.runtime import Runtime, build_runtime

ATTACHMENT_NAME = "指派通知书-2012民援第001号.docx"
SUBJECT = "关于指派（2012）民援字第001号案件的通知——请于三日内与受援人联系"
BODY = "张律师：\n\n本中心决定指派您承办受援人李四（农民工）追索劳动报酬一案。\n请于三日内与受援人联系。\n"


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server


def _runtime(settings: Settings) -> Runtime:
    runtime = build_runtime(settings)
    migrate.upgrade(runtime.engine)
    return runtime


@pytest.fixture
def srt(smtp: SmtpTestServer, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on SQLite whose settings send through the test server."""
    runtime = _runtime(smtp_settings(smtp, tmp_path / "var"))
    yield runtime
    runtime.dispose()


@pytest.fixture
def transport(srt: Runtime) -> Iterator[SmtpTransport]:
    made = make_transport(srt.settings)
    assert isinstance(made, SmtpTransport)
    yield made
    made.close()


def _row(rt: Runtime, outbox_id: int) -> OutboxMessage:
    with rt.transaction() as session:
        return session.execute(select(OutboxMessage).where(OutboxMessage.id == outbox_id)).scalar_one()


def test_chinese_subject_body_and_attachment_name_arrive_intact(
    srt: Runtime, smtp: SmtpTestServer, transport: SmtpTransport
) -> None:
    content = b"PK\x03\x04 not really a docx, but bytes are bytes \x00\xff"
    outbox_id = queue_mail(
        srt,
        "assignment:(2012)001:lawyer-7",
        to=("zhang.lawyer@example.org",),
        cc=("staff@example.org",),
        subject=SUBJECT,
        text=BODY,
        html="<p>张律师：</p><p>本中心决定指派您承办……</p>",
        attachments=(Attachment(ATTACHMENT_NAME, content),),
    )

    assert deliver_one(srt, outbox_id, transport=transport) is Outcome.SENT

    [received] = smtp.messages()
    assert set(received.recipients) == {"zhang.lawyer@example.org", "staff@example.org"}
    assert received.mail_from == "center@legalaid.example.org"
    message = received.message
    assert message["Subject"] == SUBJECT
    assert message["From"] == MAIL_FROM
    assert message["Cc"] == "staff@example.org"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    # MIME text travels in canonical form, CRLF line ends (RFC 2046 §4.1.1); every line is exactly ours.
    assert plain.get_content().replace("\r\n", "\n") == BODY
    assert "本中心决定指派您承办" in html.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == ATTACHMENT_NAME
    assert attachment.get_content_type() == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert attachment.get_payload(decode=True) == content
    row = _row(srt, outbox_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert received.message_id == row.message_id
    # On the wire the subject is RFC 2047 and the file name RFC 2231: nothing raw beyond ASCII in headers.
    head = received.data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert b"filename*" in received.data


def test_server_refusing_then_returning_gives_exactly_one_delivery(
    srt: Runtime, smtp: SmtpTestServer, transport: SmtpTransport
) -> None:
    outbox_id = queue_mail(srt, "reminder:closure:C001:7")
    rng = random.Random(7)
    t0 = utcnow()
    smtp.refuse_connections()

    assert flush(srt, transport=transport, now=t0, rng=rng) == {Outcome.RETRY: 1}
    first = _row(srt, outbox_id)
    assert first.status == "queued" and first.attempts == 1
    assert "ConnectionRefusedError" in (first.last_error or "")
    assert t0 + timedelta(seconds=45) <= first.next_attempt_at <= t0 + timedelta(seconds=75)
    # Not due yet: flushing again at the same moment does nothing.
    assert flush(srt, transport=transport, now=t0, rng=rng) == {}

    t1 = first.next_attempt_at
    assert flush(srt, transport=transport, now=t1, rng=rng) == {Outcome.RETRY: 1}
    second = _row(srt, outbox_id)
    assert second.attempts == 2
    assert second.next_attempt_at - t1 >= timedelta(seconds=90)  # backoff doubled (±25 % jitter)

    smtp.accept_connections()
    t2 = second.next_attempt_at
    assert flush(srt, transport=transport, now=t2, rng=rng) == {Outcome.SENT: 1}
    assert flush(srt, transport=transport, now=t2 + timedelta(hours=1), rng=rng) == {}
    assert len(smtp.messages()) == 1
    final = _row(srt, outbox_id)
    assert (final.status, final.attempts, final.sent_at) == ("sent", 3, t2)


def test_550_on_the_recipient_is_dead_at_once_with_the_answer_kept(
    srt: Runtime, smtp: SmtpTestServer, transport: SmtpTransport
) -> None:
    smtp.reject_recipient("nobody@example.org", "550 5.1.1 <nobody@example.org>: no such user here")
    outbox_id = queue_mail(srt, "reminder:x:1", to=("nobody@example.org",))

    assert deliver_one(srt, outbox_id, transport=transport) is Outcome.DEAD

    row = _row(srt, outbox_id)
    assert (row.status, row.attempts) == ("dead", 1)
    assert "550 5.1.1 <nobody@example.org>: no such user here" in (row.last_error or "")
    assert smtp.messages() == []
    # The connection survives a refusal: the next message goes through on it.
    ok = queue_mail(srt, "reminder:x:2")
    assert deliver_one(srt, ok, transport=transport) is Outcome.SENT
    assert transport.connections_opened == 1


def test_one_refused_recipient_of_two_still_sends_to_the_other(
    srt: Runtime, smtp: SmtpTestServer, transport: SmtpTransport
) -> None:
    smtp.reject_recipient("gone@example.org")
    outbox_id = queue_mail(srt, "report:annual:2012:leaders", to=("gone@example.org", "head@example.org"))

    assert deliver_one(srt, outbox_id, transport=transport) is Outcome.SENT

    [received] = smtp.messages()
    assert received.recipients == ("head@example.org",)
    row = _row(srt, outbox_id)
    assert row.status == "sent"
    assert "gone@example.org: 550" in (row.last_error or "")


def test_451_is_retried_and_then_delivered(
    srt: Runtime, smtp: SmtpTestServer, transport: SmtpTransport
) -> None:
    smtp.fail_temporarily(times=1)
    outbox_id = queue_mail(srt, "roster:daybefore:2012-10-08:am:P7")
    t0 = utcnow()

    assert deliver_one(srt, outbox_id, transport=transport, now=t0) is Outcome.RETRY
    row = _row(srt, outbox_id)
    assert row.status == "queued"
    assert "451 4.3.0" in (row.last_error or "")
    assert deliver_one(srt, outbox_id, transport=transport, now=row.next_attempt_at) is Outcome.SENT
    assert len(smtp.messages()) == 1


def test_temporary_failures_past_the_horizon_make_it_dead(
    srt: Runtime, smtp: SmtpTestServer, transport: SmtpTransport
) -> None:
    policy = RetryPolicy(horizon=timedelta(hours=2), max_delay=timedelta(minutes=30))
    outbox_id = queue_mail(srt, "reminder:y:1")
    created = _row(srt, outbox_id).created_at
    smtp.refuse_connections()
    now = created
    outcomes = []
    for _ in range(20):
        outcome = deliver_one(srt, outbox_id, transport=transport, policy=policy, now=now)
        outcomes.append(outcome)
        if outcome is Outcome.DEAD:
            break
        now = _row(srt, outbox_id).next_attempt_at

    assert outcomes[-1] is Outcome.DEAD
    assert set(outcomes[:-1]) == {Outcome.RETRY}
    row = _row(srt, outbox_id)
    assert row.status == "dead"
    assert now == created + policy.horizon  # the last try was made at the horizon itself
    assert (row.last_error or "").startswith(f"gave up after {row.attempts} attempts")


def test_the_same_key_enqueued_twice_sends_once(
    srt: Runtime, smtp: SmtpTestServer, transport: SmtpTransport
) -> None:
    first = queue_mail(srt, "reminder:hearing:C009:1", subject="开庭提醒")
    second = queue_mail(srt, "reminder:hearing:C009:1", subject="开庭提醒（重复）")

    assert first == second
    assert flush(srt, transport=transport) == {Outcome.SENT: 1}
    assert deliver_one(srt, first, transport=transport) is Outcome.SKIPPED
    [received] = smtp.messages()
    assert received.message["Subject"] == "开庭提醒"


def test_login_name_without_at_is_used_as_is_and_the_password_never_stored(
    smtp: SmtpTestServer, tmp_path: Path
) -> None:
    password = "Real-Secret-5821"
    with SmtpTestServer(logins={"center": password}) as server:
        runtime = _runtime(
            smtp_settings(server, tmp_path / "auth", smtp_user="center", smtp_password=password)
        )
        sender = make_transport(runtime.settings)
        try:
            ok = queue_mail(runtime, "k:auth:1")
            assert deliver_one(runtime, ok, transport=sender) is Outcome.SENT
            [received] = server.messages()
            # yagmail would have logged in as center@gmail.com and sent From it.
            assert received.login == "center"
            assert received.mail_from == "center@legalaid.example.org"

            wrong = make_transport(runtime.settings.model_copy(update={"smtp_user": "intruder"}))
            bad = queue_mail(runtime, "k:auth:2")
            assert deliver_one(runtime, bad, transport=wrong) is Outcome.RETRY  # a setting, not the mail
            wrong.close()
            row = _row(runtime, bad)
            assert "SMTPAuthenticationError" in (row.last_error or "")
            assert "535" in (row.last_error or "")
            assert password not in repr(sender)
            with runtime.engine.connect() as conn:
                dump = "\n".join(str(r) for r in conn.exec_driver_sql("select * from outbox").all())
            assert password not in dump
        finally:
            sender.close()
            runtime.dispose()


def test_one_connection_is_kept_and_reopened_after_the_server_restarts(
    srt: Runtime, smtp: SmtpTestServer, transport: SmtpTransport
) -> None:
    ids = [queue_mail(srt, f"k:reuse:{n}") for n in range(5)]
    assert flush(srt, transport=transport) == {Outcome.SENT: 5}
    assert transport.connections_opened == 1

    smtp.refuse_connections()
    smtp.accept_connections()  # the kept connection is now dead; the next send must notice and reconnect
    later = queue_mail(srt, "k:reuse:after-restart")
    assert deliver_one(srt, later, transport=transport) is Outcome.SENT
    assert transport.connections_opened == 2
    assert len(smtp.messages()) == len(ids) + 1


def test_invalid_addresses_are_skipped_and_none_valid_is_dead(
    srt: Runtime, smtp: SmtpTestServer, transport: SmtpTransport
) -> None:
    partly = queue_mail(srt, "k:addr:1", to=("not an address", "ok@example.org"))
    none = queue_mail(srt, "k:addr:2", to=("lawyer-at-example.org",))

    assert deliver_one(srt, partly, transport=transport) is Outcome.SENT
    assert deliver_one(srt, none, transport=transport) is Outcome.DEAD
    assert [m.recipients for m in smtp.messages()] == [("ok@example.org",)]
    assert "not an address" in (_row(srt, partly).last_error or "")
    assert "no valid recipient address: lawyer-at-example.org" in (_row(srt, none).last_error or "")


def test_a_batch_stops_at_the_first_temporary_failure_and_hands_the_rest_back(
    srt: Runtime, smtp: SmtpTestServer, transport: SmtpTransport
) -> None:
    ids = [queue_mail(srt, f"k:batch:{n}") for n in range(4)]
    with srt.transaction() as session:
        mark_enqueued(session, ids)
    smtp.reject_recipient("gone@example.org")
    dead = queue_mail(srt, "k:batch:dead", to=("gone@example.org",))
    smtp.fail_temporarily(times=1)

    outcomes, untried = deliver_many(srt, [dead, *ids], transport=transport)

    # A permanent failure is the message's own problem: the batch goes on. A temporary one is most likely
    # the server's: the batch stops.
    assert outcomes == {Outcome.DEAD: 1, Outcome.RETRY: 1}
    assert untried == ids[1:]
    assert [_row(srt, i).enqueued_at for i in untried] == [None] * 3  # the next sweep hands them over
    assert _row(srt, ids[0]).status == "queued" and _row(srt, ids[0]).attempts == 1


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_verifies_the_server_certificate_before_logging_in(security: str, tmp_path: Path) -> None:
    certificate = make_certificate(tmp_path)
    password = "Real-Secret-5821"
    with SmtpTestServer(logins={"center": password}, tls=security, certificate=certificate) as server:
        runtime = _runtime(
            smtp_settings(
                server, tmp_path / "var", smtp_security=security, smtp_user="center", smtp_password=password
            )
        )
        trusting = make_transport(runtime.settings)
        assert isinstance(trusting, SmtpTransport)
        trusting.tls_context = ssl.create_default_context(cafile=str(certificate[0]))
        untrusting = make_transport(runtime.settings)  # the system's CAs: a self-signed server is refused
        try:
            refused = queue_mail(runtime, "k:tls:untrusted")
            assert deliver_one(runtime, refused, transport=untrusting) is Outcome.RETRY
            assert "CERTIFICATE_VERIFY_FAILED" in (_row(runtime, refused).last_error or "")
            assert server.messages() == []  # nothing went out, not even the login

            ok = queue_mail(runtime, "k:tls:trusted")
            assert deliver_one(runtime, ok, transport=trusting) is Outcome.SENT
            [received] = server.messages()
            assert received.login == "center"
        finally:
            trusting.close()
            untrusting.close()
            runtime.dispose()
