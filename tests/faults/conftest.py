"""The fault suite: real scheduler, workers, Redis, PostgreSQL and SMTP server; faults injected; figures.

Every scenario ends with ``fault_report.record(...)``; the figures are printed after the run and kept in
JSON (see ``tests/fault_report.py``: tests/conftest.py prints them, also from pytest-xdist's workers).
The processes' logs are shown with a failing test, and with every test when ``LEGALAID_TEST_FAULTS_LOGS=1``
(and ``-s``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_report import attach
from services import PostgresServer, RedisServer
from stack import SlowSmtpServer, Stack

# Each message takes the SMTP server this long: 2 workers deliver about 50 a second, so a batch of a hundred
# lasts long enough for a fault to land in its middle.
SMTP_DELAY = 0.03


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The suite's own PostgreSQL cluster (a scenario restarts it): started once, a database per test."""
    server = PostgresServer.start_new()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own (a scenario restarts or flushes it)."""
    with RedisServer(tmp_path) as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SlowSmtpServer]:
    with SlowSmtpServer(delay=SMTP_DELAY) as server:
        yield server


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """Note on the test whether its call failed, for the ``stack`` fixture to show the processes' logs; give
    its report the figures its scenario recorded."""
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
        attach(report)
    return report


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_server: PostgresServer,
    redis_server: RedisServer,
    smtp: SlowSmtpServer,
) -> Iterator[Stack]:
    """The system on a fresh database, the test's Redis and SMTP server; no process started yet. When the
    test fails (or LEGALAID_TEST_FAULTS_LOGS is set), the processes' logs are shown with it."""
    database_url = postgres_server.create_database()
    try:
        with Stack(tmp_path, database_url=database_url, redis=redis_server, smtp=smtp) as system:
            yield system
            if request.node.stash.get(_CALL_FAILED, False) or os.environ.get("LEGALAID_TEST_FAULTS_LOGS"):
                print(system.procs.logs())
    finally:
        postgres_server.drop_database(database_url)
