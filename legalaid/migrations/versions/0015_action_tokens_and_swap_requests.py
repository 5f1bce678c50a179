"""action tokens and swap requests: the links in reminder digests and duty notices, and the swaps asked for

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 04:00:00.000000

Two new tables, empty: links are made by the next reminder scan and duty notices.
"""

from alembic import op
import sqlalchemy as sa
import legalaid.models.base


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('action_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('step', sa.String(length=32), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('duty_on', sa.Date(), nullable=True),
    sa.Column('duty_slot', sa.String(length=8), nullable=True),
    sa.Column('created_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_action_tokens_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_action_tokens_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_action_tokens_token_hash'))
    )
    op.create_index(op.f('ix_action_tokens_case_id'), 'action_tokens', ['case_id'], unique=False)
    op.create_index(op.f('ix_action_tokens_person_id'), 'action_tokens', ['person_id'], unique=False)
    op.create_table('swap_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('slot', sa.String(length=8), nullable=False),
    sa.Column('from_person_id', sa.Integer(), nullable=False),
    sa.Column('to_person_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decided_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('roster_request_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['from_person_id'], ['people.id'], name=op.f('fk_swap_requests_from_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['roster_request_id'], ['roster_requests.id'], name=op.f('fk_swap_requests_roster_request_id_roster_requests'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['to_person_id'], ['people.id'], name=op.f('fk_swap_requests_to_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_swap_requests'))
    )
    op.create_index(op.f('ix_swap_requests_from_person_id'), 'swap_requests', ['from_person_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_swap_requests_from_person_id'), table_name='swap_requests')
    op.drop_table('swap_requests')
    op.drop_index(op.f('ix_action_tokens_person_id'), table_name='action_tokens')
    op.drop_index(op.f('ix_action_tokens_case_id'), table_name='action_tokens')
    op.drop_table('action_tokens')
