"""cases: partial indexes of the steps still owed, on each rule's anchor, for the overdue counts

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 12:00:00.000000

The console's Today page counts the overdue items per person (reminders.overdue.overdue_parts): the open
cases up to a day, on each rule's anchor. The indexes on (anchor, step) answer "step not done" only by
reading every case with an anchor up to the day, finished ones included; these hold just the cases whose
anchor is set and whose step is still owed. ix_cases_return_visit_owed is made again the same way (its
anchor set: the cases not closed yet were in it). Two plain indexes find the cases whose first contact or
return visit was recorded after a day (the other steps have one already).
"""

import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

OWED = {
    'ix_cases_review_owed': ('applied_on', 'decided_on IS NULL AND assigned_on IS NULL'),
    'ix_cases_assignment_owed': ('decided_on', 'assigned_on IS NULL'),
    'ix_cases_assigned_not_ended': ('assigned_on', 'ended_on IS NULL'),
    'ix_cases_progress_not_ended': ('last_progress_on', 'ended_on IS NULL'),
    'ix_cases_closure_owed': ('ended_on', 'closure_submitted_on IS NULL'),
}
PLAIN = {'ix_cases_first_contact_on': 'first_contact_on', 'ix_cases_return_visit_on': 'return_visit_on'}
OLD_RETURN_VISIT = sa.text('return_visit_on IS NULL')
NEW_RETURN_VISIT = sa.text('closure_submitted_on IS NOT NULL AND return_visit_on IS NULL')


def _where(anchor: str, owed: str) -> sa.TextClause:
    return sa.text(f'{anchor} IS NOT NULL AND {owed}')


def upgrade() -> None:
    op.drop_index('ix_cases_return_visit_owed', table_name='cases', sqlite_where=OLD_RETURN_VISIT,
                  postgresql_where=OLD_RETURN_VISIT)
    op.create_index('ix_cases_return_visit_owed', 'cases', ['closure_submitted_on'], unique=False,
                    sqlite_where=NEW_RETURN_VISIT, postgresql_where=NEW_RETURN_VISIT)
    for name, (anchor, owed) in OWED.items():
        where = _where(anchor, owed)
        op.create_index(name, 'cases', [anchor], unique=False, sqlite_where=where, postgresql_where=where)
    for name, column in PLAIN.items():
        op.create_index(name, 'cases', [column], unique=False)


def downgrade() -> None:
    for name in PLAIN:
        op.drop_index(name, table_name='cases')
    for name, (anchor, owed) in OWED.items():
        where = _where(anchor, owed)
        op.drop_index(name, table_name='cases', sqlite_where=where, postgresql_where=where)
    op.drop_index('ix_cases_return_visit_owed', table_name='cases', sqlite_where=NEW_RETURN_VISIT,
                  postgresql_where=NEW_RETURN_VISIT)
    op.create_index('ix_cases_return_visit_owed', 'cases', ['closure_submitted_on'], unique=False,
                    sqlite_where=OLD_RETURN_VISIT, postgresql_where=OLD_RETURN_VISIT)
