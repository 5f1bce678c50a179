"""The same migrations create the same schema on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from legalaid import migrate
from legalaid.models import Base
from legalaid.runtime import Runtime


def _tables_and_indexes(rt: Runtime) -> dict[str, set[str]]:
    inspector = inspect(rt.engine)
    return {
        # PostgreSQL lists the index behind each unique constraint too; compare plain indexes only.
        table: {
            ix["name"] or "" for ix in inspector.get_indexes(table) if not ix.get("duplicates_constraint")
        }
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


def test_sqlite_schema_matches_models(rt: Runtime) -> None:
    schema = _tables_and_indexes(rt)
    assert set(schema) == set(Base.metadata.tables)
    assert "ix_cases_assigned_open" in schema["cases"]
    assert migrate.is_current(rt.engine)


@pytest.mark.services
def test_postgresql_schema_matches_sqlite(pg_rt: Runtime, rt: Runtime) -> None:
    assert _tables_and_indexes(pg_rt) == _tables_and_indexes(rt)
    assert migrate.current_revision(pg_rt.engine) == migrate.head_revision()


def test_upgrade_twice_is_harmless(rt: Runtime) -> None:
    migrate.upgrade(rt.engine)
    assert migrate.is_current(rt.engine)
