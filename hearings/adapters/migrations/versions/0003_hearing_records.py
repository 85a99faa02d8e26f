"""hearing records (笔录): edited live, signed in order, sealed

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 02:00:00
"""
from alembic import op
import sqlalchemy as sa
import hearings.adapters.orm


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hearing_records',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('hearing_id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('state', sa.Enum('drafting', 'signing', 'signed', name='recordstate', native_enum=False, length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('clerk_user_id', sa.String(length=32), nullable=True),
    sa.Column('clerk_name', sa.String(length=200), nullable=True),
    sa.Column('signing', sa.JSON(), nullable=False),
    sa.Column('document_id', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=80), nullable=True),
    sa.Column('updated_at', hearings.adapters.orm.UTCDateTime(), nullable=False),
    sa.Column('frozen_at', hearings.adapters.orm.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_hearing_records_case_id_cases')),
    sa.ForeignKeyConstraint(['hearing_id'], ['hearings.id'], name=op.f('fk_hearing_records_hearing_id_hearings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hearing_records')),
    sa.UniqueConstraint('hearing_id', name=op.f('uq_hearing_records_hearing_id'))
    )
    with op.batch_alter_table('hearing_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hearing_records_case_id'), ['case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hearing_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hearing_records_case_id'))
    op.drop_table('hearing_records')
