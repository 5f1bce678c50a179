"""report runs: the as-of day each report was built for, its figures, and which figures the last rebuild changed

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 03:00:00.000000

Rows written before this revision have none of the three (NULL): their as-of day was not recorded, so the
next rebuild of such a report says only whether the document changed, not which figures did.
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('report_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('as_of', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('figures', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('changes', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('report_runs', schema=None) as batch_op:
        batch_op.drop_column('changes')
        batch_op.drop_column('figures')
        batch_op.drop_column('as_of')
