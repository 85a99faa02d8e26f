"""plea statements (认罪认罚具结书): drafted by the prosecutor of a remote interrogation,
signed by the detainee by hand and by the lawyer present; a refused or superseded draft is
kept (abandoned) beside the one signed

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 08:00:00
"""
import sqlalchemy as sa
from alembic import op

import hearings.adapters.orm

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('plea_statements',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('hearing_id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('state', sa.Enum('signing', 'signed', 'abandoned', name='pleastate', native_enum=False, length=32), nullable=False),
    sa.Column('charges', sa.Text(), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('sentencing_proposal', sa.Text(), nullable=False),
    sa.Column('procedure', sa.String(length=200), nullable=False),
    sa.Column('drafted_by', sa.String(length=80), nullable=False),
    sa.Column('signing', sa.JSON(), nullable=False),
    sa.Column('document_id', sa.String(length=32), nullable=False),
    sa.Column('refusal', sa.JSON(), nullable=True),
    sa.Column('created_at', hearings.adapters.orm.UTCDateTime(), nullable=False),
    sa.Column('updated_at', hearings.adapters.orm.UTCDateTime(), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_plea_statements_case_id_cases')),
    sa.ForeignKeyConstraint(['hearing_id'], ['hearings.id'], name=op.f('fk_plea_statements_hearing_id_hearings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plea_statements'))
    )
    with op.batch_alter_table('plea_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plea_statements_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plea_statements_hearing_id'), ['hearing_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('plea_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plea_statements_hearing_id'))
        batch_op.drop_index(batch_op.f('ix_plea_statements_case_id'))
    op.drop_table('plea_statements')
