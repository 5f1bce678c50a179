"""The HTTP API's speed on PostgreSQL, side by side with a bare FastAPI endpoint on the same server.

Two pairs, each measured with the same client at the same concurrency (20) against one uvicorn process
each (``legalaid web`` is one process; the bare app is run the same way, with as many threads as
legalaid's ``web_threads``, ``--threads``):

- ``POST /api/v1/cases/{case_no}/assignment`` (token check, Idempotency-Key claim and store, the
  assignment, its 指派通知书 rendered and queued in the outbox, the hand-off to Redis) against a bare
  ``POST`` doing one INSERT;
- ``GET /api/v1/outbox/{id}`` (token check, one message as ``legalaid mail show`` shows it) against a bare
  ``GET`` doing one SELECT by primary key.

Both apps use a sync SQLAlchemy engine with the pool legalaid uses (5 + 5 overflow) in FastAPI's
threadpool, as legalaid's routes do. The client is a minimal HTTP/1.1 client on kept-alive connections
(``Connection``), so that the client's own CPU (printed per request) takes as little as it can from the
servers on this 2-core machine. Goal: at least 0.5× the bare endpoint's throughput and p99 under 100 ms at
20 concurrent clients.

Run: ``python bench/bench_api.py [--assignments 600] [--reads 2000] [--seconds 60] [--threads 4]``. Not a
test; needs Redis and PostgreSQL (``LEGALAID_TEST_REDIS_URL`` / ``LEGALAID_TEST_POSTGRES_URL``, as the
tests). Only 127.0.0.1 is loaded; every run is bounded in requests and seconds. The database and the Redis
database it takes are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bench_mail import postgres_db, redis_db  # the same throwaway database and Redis db (test locks)
from processes import LEGALAID, ProcessGroup, legalaid_env, wait_for
from smtp_server import free_port

CONCURRENCY = 20
DIRECT = 100  # assignments made without HTTP, for what the front door adds
CASE_NO = "2012民援第{n:05d}号"


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]  # seconds, one per request
    errors: int
    client_cpu: float  # seconds of this process's CPU the requests took

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[98] * 1000

    def line(self) -> str:
        return (
            f"{self.name:<34} {self.throughput:8.1f} req/s   p50 {self.p50_ms:6.1f} ms   "
            f"p99 {self.p99_ms:6.1f} ms   ({self.requests} requests, {self.errors} errors, "
            f"client {self.client_cpu / max(1, self.requests) * 1000:.2f} ms CPU each)"
        )


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


class Connection:
    """One kept-alive HTTP/1.1 connection, as light as a client can be: the request's bytes out, the status
    line, the headers and ``Content-Length`` bytes back. httpx's AsyncClient took 3.3-4.2 ms of the client's
    CPU a request, a whole core at the bare endpoints' 290 req/s on this 2-core machine; this takes
    0.1-0.35 ms."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, base: str) -> Connection:
        host, _, port = base.removeprefix("http://").partition(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer, f"{host}:{port}")

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, json_body: Any = None
    ) -> Answer:
        body = json.dumps(json_body).encode() if json_body is not None else b""
        lines = [f"{method} {quote(path)} HTTP/1.1", f"Host: {self.host}", f"Content-Length: {len(body)}"]
        if json_body is not None:
            lines.append("Content-Type: application/json")
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding":
                raise SystemExit(f"{method} {path}: a chunked answer; this client reads Content-Length only")
        return Answer(status, await self.reader.readexactly(length))

    def close(self) -> None:
        self.writer.close()


Request = Callable[[Connection, int], Awaitable[Answer]]


async def _load(name: str, base: str, count: int, seconds: float, request: Request) -> Result:
    """``count`` requests (at most ``seconds``) from CONCURRENCY clients, each on a kept-alive connection."""
    latencies: list[float] = []
    errors = 0
    next_n = 0
    connections = [await Connection.open(base) for _ in range(CONCURRENCY)]
    for n, connection in enumerate(connections):  # warm: code paths loaded, pools filled (not counted)
        await request(connection, -1 - n)
    deadline = time.monotonic() + seconds

    async def one_client(connection: Connection) -> None:
        nonlocal next_n, errors
        while next_n < count and time.monotonic() < deadline:
            n, next_n = next_n, next_n + 1
            started = time.perf_counter()
            answer = await request(connection, n)
            latencies.append(time.perf_counter() - started)
            if answer.status >= 300:
                errors += 1
                if errors <= 3:
                    print(f"  {name}: {answer.status} {answer.body[:200]!r}", file=sys.stderr)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one_client(connection) for connection in connections))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    for connection in connections:
        connection.close()
    return Result(name, len(latencies), elapsed, latencies, errors, cpu)


# The bare app: one INSERT, one SELECT by primary key. ------------------------------------------------------


def bare_app(database_url: str, threads: int) -> Any:
    from contextlib import asynccontextmanager

    from anyio import to_thread
    from fastapi import FastAPI
    from sqlalchemy import text

    from legalaid.config import Settings
    from legalaid.db import make_engine

    engine = make_engine(Settings(database_url=database_url))  # legalaid's own engine and pool
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE IF NOT EXISTS bench_rows (id bigserial PRIMARY KEY, n integer, at timestamptz)"
            )
        )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        to_thread.current_default_thread_limiter().total_tokens = threads  # as legalaid's web_threads
        yield

    app = FastAPI(lifespan=lifespan)

    @app.post("/bare/insert", status_code=201)
    def insert(body: dict[str, int]) -> dict[str, int]:
        with engine.begin() as connection:
            new_id = connection.execute(
                text("INSERT INTO bench_rows (n, at) VALUES (:n, :at) RETURNING id"),
                {"n": body.get("n", 0), "at": datetime.now(UTC)},
            ).scalar_one()
        return {"id": new_id}

    @app.get("/bare/select/{row_id}")
    def select_one(row_id: int) -> dict[str, Any]:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT id, n, at FROM bench_rows WHERE id = :id"), {"id": row_id}
            ).one_or_none()
        return {"id": row.id, "n": row.n, "at": row.at.isoformat()} if row else {}

    return app


def serve_bare(port: int, database_url: str, threads: int) -> None:
    import uvicorn

    uvicorn.run(bare_app(database_url, threads), host="127.0.0.1", port=port, log_level="warning")


# The same assignment without HTTP. -------------------------------------------------------------------------


def direct_assignments(first: int, count: int) -> None:
    """``count`` assignments one after the other as ``legalaid case assign`` makes them (the domain call in
    its transaction, then the hand-off to Redis), without the HTTP front door; prints ms per assignment.
    Run in a child process with the bench's settings in its environment."""
    from legalaid.casework import assign_and_notify
    from legalaid.paths import StagedFiles
    from legalaid.runtime import build_runtime
    from workers.handoff import hand_over_queued

    runtime = build_runtime()
    on = datetime(2012, 10, 12).date()
    started = time.perf_counter()
    for n in range(first, first + count):
        with StagedFiles() as staged, runtime.transaction() as session:
            done = assign_and_notify(
                session, runtime.settings, case_no=CASE_NO.format(n=n), lawyer_code="L1", on=on, today=on,
                staged=staged, by="by bench",
            )  # fmt: skip
        hand_over_queued(runtime, done.notices.queued)
    print(f"{(time.perf_counter() - started) / count * 1000:.1f}")
    runtime.dispose()


# The run. --------------------------------------------------------------------------------------------------


def _prepare(env: dict[str, str], folder: Path, cases: int) -> str:
    """Schema, a firm with a lawyer, ``cases`` granted cases (imported as a center would), a write token."""

    def run(*args: str) -> str:
        done = subprocess.run(
            [*LEGALAID, *args], env=env, cwd=folder, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise SystemExit(f"legalaid {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    run("db", "upgrade")
    (folder / "firms.csv").write_text(
        "code,name,kind,email\nF1,明理律师事务所,law_firm,f1@mingli.example.cn\n", encoding="utf-8"
    )
    (folder / "people.csv").write_text(
        "code,name,email,firm,role\nL1,王律师,l1@mingli.example.cn,F1,lawyer\n", encoding="utf-8"
    )
    lines = ["case_no,case_type,applicant,applied_on,decided_on,decision"]
    lines += [f"{CASE_NO.format(n=n)},civil,王小明,2012-10-08,2012-10-10,granted" for n in range(cases)]
    (folder / "cases.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for kind in ("firms", "people", "cases"):
        run("import", kind, str(folder / f"{kind}.csv"))
    token: str = json.loads(run("tokens", "create", "bench", "--scope", "write", "--json"))["token"]
    return token


def _answering(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return False
    return True


def main() -> None:
    global CONCURRENCY
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignments", type=int, default=600, help="assignment requests (default 600)")
    parser.add_argument("--reads", type=int, default=2000, help="read requests (default 2000)")
    parser.add_argument("--seconds", type=float, default=60, help="at most this long per run (default 60)")
    parser.add_argument(
        "--concurrency", type=int, default=CONCURRENCY, help=f"clients at once (default {CONCURRENCY})"
    )
    parser.add_argument(
        "--threads", type=int, default=4, help="each server's threads, legalaid's web_threads (default 4)"
    )
    parser.add_argument("--serve-bare", nargs=2, metavar=("PORT", "DATABASE_URL"), help=argparse.SUPPRESS)
    parser.add_argument("--direct", nargs=2, type=int, metavar=("FIRST", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    CONCURRENCY = args.concurrency
    if args.direct:
        direct_assignments(*args.direct)
        return
    if args.serve_bare:
        serve_bare(int(args.serve_bare[0]), args.serve_bare[1], args.threads)
        return
    database_url, admin, name = postgres_db()
    redis_url, redis_admin, number = redis_db()
    warm = CONCURRENCY
    try:
        with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
            folder = Path(tmp)
            env = legalaid_env(
                data_dir=folder / "var", database_url=database_url, broker_url=redis_url, log_level="WARNING"
            )
            env["LEGALAID_WEB_THREADS"] = str(args.threads)
            cases = args.assignments + warm + DIRECT
            print(f"preparing {cases} cases on PostgreSQL …", flush=True)
            token = _prepare(env, folder, cases)
            web_port, bare_port = free_port(), free_port()
            with ProcessGroup(folder, env) as procs:
                procs.start("web", "web", "--port", str(web_port))
                # The bare app is this script (ProcessGroup starts legalaid commands); killed with the group.
                bare_proc = subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--serve-bare",
                        str(bare_port),
                        database_url,
                        "--threads",
                        str(args.threads),
                    ],
                    cwd=folder,
                    start_new_session=True,
                )
                procs.adopt(bare_proc.pid)
                web, bare_base = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{bare_port}"
                wait_for(lambda: _answering(f"{web}/api/v1/health"), timeout=30, what="legalaid web")
                wait_for(lambda: _answering(f"{bare_base}/bare/select/1"), timeout=30, what="the bare app")
                results = asyncio.run(_measure(web, bare_base, token, args))
                direct = subprocess.run(
                    [sys.executable, __file__, "--direct", str(args.assignments + warm), str(DIRECT)],
                    env=env, cwd=folder, capture_output=True, text=True, check=True,
                )  # fmt: skip
    finally:
        with admin.connect() as connection:
            from sqlalchemy import text

            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        redis_admin.delete(f"legalaid-test-lock:{number}")
    print()
    for result in results:
        print(result.line())
    pairs = [(results[0], results[1]), (results[2], results[3])]
    print()
    for api, floor in pairs:
        ratio = api.throughput / floor.throughput
        goal = "met" if ratio >= 0.5 and api.p99_ms < 100 else "MISSED"
        print(f"{api.name}: {ratio:.2f}× the bare endpoint's throughput, p99 {api.p99_ms:.0f} ms ({goal})")
    # What the front door adds: the API's time per assignment (its server works on one at a time: they queue
    # on the document number's counter row) against the domain's own, one after the other in a process.
    own, per_request = float(direct.stdout), 1000 / results[0].throughput
    print(
        f"the assignment without HTTP (one at a time, {DIRECT}): {own:.1f} ms; over HTTP "
        f"{per_request:.1f} ms of the server per assignment: the domain is {own / per_request:.2f} of it"
    )


async def _measure(web: str, bare: str, token: str, args: argparse.Namespace) -> list[Result]:
    auth = {"Authorization": f"Bearer {token}"}
    warm = CONCURRENCY

    async def assign(connection: Connection, n: int) -> Answer:
        case = n + warm  # the warm-up takes -1…-20: cases 0…19
        index = case if n >= 0 else -1 - n
        return await connection.request(
            "POST",
            f"/api/v1/cases/{CASE_NO.format(n=index)}/assignment",
            json_body={"person": "L1", "on": "2012-10-12"},
            headers={**auth, "Idempotency-Key": f"bench-{index}"},
        )

    async def insert(connection: Connection, n: int) -> Answer:
        return await connection.request(
            "POST", "/bare/insert", json_body={"n": n}, headers={"Idempotency-Key": f"b-{n}"}
        )

    assigned = await _load("POST /cases/{no}/assignment", web, args.assignments, args.seconds, assign)
    inserted = await _load("bare POST (one INSERT)", bare, args.assignments, args.seconds, insert)
    outbox_ids = max(1, assigned.requests)  # one notice per assignment: ids 1…

    async def show(connection: Connection, n: int) -> Answer:
        return await connection.request("GET", f"/api/v1/outbox/{abs(n) % outbox_ids + 1}", headers=auth)

    async def select(connection: Connection, n: int) -> Answer:
        return await connection.request("GET", f"/bare/select/{abs(n) % outbox_ids + 1}")

    shown = await _load("GET /outbox/{id}", web, args.reads, args.seconds, show)
    selected = await _load("bare GET (one SELECT by key)", bare, args.reads, args.seconds, select)
    return [assigned, inserted, shown, selected]


if __name__ == "__main__":
    main()
