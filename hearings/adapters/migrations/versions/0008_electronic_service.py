"""electronic service: participants' e-mail and consent, and the outbox's backoff — the
address a notification goes to, its delivery link, when it is next tried and when it was
given up on

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:30:00
"""
import sqlalchemy as sa
from alembic import op

import hearings.adapters.orm

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('consent_electronic_service', sa.Boolean(),
                                      nullable=False, server_default=sa.false()))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('delivery_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', hearings.adapters.orm.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('undelivered_at', hearings.adapters.orm.UTCDateTime(),
                                      nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_notifications_delivery_token'), ['delivery_token'])
        batch_op.create_index(batch_op.f('ix_notifications_undelivered_at'),
                              ['undelivered_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_undelivered_at'))
        batch_op.drop_constraint(batch_op.f('uq_notifications_delivery_token'), type_='unique')
        batch_op.drop_column('undelivered_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('delivery_token')
        batch_op.drop_column('address')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('consent_electronic_service')
        batch_op.drop_column('email')
