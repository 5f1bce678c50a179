"""Mail delivery speed: 2,000 messages through the outbox by 2 worker processes on Redis and PostgreSQL to a
local SMTP sink (aiosmtpd), next to the floor: a plain loop of ``smtplib.SMTP.send_message`` on one reused
connection to the same sink. The target is at least half the floor.

Run: ``.venv/bin/python bench/bench_mail.py [MESSAGES] [--pool prefork|solo|threads]``. Not a test; needs
Redis and PostgreSQL (the same ``LEGALAID_TEST_REDIS_URL`` / ``LEGALAID_TEST_POSTGRES_URL`` as the tests,
same defaults). Prints messages/s.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import subprocess
import sys
import tempfile
import time
import uuid
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from smtp_server import MAIL_FROM, SmtpTestServer

import tasks.mail as mail_tasks
from legalaid import migrate
from legalaid.config import Settings
from legalaid.mail import Attachment, compose, enqueue, mark_enqueued
from legalaid.mail.outbox import outgoing
from legalaid.models import OutboxMessage
from legalaid.runtime import Runtime, build_runtime
from workers import make_celery

REDIS_URL = os.environ.get("LEGALAID_TEST_REDIS_URL", "redis://127.0.0.1:6379")
POSTGRES_URL = os.environ.get(
    "LEGALAID_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
WORKERS = 2
BODY = (
    "张律师：\n\n您承办的（2012）民援字第{n:03d}号案件已超过十五日无进展记录，请及时更新办理进度。\n\n"
    "法律援助中心\n"
)
ATTACHMENT = Attachment("案件进度登记表.docx", b"PK\x03\x04" + b"\x00" * 6000)


def redis_db() -> tuple[str, redis.Redis[bytes], int]:
    """A Redis database of our own, taken with the tests' lock protocol so a test run does not meet us."""
    admin = redis.Redis.from_url(f"{REDIS_URL}/0")
    token = uuid.uuid4().hex
    for number in range(15, 0, -1):
        if admin.set(f"legalaid-test-lock:{number}", token, nx=True, ex=3600):
            url = f"{REDIS_URL}/{number}"
            redis.Redis.from_url(url).flushdb()
            return url, admin, number
    raise SystemExit("no free Redis database (all 15 test locks taken)")


def postgres_db() -> tuple[str, Any, str]:
    admin_url = make_url(POSTGRES_URL)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"legalaid_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin_url.set(database=name).render_as_string(hide_password=False), admin, name


def floor_rate(sink: SmtpTestServer, rt: Runtime, ids: list[int]) -> float:
    """Messages/s of a bare smtplib loop on one connection, sending the same composed messages."""
    with rt.transaction() as session:
        rows = session.execute(select(OutboxMessage).where(OutboxMessage.id.in_(ids))).scalars().all()
        composed = [compose(outgoing(row), mail_from=MAIL_FROM) for row in rows]
    parsed = [BytesParser(policy=policy.SMTP).parsebytes(c.data) for c in composed]
    before = len(sink.messages())
    started = time.perf_counter()
    with smtplib.SMTP(sink.host, sink.port) as connection:
        for message, mail in zip(parsed, composed, strict=True):
            connection.send_message(message, from_addr=mail.envelope_from, to_addrs=list(mail.recipients))
    elapsed = time.perf_counter() - started
    assert len(sink.messages()) - before == len(parsed)
    return len(parsed) / elapsed


def sent_count(rt: Runtime) -> int:
    with rt.transaction() as session:
        return int(
            session.execute(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
            ).scalar_one()
        )


def start_workers(folder: Path, values: dict[str, Any], pool: str) -> list[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGALAID_")}
    env.update({f"LEGALAID_{k.upper()}": str(v) for k, v in values.items()})
    procs = []
    for n in range(WORKERS):
        argv = [sys.executable, "-m", "cli", "worker", "--queues", "mail", "--concurrency=1"]
        argv += [f"--pool={pool}", f"--hostname=bench{n}@%h"]
        with (folder / f"worker-{n}.log").open("wb") as log:
            procs.append(
                subprocess.Popen(
                    argv, env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
    return procs


def one_round(rt: Runtime, app: Any, sink: SmtpTestServer, messages: int, number: int) -> dict[str, float]:
    """Enqueue ``messages`` in one transaction, hand them to the workers, wait until all are sent; then the
    floor on the same messages."""
    started = time.perf_counter()
    with rt.transaction() as session:
        ids = [
            enqueue(
                session,
                key=f"reminder:stale:{number}:{n}:15",
                to=[f"lawyer{n % 200}@example.org"],
                subject=f"案件进展提醒：（2012）民援字第{n:03d}号",
                text=BODY.format(n=n),
                attachments=[ATTACHMENT],
                mail_from=MAIL_FROM,
            ).id
            for n in range(messages)
        ]
    enqueue_rate = messages / (time.perf_counter() - started)
    received_before = len(sink.messages())
    target = sent_count(rt) + messages

    started = time.perf_counter()
    mail_tasks.send_deliveries(ids, app=app)
    with rt.transaction() as session:
        mark_enqueued(session, ids)
    handed = time.perf_counter() - started
    while sent_count(rt) < target:
        if time.perf_counter() - started > 600:
            raise SystemExit(f"only {sent_count(rt) - target + messages} of {messages} sent after 10 minutes")
        time.sleep(0.05)
    outbox_rate = messages / (time.perf_counter() - started)
    received = len(sink.messages()) - received_before
    floor = floor_rate(sink, rt, ids)
    print(
        f"round {number + 1}: outbox {outbox_rate:5.0f}/s, floor {floor:5.0f}/s "
        f"(ratio {outbox_rate / floor:.2f}); {received} received",
        flush=True,
    )
    return {"enqueue": enqueue_rate, "handoff": messages / handed, "outbox": outbox_rate, "floor": floor}


def main(messages: int = 2000, pool: str = "prefork", rounds: int = 3) -> None:
    results: list[dict[str, float]] = []
    redis_url, redis_admin, redis_number = redis_db()
    database_url, pg_admin, pg_name = postgres_db()
    folder = Path(tempfile.mkdtemp(prefix="legalaid-bench-mail-"))
    procs: list[subprocess.Popen[bytes]] = []
    with SmtpTestServer() as sink:
        values: dict[str, Any] = {
            "data_dir": folder / "var",
            "database_url": database_url,
            "broker_url": redis_url,
            "mail_transport": "smtp",
            "smtp_host": sink.host,
            "smtp_port": sink.port,
            "mail_from": MAIL_FROM,
            "log_level": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        }
        rt = build_runtime(Settings(**values))
        try:
            migrate.upgrade(rt.engine)
            procs = start_workers(folder, values, pool)
            app = make_celery(rt.settings)
            deadline = time.monotonic() + 60
            while len(app.control.ping(timeout=0.5)) < WORKERS:  # remote control answers once ready
                if time.monotonic() > deadline:
                    logs = "\n".join(p.read_text(errors="replace") for p in folder.glob("worker-*.log"))
                    raise SystemExit(f"workers did not start:\n{logs}")
            # This machine may be shared: each figure is the best of a few rounds, floor and outbox alike.
            for number in range(rounds):
                results.append(one_round(rt, app, sink, messages, number))
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            rt.dispose()
            with pg_admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            pg_admin.dispose()
            redis.Redis.from_url(redis_url).flushdb()
            redis_admin.delete(f"legalaid-test-lock:{redis_number}")

    best = {name: max(r[name] for r in results) for name in results[0]}
    print(
        f"messages:                  {messages} per round "
        f"(each ~{len(BODY) + 6000} bytes with a .docx attachment)"
    )
    print(f"enqueue (one transaction): {best['enqueue']:8.0f} messages/s")
    print(
        f"hand-off to Redis:         {best['handoff']:8.0f} ids/s "
        f"(deliver_batch tasks of {mail_tasks.BATCH_SIZE})"
    )
    print(f"outbox, {WORKERS} workers ({pool}):  {best['outbox']:7.0f} messages/s (best of {rounds})")
    print(f"floor, smtplib loop:       {best['floor']:8.0f} messages/s (best of {rounds})")
    print(f"outbox / floor:            {best['outbox'] / best['floor']:8.2f}  (target >= 0.5)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("messages", nargs="?", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best of each figure is shown")
    parser.add_argument(
        "--pool",
        choices=["prefork", "solo", "threads"],
        default="prefork",
        help="worker pool of each of the 2 workers (concurrency 1); `legalaid worker` runs prefork",
    )
    args = parser.parse_args()
    main(args.messages, args.pool, args.rounds)
