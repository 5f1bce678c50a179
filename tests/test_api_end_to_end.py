"""A case system over HTTP, end to end with real processes: a ``legalaid web`` (uvicorn), a worker and the
test SMTP server. With a write token from ``legalaid tokens create``, it imports firms and people (CSV
uploads), creates a case, assigns it with an ``Idempotency-Key``, and the 指派通知书 arrives at the SMTP
server; the outbox id the assignment returned is then ``sent`` in ``GET /outbox/{id}``.

Twice: on PostgreSQL and Redis, where the web process hands the notice to the broker at once and the
worker sends it within seconds (the figure the README quotes is printed); and on the embedded default
(SQLite, the filesystem broker), where the web process leaves it to the worker's mail sweep, which a
scheduler runs here every two seconds (the shipped schedule sweeps every minute).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from processes import LEGALAID, ProcessGroup, legalaid_env, wait_for
from smtp_server import Received, SmtpTestServer, free_port

CASE_NO = "2012民援第001号"
FIRMS_CSV = "code,name,kind,email,director\nF1,明理律师事务所,law_firm,f1@mingli.example.cn,\n"
PEOPLE_CSV = (
    "code,name,email,firm,role\n"
    "L1,王律师,l1@mingli.example.cn,F1,lawyer\n"
    "S1,陈科员,s1@center.example.cn,,staff\n"
)
CASE = {
    "case_type": "civil",
    "applicant": "王小明",
    "applied_on": "2012-10-08",
    "decided_on": "2012-10-10",
    "decision": "granted",
}
# The shipped schedule sweeps the outbox every minute; this one every two seconds.
FAST_SWEEP = (
    "[jobs]\n"
    'mail-sweep = { task = "legalaid.mail.sweep", cron = "* * * * *", second = "*/2", '
    'misfire_grace = 30, comment = "test: a fast mail sweep" }\n'
)


def _command(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [*LEGALAID, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _answering(base: str) -> httpx.Response | None:
    try:
        return httpx.get(f"{base}/api/v1/health", timeout=5)
    except httpx.HTTPError:
        return None


def _case_system(base: str, token: str) -> tuple[float, list[int], httpx.Response]:
    """What the case system does, over HTTP: firms and people, the case, the assignment. Returns when the
    assignment was posted (monotonic), the outbox ids it returned, and its answer."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=30) as api:
        for kind, text in (("firms", FIRMS_CSV), ("people", PEOPLE_CSV)):
            files = {"file": (f"{kind}.csv", text.encode(), "text/csv")}
            imported = api.post(f"/import/{kind}", files=files, headers={"Idempotency-Key": f"import-{kind}"})
            assert imported.status_code == 200, imported.text
            assert imported.json()["inserted"] == text.count("\n") - 1
        created = api.put(f"/cases/{CASE_NO}", json=CASE)
        assert created.status_code == 201, created.text
        posted = time.monotonic()
        assigned = api.post(
            f"/cases/{CASE_NO}/assignment",
            json={"person": "L1", "on": "2012-10-12"},
            headers={"Idempotency-Key": "assign-2012-001"},
        )
    assert assigned.status_code == 201, assigned.text
    body = assigned.json()
    assert (body["new_lawyer"], body["by"], body["notices"]) == ("L1", "by token case-system", 1)
    return posted, body["outbox_ids"], assigned


def _is_the_notice(received: Received) -> None:
    message = received.message
    assert message["To"] == "l1@mingli.example.cn"  # the lawyer; the firm is copied (Cc)
    assert set(received.recipients) == {"l1@mingli.example.cn", "f1@mingli.example.cn"}
    assert message["Subject"] == "指派通知书：2012民援第001号（王*明）"  # the applicant's name masked
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"指派通知书-{CASE_NO}.docx"  # RFC 2231, parsed back


def _sent(base: str, token: str, outbox_id: int) -> dict[str, object] | None:
    shown = httpx.get(
        f"{base}/api/v1/outbox/{outbox_id}", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert shown.status_code == 200, shown.text
    body: dict[str, object] = shown.json()
    return body if body["status"] == "sent" else None


def _token(env: dict[str, str], cwd: Path) -> str:
    _command(env, cwd, "db", "upgrade")
    created = json.loads(_command(env, cwd, "tokens", "create", "case-system", "--scope", "write", "--json"))
    token: str = created["token"]
    return token


@pytest.mark.slow
@pytest.mark.services
def test_a_case_system_assigns_a_case_over_http_and_the_notice_arrives_on_redis_and_postgresql(
    tmp_path: Path, redis_url: str, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with SmtpTestServer() as server:
        env = legalaid_env(
            data_dir=tmp_path / "var",
            database_url=postgres_url,
            broker_url=redis_url,
            mail_transport="smtp",
            smtp_host=server.host,
            smtp_port=server.port,
            mail_from="center@legalaid.example",
        )
        token = _token(env, tmp_path)
        with ProcessGroup(tmp_path, env) as procs:
            worker = procs.start("worker", "worker", "--concurrency=1", "--queues=mail")
            procs.start("web", "web", "--port", str(port))
            wait_for(lambda: "ready" in worker.output(), timeout=60, what="the worker", procs=procs)
            wait_for(lambda: _answering(base), timeout=30, what="legalaid web", procs=procs)
            posted, [outbox_id], assigned = _case_system(base, token)
            assert assigned.json()["note"] is None  # handed to the broker, not left to a sweep
            [received] = server.wait_for(1, timeout=20)  # no scheduler runs: no sweep could send it
            arrived = time.monotonic()
            _is_the_notice(received)
            shown = wait_for(lambda: _sent(base, token, outbox_id), timeout=10, what="sent", procs=procs)
            assert shown["to"] == ["l1@mingli.example.cn"]
            assert "Traceback" not in procs.logs()
    with capsys.disabled():
        print(f"\nassignment POST → SMTP server over HTTP (Redis): {arrived - posted:.2f} s")
    assert arrived - posted < 10


@pytest.mark.slow
def test_on_the_embedded_default_the_workers_sweep_delivers_the_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(FAST_SWEEP, encoding="utf-8")
    with SmtpTestServer() as server:
        env = legalaid_env(
            data_dir=tmp_path / "var",
            mail_transport="smtp",
            smtp_host=server.host,
            smtp_port=server.port,
            mail_from="center@legalaid.example",
            schedule_file=schedule,
            leader_lock_ttl=2,
            scheduler_poll_seconds=0.5,
        )
        token = _token(env, tmp_path)
        with ProcessGroup(tmp_path, env) as procs:
            worker = procs.start("worker", "worker", "--concurrency=1")
            procs.start("scheduler", "scheduler")
            procs.start("web", "web", "--port", str(port))
            wait_for(lambda: "ready" in worker.output(), timeout=60, what="the worker", procs=procs)
            wait_for(lambda: _answering(base), timeout=30, what="legalaid web", procs=procs)
            posted, [outbox_id], assigned = _case_system(base, token)
            assert assigned.json()["note"] == "queued; the worker's next mail sweep delivers it"
            [received] = server.wait_for(1, timeout=30)
            arrived = time.monotonic()
            _is_the_notice(received)
            wait_for(lambda: _sent(base, token, outbox_id), timeout=10, what="sent", procs=procs)
            assert "Traceback" not in procs.logs()
    with capsys.disabled():
        print(f"\nassignment POST → SMTP server over HTTP (embedded, 2 s sweep): {arrived - posted:.2f} s")
