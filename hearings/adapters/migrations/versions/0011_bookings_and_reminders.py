"""bookings: a judge's or mediator's published slots at the e+ clinics (法官e站) and the
bookings made in them (one per slot, refused by a unique slot_id even under concurrency);
notifications gain a kind, a dedupe key (unique: never two reminders of one kind to one
recipient for one time) and the join token minted for them at send time

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:20:00
"""
import sqlalchemy as sa
from alembic import op

import hearings.adapters.orm

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'booking_slots',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('court_id', sa.String(length=32), nullable=False),
        sa.Column('host_user_id', sa.String(length=32), nullable=False),
        sa.Column('starts_at', hearings.adapters.orm.UTCDateTime(), nullable=False),
        sa.Column('ends_at', hearings.adapters.orm.UTCDateTime(), nullable=False),
        sa.Column('services', sa.String(length=200), nullable=False),
        sa.Column('created_at', hearings.adapters.orm.UTCDateTime(), nullable=False),
        sa.Column('withdrawn_at', hearings.adapters.orm.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['court_id'], ['courts.id'],
                                name=op.f('fk_booking_slots_court_id_courts')),
        sa.ForeignKeyConstraint(['host_user_id'], ['staff_users.id'],
                                name=op.f('fk_booking_slots_host_user_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_slots')),
    )
    for column in ('court_id', 'host_user_id', 'starts_at'):
        op.create_index(op.f(f'ix_booking_slots_{column}'), 'booking_slots', [column],
                        unique=False)
    op.create_table(
        'bookings',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('slot_id', sa.String(length=32), nullable=False),
        sa.Column('hearing_id', sa.String(length=32), nullable=False),
        sa.Column('site_id', sa.String(length=32), nullable=False),
        sa.Column('service', sa.Enum('legal_advice', 'mediation_guidance', 'filing_help',
                                     name='service', native_enum=False, length=32),
                  nullable=False),
        sa.Column('person_name', sa.String(length=200), nullable=False),
        sa.Column('participant_id', sa.String(length=32), nullable=False),
        sa.Column('booked_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', hearings.adapters.orm.UTCDateTime(), nullable=False),
        sa.Column('mediation_hearing_id', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['slot_id'], ['booking_slots.id'],
                                name=op.f('fk_bookings_slot_id_booking_slots')),
        sa.ForeignKeyConstraint(['hearing_id'], ['hearings.id'],
                                name=op.f('fk_bookings_hearing_id_hearings')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'],
                                name=op.f('fk_bookings_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
        sa.UniqueConstraint('slot_id', name=op.f('uq_bookings_slot_id')),
    )
    op.create_index(op.f('ix_bookings_hearing_id'), 'bookings', ['hearing_id'], unique=False)
    op.create_index(op.f('ix_bookings_site_id'), 'bookings', ['site_id'], unique=False)
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('dedupe_key', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('join_token_id', sa.String(length=32), nullable=True))
        batch.create_unique_constraint(op.f('uq_notifications_dedupe_key'), ['dedupe_key'])


def downgrade() -> None:
    with op.batch_alter_table('notifications') as batch:
        batch.drop_constraint(op.f('uq_notifications_dedupe_key'), type_='unique')
        batch.drop_column('join_token_id')
        batch.drop_column('dedupe_key')
        batch.drop_column('kind')
    op.drop_table('bookings')
    op.drop_table('booking_slots')
