"""mobile numbers: a participant may have a mobile number (normalised digits) for
electronic service by SMS, and a notification may carry the number it goes to

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 16:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('participants') as batch:
        batch.add_column(sa.Column('mobile', sa.String(11), nullable=True))
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('mobile', sa.String(11), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notifications') as batch:
        batch.drop_column('mobile')
    with op.batch_alter_table('participants') as batch:
        batch.drop_column('mobile')
