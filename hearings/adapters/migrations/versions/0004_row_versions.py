"""row versions: optimistic concurrency for the rows concurrent commands change

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 05:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Every row that exists already starts at version 1.
TABLES = ('hearings', 'participants', 'mediations', 'documents', 'confirmations',
          'hearing_records')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('row_version', sa.Integer(), nullable=False,
                                          server_default=sa.text('1')))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('row_version')
