"""calendar feeds: per person a secret calendar URL (its hash only), revocable

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 06:00:00.000000

One new table, empty: feeds are made with `legalaid roster feed PERSON`.
"""

from alembic import op
import sqlalchemy as sa
import legalaid.models.base


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_calendar_feeds_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_calendar_feeds_secret_hash'))
    )
    op.create_index('ix_calendar_feeds_person_id', 'calendar_feeds', ['person_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_calendar_feeds_person_id', table_name='calendar_feeds')
    op.drop_table('calendar_feeds')
