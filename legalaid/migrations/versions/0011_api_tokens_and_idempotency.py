"""api tokens and idempotency records: the HTTP API's bearer tokens (hashes only) and its kept answers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 04:00:00.000000

Two new tables, empty: tokens are created with `legalaid tokens create`.
"""

from alembic import op
import sqlalchemy as sa
import legalaid.models.base


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('name', name=op.f('uq_api_tokens_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('idempotency_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_type', sa.String(length=200), nullable=True),
    sa.Column('response_body', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_idempotency_records_token_id_api_tokens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_records')),
    sa.UniqueConstraint('token_id', 'key', name='uq_idempotency_records_token_key')
    )


def downgrade() -> None:
    op.drop_table('idempotency_records')
    op.drop_table('api_tokens')
