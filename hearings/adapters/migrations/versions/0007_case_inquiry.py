"""case inquiry: One Case, One Code — a public code per case, the parties' last-4 digests,
and the juvenile mark that keeps a case's inquiry off by default

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('juvenile', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        'case_inquiries',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('case_id', sa.String(length=32), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_case_inquiries_case_id_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_inquiries')),
        sa.UniqueConstraint('case_id', name=op.f('uq_case_inquiries_case_id')),
        sa.UniqueConstraint('code', name=op.f('uq_case_inquiries_code')),
    )
    op.create_table(
        'inquiry_factors',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('case_id', sa.String(length=32), nullable=False),
        sa.Column('participant_id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.Enum('id_number', 'phone', name='factorkind', native_enum=False,
                                  length=32), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_inquiry_factors_case_id_cases')),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id'],
                                name=op.f('fk_inquiry_factors_participant_id_participants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiry_factors')),
        sa.UniqueConstraint('participant_id', 'kind',
                            name=op.f('uq_inquiry_factors_participant_id')),
    )
    with op.batch_alter_table('inquiry_factors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inquiry_factors_case_id'), ['case_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_inquiry_factors_participant_id'),
                              ['participant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inquiry_factors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inquiry_factors_participant_id'))
        batch_op.drop_index(batch_op.f('ix_inquiry_factors_case_id'))
    op.drop_table('inquiry_factors')
    op.drop_table('case_inquiries')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('juvenile')
