"""document numbers: one numbering per document kind and year of issue, recorded when a document is issued

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 09:00:00.000000

Before this revision a document's number was derived from its case number, so a civil and a criminal case
with the same serial got the same number. Documents issued before keep the number printed on them; the
numbering starts at 1 in each kind and year from here on.
"""

from alembic import op
import sqlalchemy as sa
import legalaid.models.base


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document_number_counters',
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_serial', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'year', name=op.f('pk_document_number_counters'))
    )
    op.create_table('document_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('edition', sa.String(length=200), nullable=False),
    sa.Column('number', sa.String(length=200), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('created_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_document_numbers_case_id_cases'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_numbers')),
    sa.UniqueConstraint('kind', 'year', 'serial', name='uq_document_numbers_serial')
    )
    with op.batch_alter_table('document_numbers', schema=None) as batch_op:
        batch_op.create_index('ix_document_numbers_case_kind', ['case_id', 'kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('document_numbers', schema=None) as batch_op:
        batch_op.drop_index('ix_document_numbers_case_kind')

    op.drop_table('document_numbers')
    op.drop_table('document_number_counters')
