"""kiosks: a device credential per clinic kiosk (digest, revocable) and the short kiosk
codes bound to a participant, a hearing, a site and their join token (digests only)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 11:00:00
"""
import sqlalchemy as sa
from alembic import op

import hearings.adapters.orm

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'kiosks',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('site_id', sa.String(length=32), nullable=False),
        sa.Column('label', sa.String(length=100), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('created_at', hearings.adapters.orm.UTCDateTime(), nullable=False),
        sa.Column('revoked_at', hearings.adapters.orm.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('digest'),
    )
    op.create_index(op.f('ix_kiosks_site_id'), 'kiosks', ['site_id'], unique=False)
    op.create_table(
        'kiosk_codes',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('hearing_id', sa.String(length=32), nullable=False),
        sa.Column('participant_id', sa.String(length=32), nullable=False),
        sa.Column('site_id', sa.String(length=32), nullable=False),
        sa.Column('token_id', sa.String(length=32), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('created_at', hearings.adapters.orm.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['hearing_id'], ['hearings.id'], ),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], ),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    for column in ('digest', 'hearing_id', 'participant_id', 'site_id', 'token_id'):
        op.create_index(op.f(f'ix_kiosk_codes_{column}'), 'kiosk_codes', [column],
                        unique=False)


def downgrade() -> None:
    op.drop_table('kiosk_codes')
    op.drop_table('kiosks')
