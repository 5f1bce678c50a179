"""console users and failed sign-ins: who signs in to the web console (an Argon2 hash only), and the
failures that slow a guesser down

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 08:00:00.000000

Two new tables, empty: users are made with `legalaid users add CODE --role … --password-stdin`.
"""

from alembic import op
import sqlalchemy as sa
import legalaid.models.base


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('password_changed_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('disabled_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_sign_in_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_users_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('person_id', name=op.f('uq_users_person_id'))
    )
    op.create_table('sign_in_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('failed_at', legalaid.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures'))
    )
    op.create_index('ix_sign_in_failures_username_at', 'sign_in_failures', ['username', 'failed_at'], unique=False)
    op.create_index('ix_sign_in_failures_client_at', 'sign_in_failures', ['client', 'failed_at'], unique=False)
    op.create_index('ix_sign_in_failures_at', 'sign_in_failures', ['failed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sign_in_failures_at', table_name='sign_in_failures')
    op.drop_index('ix_sign_in_failures_client_at', table_name='sign_in_failures')
    op.drop_index('ix_sign_in_failures_username_at', table_name='sign_in_failures')
    op.drop_table('sign_in_failures')
    op.drop_table('users')
