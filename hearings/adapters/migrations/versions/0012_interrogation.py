"""interrogation: a participant may be a minor (the appropriate adult then signs the
讯问笔录 too), and a hearing record notes when the notice of rights was read and
acknowledged (an interrogation record is not sent for signature before)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 14:30:00
"""
import sqlalchemy as sa
from alembic import op

import hearings.adapters.orm

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('participants') as batch:
        batch.add_column(sa.Column('minor', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table('hearing_records') as batch:
        batch.add_column(sa.Column('rights_acknowledged_at',
                                   hearings.adapters.orm.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('hearing_records') as batch:
        batch.drop_column('rights_acknowledged_at')
    with op.batch_alter_table('participants') as batch:
        batch.drop_column('minor')
