"""scheduled job ticks: the scheduler records a tick before sending it; workers claim it with a lease

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 05:17:26.198622

Rows written before this revision were inserted by the worker as ``running`` and finished ``succeeded`` or
``failed``; they become one claimed attempt each. A ``running`` row gets a lease that has already expired,
so the leader's sweep hands its tick over again (before, a worker killed mid-run left it running forever;
the jobs' work is idempotent per tick). A ``failed`` row was final (there were no retries): it becomes
``dead``, its error kept. Their task name is unknown (NULL): the sweep takes it from the schedule table.
"""

from alembic import op
import sqlalchemy as sa
import legalaid.models.base


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('task', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('attempts_at_retry', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('due_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('dispatched_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('lease_until', legalaid.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column('started_at',
               existing_type=legalaid.models.base.UTCDateTime(timezone=True),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_job_runs_status'), ['status'], unique=False)

    op.execute("UPDATE job_runs SET attempts = 1")
    op.execute("UPDATE job_runs SET lease_until = started_at WHERE status = 'running'")
    op.execute("UPDATE job_runs SET status = 'dead' WHERE status = 'failed'")


def downgrade() -> None:
    # The old code knows running, succeeded and failed, and inserts a tick's row when a worker takes it.
    op.execute("DELETE FROM job_runs WHERE status = 'scheduled' OR started_at IS NULL")
    op.execute("UPDATE job_runs SET status = 'failed' WHERE status = 'dead'")
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_status'))
        batch_op.alter_column('started_at',
               existing_type=legalaid.models.base.UTCDateTime(timezone=True),
               nullable=False)
        batch_op.drop_column('lease_until')
        batch_op.drop_column('dispatched_at')
        batch_op.drop_column('due_at')
        batch_op.drop_column('attempts_at_retry')
        batch_op.drop_column('attempts')
        batch_op.drop_column('task')
