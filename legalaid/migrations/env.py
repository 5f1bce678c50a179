"""Alembic environment: runs on the connection legalaid.migrate hands it (no alembic.ini needed)."""

from typing import Any

from alembic import context

from legalaid.models import Base

connection = context.config.attributes["connection"]
# APScheduler creates and owns its job store table; autogenerate must not propose dropping it.
APSCHEDULER_TABLES = {"apscheduler_jobs"}


def include_name(name: str | None, type_: str, _parents: Any) -> bool:
    return not (type_ == "table" and name in APSCHEDULER_TABLES)


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_name=include_name,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
