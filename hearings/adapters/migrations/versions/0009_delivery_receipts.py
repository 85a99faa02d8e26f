"""delivery receipts: when a notification's recipient first opened their delivery link,
from which address, with which user agent

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:25:00
"""
import sqlalchemy as sa
from alembic import op

import hearings.adapters.orm

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_at', hearings.adapters.orm.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('opened_from', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('opened_user_agent', sa.String(length=300),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('opened_user_agent')
        batch_op.drop_column('opened_from')
        batch_op.drop_column('opened_at')
