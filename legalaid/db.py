"""Engine and session factory: SQLite by default, PostgreSQL in production; the one INSERT … ON CONFLICT."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.dml import Insert

from legalaid.config import Settings


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured database, tuned for several worker processes sharing it."""
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pool_pre_ping: a restarted PostgreSQL must not leave workers wedged on dead connections.
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, pool_recycle=1800)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the worker, the scheduler and the CLI read while one of them writes; foreign keys are off
    # by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


def insert_if_absent(
    session: Session, target: Table | type[DeclarativeBase], *, key: Sequence[str]
) -> Insert:
    """``INSERT … ON CONFLICT (key) DO NOTHING`` into ``target`` (a model or its table); the caller adds
    ``values`` and, to learn which rows it inserted, ``returning``.

    Why not a SELECT then an INSERT: a concurrent insert of the same key waits for the other transaction,
    then inserts nothing, instead of failing on the unique constraint and aborting the caller's
    transaction. Both databases the project runs on spell it the same way, from their own dialect.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(target).on_conflict_do_nothing(index_elements=list(key))
    if dialect == "sqlite":
        return sqlite.insert(target).on_conflict_do_nothing(index_elements=list(key))
    raise RuntimeError(f"legalaid needs SQLite or PostgreSQL, not {dialect}")  # pragma: no cover
