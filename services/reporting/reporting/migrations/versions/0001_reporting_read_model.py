"""reporting read model

Revision ID: 0001
Revises:
Create Date: 2026-11-24 04:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('outbox',
    sa.Column('seq', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('message', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )
    op.create_index('ix_outbox_unpublished', 'outbox', ['seq'], unique=False, postgresql_where=sa.text('published_at IS NULL'))
    op.create_table('processed_events',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_processed_events'))
    )
    op.create_table('report_locations',
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('location_version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('provider_id', sa.String(length=20), nullable=True),
    sa.Column('provider_name', sa.String(length=300), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('postcode', sa.String(length=8), nullable=True),
    sa.Column('la_code', sa.String(length=9), nullable=True),
    sa.Column('sub_icb_code', sa.String(length=9), nullable=True),
    sa.Column('icb_code', sa.String(length=9), nullable=True),
    sa.Column('nhs_region_code', sa.String(length=9), nullable=True),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('reminders_enabled', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('return_sequence', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('vacancies', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('admission_status', sa.String(length=20), nullable=True),
    sa.PrimaryKeyConstraint('location_id', name=op.f('pk_report_locations'))
    )
    op.create_index(op.f('ix_report_locations_provider_id'), 'report_locations', ['provider_id'], unique=False)
    op.create_index(op.f('ix_report_locations_la_code'), 'report_locations', ['la_code'], unique=False)
    op.create_index(op.f('ix_report_locations_sub_icb_code'), 'report_locations', ['sub_icb_code'], unique=False)
    op.create_table('monthly_positions',
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('location_id', 'month', name=op.f('pk_monthly_positions'))
    )
    op.create_table('monthly_vacancies',
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('vacancy_type', sa.String(length=40), nullable=False),
    sa.Column('maximum_capacity', sa.Integer(), nullable=False),
    sa.Column('occupied', sa.Integer(), nullable=False),
    sa.Column('vacant', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('location_id', 'month', 'vacancy_type', name=op.f('pk_monthly_vacancies'))
    )
    op.create_index('ix_monthly_vacancies_month', 'monthly_vacancies', ['month'], unique=False)
    op.create_table('areas',
    sa.Column('code', sa.String(length=9), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('parent_code', sa.String(length=9), nullable=True),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_areas'))
    )


def downgrade() -> None:
    op.drop_table('areas')
    op.drop_index('ix_monthly_vacancies_month', table_name='monthly_vacancies')
    op.drop_table('monthly_vacancies')
    op.drop_table('monthly_positions')
    op.drop_table('report_locations')
    op.drop_index('ix_outbox_unpublished', table_name='outbox', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_table('processed_events')
    op.drop_table('outbox')
