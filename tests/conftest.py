"""Shared fixtures: settings on a temporary folder, and real Redis and PostgreSQL with a clean state.

Tests that need a service are marked ``services``. Outside CI they skip with a reason when the service is
not there; with ``LEGALAID_REQUIRE_SERVICES=1`` (as ``.ci/run`` sets) they fail instead.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import fault_report
import pytest
import redis
from api import TestClient, api_client
from required import service_missing
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cli._common import reset_runtime
from legalaid import migrate
from legalaid.config import Settings
from legalaid.resources import use_templates_dir
from legalaid.runtime import Runtime, build_runtime

REDIS_URL = os.environ.get("LEGALAID_TEST_REDIS_URL", "redis://127.0.0.1:6379")
POSTGRES_URL = os.environ.get(
    "LEGALAID_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
_LEGALAID_ENV = [k for k in os.environ if k.startswith("LEGALAID_") and not k.startswith("LEGALAID_TEST")]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's LEGALAID_* variables or legalaid.toml."""
    for name in _LEGALAID_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _fresh_cli_runtime() -> Iterator[None]:
    """Each test's CLI calls build their runtime from that test's settings, not an earlier test's; and
    render from the shipped templates unless the test's settings name others."""
    reset_runtime()
    use_templates_dir(None)
    yield
    reset_runtime()
    use_templates_dir(None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded settings (SQLite, filesystem broker, .eml files) under a temporary folder."""
    return Settings(data_dir=tmp_path / "var")


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    """A runtime on a migrated SQLite database."""
    runtime = build_runtime(settings)
    migrate.upgrade(runtime.engine)
    yield runtime
    runtime.dispose()


@pytest.fixture
def task_runtime(rt: Runtime) -> Iterator[Runtime]:
    """Tasks called in the test's process (a task's function called directly, ``workers.app`` looked up as
    ``celery -A workers`` does) use the test's runtime, and hand their mail to an embedded broker in the
    test's folder; afterwards, whatever they used before."""
    import celery

    import workers
    from tasks._runtime import use_runtime

    before = celery.current_app._get_current_object()
    workers.forget_app()
    with use_runtime(rt):
        workers.make_celery(rt.settings).set_current()
        try:
            yield rt
        finally:
            before.set_current()
            workers.forget_app()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    fault_report.collect(report)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Under pytest-xdist the workers report to the controller, which prints the summary; here, in the root
    # conftest, the controller has these hooks although it collects no test (tests/faults/ is not loaded).
    if not hasattr(terminalreporter.config, "workerinput"):
        fault_report.summarize(terminalreporter)


@pytest.fixture(scope="session")
def _redis_db() -> Iterator[int]:
    """A Redis database number of our own, so concurrent test runs on one server do not meet."""
    try:
        admin = redis.Redis.from_url(f"{REDIS_URL}/0", socket_connect_timeout=2)
        admin.ping()
    except redis.RedisError as exc:
        yield -1
        _ = exc
        return
    token = uuid.uuid4().hex
    for number in range(15, 0, -1):
        if admin.set(f"legalaid-test-lock:{number}", token, nx=True, ex=3600):
            try:
                yield number
            finally:
                admin.delete(f"legalaid-test-lock:{number}")
                admin.close()
            return
    admin.close()
    yield -1


@pytest.fixture
def redis_url(_redis_db: int) -> Iterator[str]:
    """A URL to a flushed Redis database; fails or skips when Redis is not there."""
    if _redis_db < 0:
        service_missing("Redis", f"{REDIS_URL} did not answer, or no free test database")
    url = f"{REDIS_URL}/{_redis_db}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a new, empty PostgreSQL database, dropped after the test."""
    admin_url = make_url(POSTGRES_URL)
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        service_missing("PostgreSQL", f"{admin_url.render_as_string(hide_password=True)}: {exc}")
    name = f"legalaid_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_rt(postgres_url: str, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on a migrated PostgreSQL database."""
    runtime = build_runtime(Settings(data_dir=tmp_path / "var", database_url=postgres_url))
    migrate.upgrade(runtime.engine)
    yield runtime
    runtime.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def api_rt(request: pytest.FixtureRequest) -> Runtime:
    """The web service's tests run on SQLite and again on PostgreSQL; a test file that needs data of its
    own overrides this fixture, taking it as an argument (``def api_rt(api_rt)``)."""
    runtime: Runtime = request.getfixturevalue("rt" if request.param == "sqlite" else "pg_rt")
    return runtime


@pytest.fixture
def client(api_rt: Runtime) -> Iterator[TestClient]:
    """A client of the application over ``api_rt``'s settings (the console's tests have their own)."""
    with api_client(api_rt) as test_client:
        yield test_client
