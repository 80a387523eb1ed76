"""capacity tables

Revision ID: 0001
Revises: 


"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('bulk_uploads',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('uploaded_by', sa.String(length=36), nullable=False),
    sa.Column('uploaded_by_generic', sa.Boolean(), nullable=False),
    sa.Column('claims', sa.JSON(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_uploads'))
    )
    op.create_index(op.f('ix_bulk_uploads_uploaded_by'), 'bulk_uploads', ['uploaded_by'], unique=False)
    op.create_table('capacity_returns',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sa.String(length=36), nullable=True),
    sa.Column('submitted_by_generic', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('still_true', sa.Boolean(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capacity_returns')),
    sa.UniqueConstraint('location_id', 'sequence', name=op.f('uq_capacity_returns_location_id'))
    )
    op.create_index('ix_capacity_returns_location_time', 'capacity_returns', ['location_id', 'submitted_at'], unique=False)
    op.create_table('latest_returns',
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.String(length=36), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('location_id', name=op.f('pk_latest_returns'))
    )
    op.create_index(op.f('ix_latest_returns_submitted_at'), 'latest_returns', ['submitted_at'], unique=False)
    op.create_table('location_facts',
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('postcode', sa.String(length=8), nullable=False),
    sa.Column('la_code', sa.String(length=9), nullable=True),
    sa.Column('sub_icb_code', sa.String(length=9), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('registered_beds', sa.Integer(), nullable=True),
    sa.Column('long_term_vacancy_types', sa.JSON(), nullable=False),
    sa.Column('short_stay_services', sa.JSON(), nullable=False),
    sa.Column('out_of_hours_admissions', sa.Boolean(), nullable=True),
    sa.Column('reminders_enabled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('location_id', name=op.f('pk_location_facts'))
    )
    op.create_index(op.f('ix_location_facts_provider_id'), 'location_facts', ['provider_id'], unique=False)
    op.create_table('other_returns',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sa.String(length=36), nullable=True),
    sa.Column('submitted_by_generic', sa.Boolean(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_other_returns'))
    )
    op.create_index('ix_other_returns_location_kind_time', 'other_returns', ['location_id', 'kind', 'submitted_at'], unique=False)
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


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('processed_events')
    op.drop_index('ix_outbox_unpublished', table_name='outbox', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_table('outbox')
    op.drop_index('ix_other_returns_location_kind_time', table_name='other_returns')
    op.drop_table('other_returns')
    op.drop_index(op.f('ix_location_facts_provider_id'), table_name='location_facts')
    op.drop_table('location_facts')
    op.drop_index(op.f('ix_latest_returns_submitted_at'), table_name='latest_returns')
    op.drop_table('latest_returns')
    op.drop_index('ix_capacity_returns_location_time', table_name='capacity_returns')
    op.drop_table('capacity_returns')
    op.drop_index(op.f('ix_bulk_uploads_uploaded_by'), table_name='bulk_uploads')
    op.drop_table('bulk_uploads')
