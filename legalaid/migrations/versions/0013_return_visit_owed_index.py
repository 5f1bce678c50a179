"""cases: a partial index of the return visits still owed, by closure date

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 11:00:00.000000

The reminders' catch-up of return visits asks for the cases closed before a day with no return visit:
ix_cases_closure_open (closure_submitted_on, return_visit_on) answers it only by reading every closed case,
so PostgreSQL scanned the table. The new index holds only the cases whose return visit is still owed
(partial on PostgreSQL and SQLite).
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

OWED = sa.text('return_visit_on IS NULL')


def upgrade() -> None:
    op.create_index('ix_cases_return_visit_owed', 'cases', ['closure_submitted_on'], unique=False,
                    sqlite_where=OWED, postgresql_where=OWED)


def downgrade() -> None:
    op.drop_index('ix_cases_return_visit_owed', table_name='cases', sqlite_where=OWED,
                  postgresql_where=OWED)
